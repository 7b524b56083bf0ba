/**
 * The HTTP server: reads the body, answers injected faults, serves the OAuth endpoints, authenticates
 * every other non-admin call (the private-app token or a live OAuth access token, `Authorization: Bearer`;
 * 401 otherwise), applies the rate limits and their headers, routes, renders errors in one place, logs the
 * request, and always answers `application/json;charset=utf-8` unless a fault says otherwise (the client
 * cannot parse a response without a Content-Type, contract §0.1).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestLog } from '../salesforce/request-log';
import { buildAdminRoutes, renderAdminFailure, type AdminContext } from './admin';
import { HubSpotError } from './errors';
import { type FaultInjector } from './faults';
import { renderFailure, RouteTable, type HsRequest, type HsResponse } from './http';
import { type RateLimiter } from './limits';
import { type OAuthTokens } from './oauth';
import { addAssociationRoutes } from './associations';
import { addObjectRoutes } from './objects';
import { type Portal } from './portal';
import { addReferenceRoutes } from './reference';
import { addSearchRoutes } from './search';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The search endpoints, which have a rate limit of their own (limits.ts). */
const SEARCH_PATH = /^\/crm\/v3\/objects\/[^/]+\/search\/?$/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

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
  const text = response.status === 204 ? '' : (response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body)));
  res.statusCode = response.status;
  res.setHeader('Content-Type', 'application/json;charset=utf-8');
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  if (response.status !== 204) res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text || undefined);
}

async function route(table: RouteTable, req: HsRequest): Promise<HsResponse> {
  const found = table.resolve(req.method, req.path);
  if (found === 'method-not-allowed') throw new HubSpotError(405, 'VALIDATION_ERROR', `HTTP ${req.method} is not supported by this resource`);
  if (!found) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.path}`);
  return found.handler({ ...req, params: found.params });
}

/** The sandbox's state besides the portal; the admin API configures it. */
export interface SandboxServices {
  tokens: OAuthTokens;
  limits: RateLimiter;
  faults: FaultInjector;
}

export function createHubSpotServer(portal: Portal, services: SandboxServices, admin: Omit<AdminContext, 'portal' | 'log' | keyof SandboxServices>): { server: http.Server; log: RequestLog } {
  const { tokens, limits, faults } = services;
  const log = new RequestLog(50_000);
  const api = new RouteTable();
  addSearchRoutes(api, portal);
  addObjectRoutes(api, portal);
  addAssociationRoutes(api, portal);
  addReferenceRoutes(api, portal);
  const adminRoutes = buildAdminRoutes({ ...admin, ...services, portal, log });
  const oauthRoutes = tokens.routes();

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
    let headers: Record<string, string> = {};
    // Whether the call counted against HubSpot's limits: authenticated and admitted [infer].
    let counted = false;
    try {
      if (body === 'too-large') throw new HubSpotError(413, 'VALIDATION_ERROR', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
      const fault = faults.respond(method, url.pathname);
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault?.response) response = fault.response;
      else if (url.pathname.startsWith('/oauth/')) response = await route(oauthRoutes, request);
      else {
        const admission = limits.admit(tokens.authenticate(req.headers.authorization), method === 'POST' && SEARCH_PATH.test(url.pathname));
        headers = admission.headers;
        counted = !admission.rejection;
        response = admission.rejection ?? (await route(api, request));
      }
    } catch (err) {
      response = renderFailure(err);
    }
    // The rate-limit headers go on errors too, as on HubSpot's 4xx answers [infer].
    response = { ...response, headers: { ...headers, ...response.headers } };
    log.add({ method, path: url.pathname, query: url.search, status: response.status, timestamp, durationMs: Math.round((performance.now() - started) * 100) / 100, counted });
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
