/**
 * HTTP plumbing of the HubSpot sandbox: a route table of regular expressions (named groups become params),
 * the request/response shapes handlers see, body parsing with HubSpot's JSON error, and the error renderer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HubSpotError } from './errors';

export interface HsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
  body: Buffer;
}

export interface HsResponse {
  status: number;
  /** JSON-serialised; absent for 204. */
  body?: unknown;
  /** Sent as it is instead of `body` (injected faults); the Content-Type stays JSON unless `headers` say otherwise. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export type HsHandler = (req: HsRequest) => HsResponse | Promise<HsResponse>;

interface RouteEntry {
  method: string;
  pattern: RegExp;
  handler: HsHandler;
}

/** `/crm/v3/objects/companies/{companyId}` style paths; a `{name}` matches one non-empty segment. */
function compile(template: string): RegExp {
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  // A trailing slash is accepted: the owners client sends `/crm/v3/owners/?email=…` (contract §2.2).
  return new RegExp(`^${source}/?$`);
}

export class RouteTable {
  private readonly entries: RouteEntry[] = [];

  on(method: string, template: string, handler: HsHandler): this {
    this.entries.push({ method, pattern: compile(template), handler });
    return this;
  }

  resolve(method: string, path: string): { handler: HsHandler; params: Record<string, string> } | 'method-not-allowed' | undefined {
    let pathMatched = false;
    for (const entry of this.entries) {
      const m = entry.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (entry.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = safeDecode(v);
      return { handler: entry.handler, params };
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export const ok = (body: unknown): HsResponse => ({ status: 200, body });
export const created = (body: unknown): HsResponse => ({ status: 201, body });
export const noContent = (): HsResponse => ({ status: 204 });
/** 200 with a body that is already JSON text. */
export const okText = (json: string): HsResponse => ({ status: 200, raw: json });

/** 200 with `{…before, results: [...], …after}`, the results already JSON texts (pre-rendered records). */
export function okResults(results: string[], extra: { before?: Record<string, unknown>; after?: Record<string, unknown> } = {}): HsResponse {
  const members = (o: Record<string, unknown> = {}) => Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return okText(`{${[...members(extra.before), `"results":[${results.join(',')}]`, ...members(extra.after)].join(',')}}`);
}

/** A JSON request body of any kind. HubSpot answers malformed JSON with 400 "Invalid input JSON on line L, column C: …". */
export function jsonValue(req: HsRequest): unknown {
  const text = req.body.toString('utf8');
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new HubSpotError(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1, column 1: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A JSON object request body. */
export function jsonBody(req: HsRequest): Record<string, unknown> {
  const value = jsonValue(req);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HubSpotError(400, 'VALIDATION_ERROR', 'Invalid input JSON: expected an object');
  return value as Record<string, unknown>;
}

/** Query flags: `archived=true` (the client serialises booleans as `true`/`false`). */
export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}

export function renderFailure(err: unknown): HsResponse {
  if (err instanceof HubSpotError) return { status: err.status, body: err.body() };
  process.stderr.write(`hubspot sandbox: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // Note: @hubspot/api-client retries every 5xx; this should never be reached.
  return { status: 500, body: new HubSpotError(500, 'INTERNAL_ERROR', 'internal error').body() };
}
