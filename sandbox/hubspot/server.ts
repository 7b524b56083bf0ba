/**
 * The HTTP server: reads the body, authenticates every non-admin call by private-app token
 * (`Authorization: Bearer`, 401 INVALID_AUTHENTICATION otherwise), routes, renders errors in one place, logs
 * the request, and always answers `application/json;charset=utf-8` (the client cannot parse a response
 * without a Content-Type, contract §0.1).
 */
import http from 'node:http';
import { RequestLog } from '../salesforce/request-log';
import { buildAdminRoutes, renderAdminFailure, type AdminContext } from './admin';
import { HubSpotError } from './errors';
import { renderFailure, RouteTable, type HsRequest, type HsResponse } from './http';
import { addObjectRoutes } from './objects';
import { SANDBOX_ACCESS_TOKEN, type Portal } from './portal';
import { addReferenceRoutes } from './reference';
import { addSearchRoutes } from './search';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * HubSpot's 401 for a request without credentials (message as the v3 auth-error changelog and real responses
 * show it); an unknown token gets the same category [contract §6: unverified].
 */
function unauthenticated(): HubSpotError {
  const link = 'https://developers.hubspot.com/docs/methods/auth/oauth-overview';
  return new HubSpotError(401, 'INVALID_AUTHENTICATION', `Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at ${link}`);
}

function collect(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    req.on('data', (part: Buffer) => {
      total += part.length;
      if (total <= MAX_BODY_BYTES) parts.push(part);
    });
    req.on('end', () => resolve(total > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function write(res: http.ServerResponse, response: HsResponse): void {
  const text = response.status === 204 || response.body === undefined ? '' : JSON.stringify(response.body);
  res.statusCode = response.status;
  res.setHeader('Content-Type', 'application/json;charset=utf-8');
  if (response.status !== 204) res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text || undefined);
}

async function route(table: RouteTable, req: HsRequest): Promise<HsResponse> {
  const found = table.resolve(req.method, req.path);
  if (found === 'method-not-allowed') throw new HubSpotError(405, 'VALIDATION_ERROR', `HTTP ${req.method} is not supported by this resource`);
  if (!found) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.path}`);
  return found.handler({ ...req, params: found.params });
}

export function createHubSpotServer(portal: Portal, admin: Omit<AdminContext, 'portal' | 'log'>): { server: http.Server; log: RequestLog } {
  const log = new RequestLog(50_000);
  const api = new RouteTable();
  addSearchRoutes(api, portal);
  addObjectRoutes(api, portal);
  addReferenceRoutes(api, portal);
  const adminRoutes = buildAdminRoutes({ ...admin, portal, log });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await collect(req);
    const request: HsRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, params: {}, body: body === 'too-large' ? Buffer.alloc(0) : body };

    if (url.pathname.startsWith('/__admin/')) {
      let response: HsResponse;
      try {
        if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new HubSpotError(403, 'FORBIDDEN', 'the admin API answers loopback clients only');
        response = await route(adminRoutes, request);
      } catch (err) {
        response = renderAdminFailure(err) ?? renderFailure(err);
      }
      write(res, response);
      return;
    }

    const timestamp = portal.now().toISOString();
    let response: HsResponse;
    try {
      if (body === 'too-large') throw new HubSpotError(413, 'VALIDATION_ERROR', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
      if (token !== SANDBOX_ACCESS_TOKEN) throw unauthenticated();
      response = await route(api, request);
    } catch (err) {
      response = renderFailure(err);
    }
    // `counted`: every authenticated call counts against HubSpot's API limits (a 401 does not) [infer].
    log.add({ method, path: url.pathname, query: url.search, status: response.status, timestamp, durationMs: Math.round((performance.now() - started) * 100) / 100, counted: response.status !== 401 });
    write(res, response);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else write(res, renderFailure(err));
    });
  });
  server.keepAliveTimeout = 30000;
  return { server, log };
}
