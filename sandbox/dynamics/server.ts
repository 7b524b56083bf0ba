/**
 * The HTTP server: reads the body, answers the admin API, injected faults and the Entra token endpoint
 * (`POST /{tenant}/oauth2/v2.0/token`), authenticates every Web API call (`Authorization: Bearer`, 401
 * otherwise), applies the service protection limits and their headers, routes `/api/data/v9.2/…`, renders
 * Dataverse's errors in one place, and logs the request.
 */
import http from 'node:http';
import { buildAdminRoutes, type AdminContext } from './admin';
import { handleApi } from './api';
import type { EntraTokens } from './auth';
import { DataverseError, segmentNotFound } from './errors';
import type { FaultInjector } from './faults';
import { renderFailure, responseHeaders, responseText, type DvResponse } from './http';
import type { ServiceProtection } from './limits';
import type { ApiContext } from './query';
import { RequestLog } from './request-log';

const MAX_BODY_BYTES = 20 * 1024 * 1024;
const API_PREFIX = '/api/data/v9.2/';
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/;
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

function write(res: http.ServerResponse, response: DvResponse): void {
  const text = responseText(response);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(responseHeaders(response))) res.setHeader(name, value);
  if (response.status !== 204 && response.status !== 304) res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text || undefined);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SandboxServices {
  tokens: EntraTokens;
  limits: ServiceProtection;
  faults: FaultInjector;
}

export function createDynamicsServer(api: ApiContext, services: SandboxServices, admin: Omit<AdminContext, 'api' | 'log' | keyof SandboxServices>): { server: http.Server; log: RequestLog } {
  const { tokens, limits, faults } = services;
  const log = new RequestLog();
  const adminRoutes = buildAdminRoutes({ ...admin, ...services, api, log });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await collect(req);
    const body = raw === 'too-large' ? '' : raw.toString('utf8');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;

    if (url.pathname.startsWith('/__admin/')) {
      let response: DvResponse;
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) response = { status: 403, body: { error: 'the admin API answers loopback clients only' } };
      else response = await adminRoutes(method, url, body);
      write(res, response);
      return;
    }

    const timestamp = api.org.clock.now().toISOString();
    let response: DvResponse;
    let extraHeaders: Record<string, string> = {};
    try {
      if (raw === 'too-large') throw new DataverseError(413, '0x80060888', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
      const fault = faults.respond(method, url.pathname);
      // Latency counts as execution time: on Web API calls it is spent after admission (in flight).
      const isApi = url.pathname.startsWith(API_PREFIX) || url.pathname === API_PREFIX.slice(0, -1);
      if (fault?.latencyMs && (fault.response || !isApi)) await sleep(fault.latencyMs);
      const tokenMatch = TOKEN_PATH.exec(url.pathname);
      if (fault?.response) response = fault.response;
      else if (tokenMatch && method === 'POST') response = tokens.token(decodeURIComponent(tokenMatch[1] ?? ''), body, headers['authorization'], admin.url());
      else if (isApi) {
        tokens.authenticate(headers['authorization'], admin.url());
        const admission = limits.admit();
        extraHeaders = admission.headers;
        try {
          if (fault?.latencyMs) await sleep(fault.latencyMs);
          let path = url.pathname.slice(API_PREFIX.length);
          try {
            path = decodeURIComponent(path);
          } catch {
            // kept as sent
          }
          response = await handleApi(api, { method, path, rawQuery: url.search.replace(/^\?/, ''), query: url.searchParams, headers, body });
        } finally {
          admission.release();
        }
      } else throw segmentNotFound(url.pathname.split('/').filter(Boolean).pop() ?? '');
    } catch (err) {
      response = renderFailure(err);
    }
    response = { ...response, headers: { ...extraHeaders, ...response.headers } };
    log.add({
      method,
      path: url.pathname,
      query: url.search,
      status: response.status,
      timestamp,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(headers['prefer'] ? { prefer: headers['prefer'] } : {}),
      ...(headers['if-match'] ? { ifMatch: headers['if-match'] } : {}),
      ...(headers['if-none-match'] ? { ifNoneMatch: headers['if-none-match'] } : {}),
    });
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
