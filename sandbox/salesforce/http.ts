/**
 * The sandbox's HTTP plumbing: a typed router (`:name` segments become typed params), the request/response
 * shapes handlers use, and the one place errors are rendered (Salesforce's array body, OAuth's object body).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SalesforceError } from './model';
import { RecordError } from './values';

export interface ApiRequest<P = Record<string, string>> {
  method: string;
  /** Path without the query string, as sent (not decoded; params are decoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  params: P;
  body: Buffer;
  remoteAddress: string;
  /** The API version of a /services/data/vXX.X request, e.g. `62.0`. */
  apiVersion: string;
  /** The running user of an authenticated request. */
  userId: string;
}

export interface ApiResponse {
  status: number;
  /** Serialised as JSON unless `raw` is given. Absent for 204 and 304. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<Rest> : P extends `${string}:${infer Name}` ? Name : never;
export type Params<P extends string> = { [K in ParamNames<P>]: string };
export type Handler<P> = (req: ApiRequest<P>) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler<Record<string, string>>;
}

export type RouteMatch = { kind: 'found'; handler: Handler<Record<string, string>>; params: Record<string, string> } | { kind: 'method'; allowed: string[] } | { kind: 'none' };

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class Router {
  private readonly routes: Route[] = [];

  add<P extends string>(method: string, pattern: P, handler: Handler<Params<P>>): this {
    // The handler only ever receives the params its pattern declares (see match()).
    this.routes.push({ method, segments: pattern.split('/'), handler: handler as Handler<Record<string, string>> });
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const segments = path.split('/');
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'found', handler: route.handler, params };
      allowed.push(route.method);
    }
    return allowed.length ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  // A trailing slash is tolerated, as Salesforce does (`/sobjects/Task/updated/?start=`).
  const trimmed = actual.length > 1 && actual[actual.length - 1] === '' ? actual.slice(0, -1) : actual;
  if (pattern.length !== trimmed.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    const a = trimmed[i] ?? '';
    if (p.startsWith(':')) {
      if (a === '') return undefined;
      params[p.slice(1)] = decodeSegment(a);
    } else if (p !== a) {
      return undefined;
    }
  }
  return params;
}

/** An OAuth endpoint error: `{error, error_description}`, not Salesforce's array. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export function json(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function noContent(headers?: Record<string, string>): ApiResponse {
  return headers ? { status: 204, headers } : { status: 204 };
}

/** 304 Not Modified: no body (a conditional GET/HEAD whose precondition says the client's copy is current). */
export function notModified(headers?: Record<string, string>): ApiResponse {
  return headers ? { status: 304, headers } : { status: 304 };
}

/** Salesforce's error entry: `fields` appears on DML errors (even empty) and whenever fields are named. */
export function errorEntry(err: SalesforceError): { message: string; errorCode: string; fields?: string[] } {
  return err instanceof RecordError || err.fields.length > 0 ? { message: err.message, errorCode: err.errorCode, fields: err.fields } : { message: err.message, errorCode: err.errorCode };
}

/** The single place errors become responses. */
export function renderError(err: unknown): ApiResponse {
  if (err instanceof SalesforceError) return json(err.status, [errorEntry(err)]);
  if (err instanceof OAuthError) return json(err.status, { error: err.error, error_description: err.description });
  process.stderr.write(`salesforce sandbox: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return json(500, [{ message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 0000000000-00000 (-1)', errorCode: 'UNKNOWN_EXCEPTION' }]);
}

/** Parses a JSON request body; a syntax error is Salesforce's JSON_PARSER_ERROR (400). */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'No content to map due to end-of-input at [line:1, column:0]');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SalesforceError(400, 'JSON_PARSER_ERROR', `Unexpected character: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
