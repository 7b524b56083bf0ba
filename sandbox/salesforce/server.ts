/**
 * The HTTP server: reads the request, applies injected latency and HTTP faults, authenticates and meters
 * /services/data calls (401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED, `Sforce-Limit-Info`), routes,
 * renders errors in one place, logs the request, and always answers `application/json;charset=UTF-8`.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderAdminError, buildAdminRouter } from './admin';
import { bearerToken } from './auth';
import { defaultFaultBody } from './faults';
import { json, renderError, type ApiRequest, type ApiResponse, type Router } from './http';
import { SalesforceError } from './model';
import { type SalesforceSandbox } from './sandbox';

/** Request bodies beyond this are refused (Salesforce's REST limit is in the same range). */
const MAX_BODY_BYTES = 50 * 1024 * 1024;
const CONTENT_TYPE = 'application/json;charset=UTF-8';
const API_PATH = /^\/services\/data\/v(\d+\.\d)(?:\/|$)/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, method: string, response: ApiResponse, extraHeaders: Record<string, string>): void {
  // 204 No Content and 304 Not Modified never carry a body (nor a Content-Length for one).
  const bodiless = response.status === 204 || response.status === 304;
  const payload = bodiless ? '' : (response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body)));
  res.writeHead(response.status, {
    'Content-Type': CONTENT_TYPE,
    ...(bodiless ? {} : { 'Content-Length': String(Buffer.byteLength(payload)) }),
    ...extraHeaders,
    ...(response.headers ?? {}),
  });
  res.end(method === 'HEAD' || bodiless ? undefined : payload);
}

async function dispatch(router: Router, request: ApiRequest): Promise<ApiResponse> {
  const match = router.match(request.method, request.path);
  if (match.kind === 'found') return match.handler({ ...request, params: match.params });
  if (match.kind === 'method') {
    const allowed = [...new Set(match.allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))];
    throw new SalesforceError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${request.method}' not allowed. Allowed are ${allowed.join(',')}`);
  }
  throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

export function createSandboxServer(sandbox: SalesforceSandbox): http.Server {
  const adminRouter = buildAdminRouter(sandbox, () => sandbox.persist(true));

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    const remoteAddress = req.socket.remoteAddress ?? '';
    const base: Omit<ApiRequest, 'body'> = { method, path, query: url.searchParams, headers: req.headers, params: {}, remoteAddress, apiVersion: '', userId: '' };

    if (path === '/__admin' || path.startsWith('/__admin/')) {
      let response: ApiResponse;
      try {
        if (!LOOPBACK.has(remoteAddress)) throw new SalesforceError(403, 'FORBIDDEN', 'the admin API answers loopback clients only');
        response = await dispatch(adminRouter, { ...base, body: await readBody(req) });
      } catch (err) {
        response = renderAdminError(err) ?? renderError(err);
      }
      send(res, method, response, {});
      return;
    }

    const timestamp = sandbox.clock.now().toISOString();
    const apiMatch = API_PATH.exec(path);
    let counted = false;
    let response: ApiResponse;
    try {
      const body = await readBody(req);
      const latency = sandbox.faults.latencyMs(method, path);
      if (latency > 0) await sleep(latency);
      const fault = sandbox.faults.httpFault(method, path);
      if (fault) {
        response = json(fault.status, fault.body ?? defaultFaultBody(fault.status), fault.headers);
      } else if (path.startsWith('/services/data') && !apiMatch) {
        // `/services/data` (the version list) needs no session; anything else must name a version.
        response = path === '/services/data' || path === '/services/data/' ? await dispatch(sandbox.router, { ...base, path: '/services/data', body }) : json(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
      } else if (apiMatch) {
        const userId = sandbox.tokens.validate(bearerToken({ ...base, body }) ?? '');
        if (!userId) throw new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
        sandbox.usage.consume();
        counted = true;
        response = await dispatch(sandbox.router, { ...base, body, apiVersion: apiMatch[1] ?? '62.0', userId });
      } else {
        response = await dispatch(sandbox.router, { ...base, body });
      }
    } catch (err) {
      response = err instanceof BodyTooLarge ? json(413, [{ errorCode: 'REQUEST_TOO_LARGE', message: `The request body exceeds ${MAX_BODY_BYTES} bytes` }]) : renderError(err);
    }
    const extra: Record<string, string> = counted || (apiMatch && response.status !== 401) ? { 'Sforce-Limit-Info': sandbox.usage.header() } : {};
    sandbox.log.add({ method, path, query: url.search, status: response.status, timestamp, durationMs: Math.round((performance.now() - started) * 100) / 100, counted });
    send(res, method, response, extra);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, req.method ?? 'GET', renderError(err), {});
      else res.destroy();
    });
  });
  // jsforce keeps connections alive between pages; keep them a little longer than Node's 5 s default.
  server.keepAliveTimeout = 30000;
  server.headersTimeout = 35000;
  return server;
}
