/**
 * HTTP plumbing of the Dataverse sandbox: the request and response shapes handlers see, Dataverse's response
 * headers (`OData-Version: 4.0`, JSON as `application/json; odata.metadata=minimal`), resource-path parsing
 * (`accounts(<guid>)`, `accounts(accountnumber='A-1')`, `EntityDefinitions(LogicalName='account')/Attributes/
 * Microsoft.Dynamics.CRM.PicklistAttributeMetadata`) and the Prefer header.
 *
 * Sources: "Compose HTTP requests and handle errors" (headers, Prefer values, Preference-Applied); "Retrieve a
 * table row using the Web API" and "Use an alternate key to reference a record" (key syntax); OData v4 URL
 * conventions for key-predicate literals.
 */
import { DataverseError, syntaxError } from './errors';

export interface DvRequest {
  method: string;
  /** The resource path after `/api/data/v9.2/`, percent-decoded (`accounts(…)`). */
  path: string;
  query: URLSearchParams;
  /** The query string as sent, without `?` (nextLinks and deltaLinks repeat its options verbatim). */
  rawQuery: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface DvResponse {
  status: number;
  /** JSON-serialised; absent for 204. */
  body?: unknown;
  /** Sent as it is (multipart $batch answers, injected faults). */
  raw?: string;
  headers?: Record<string, string>;
}

export const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal';

export const ok = (body: unknown, headers: Record<string, string> = {}): DvResponse => ({ status: 200, body, headers });

/** The body of a response as the wire carries it. */
export function responseText(r: DvResponse): string {
  if (r.status === 204 || r.status === 304) return '';
  return r.raw ?? (r.body === undefined ? '' : JSON.stringify(r.body));
}

/** The headers Dataverse puts on every answer (Content-Type only when there is a JSON body). */
export function responseHeaders(r: DvResponse): Record<string, string> {
  const hasBody = r.status !== 204 && r.status !== 304 && (r.raw !== undefined || r.body !== undefined);
  return { 'OData-Version': '4.0', ...(hasBody && r.raw === undefined ? { 'Content-Type': JSON_CONTENT_TYPE } : {}), ...r.headers };
}

export function renderFailure(err: unknown): DvResponse {
  // Dataverse's 401 has only the WWW-Authenticate challenge, no body.
  if (err instanceof DataverseError && err.status === 401) return { status: 401, headers: err.headers };
  if (err instanceof DataverseError) return { status: err.status, body: err.body(), headers: err.headers };
  process.stderr.write(`dynamics sandbox: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return { status: 500, body: { error: { code: '0x80040216', message: 'An unexpected error occurred.' } } };
}

/** A key predicate: a GUID, or alternate-key values (`accountnumber='A-1'`, `k1='a',k2=2`). */
export type KeyPredicate = { id: string } | { alternate: Record<string, string | number> } | { logicalName: string };

export interface Segment {
  name: string;
  key?: KeyPredicate;
}

const GUID_ONLY = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;

function parseLiteral(text: string): string | number {
  const t = text.trim();
  if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const g = GUID_ONLY.exec(t);
  if (g) return (g[1] ?? '').toLowerCase();
  throw syntaxError(`Bad Request - Error in query syntax.`);
}

/** Splits `a,b='x,y'` at commas outside quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseKey(inner: string): KeyPredicate {
  const g = GUID_ONLY.exec(inner.trim());
  if (g) return { id: (g[1] ?? '').toLowerCase() };
  const alternate: Record<string, string | number> = {};
  for (const pair of splitOutsideQuotes(inner, ',')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw syntaxError('Bad Request - Error in query syntax.');
    alternate[pair.slice(0, eq).trim()] = parseLiteral(pair.slice(eq + 1));
  }
  return { alternate };
}

/** `EntityDefinitions(LogicalName='account')/Attributes` → segments with their keys. */
export function parsePath(path: string): Segment[] {
  return splitOutsideQuotes(path.replace(/\/+$/, ''), '/').map((part) => {
    const open = part.indexOf('(');
    if (open < 0) return { name: part };
    if (!part.endsWith(')')) throw syntaxError('Bad Request - Error in query syntax.');
    return { name: part.slice(0, open), key: parseKey(part.slice(open + 1, -1)) };
  });
}

export interface Prefer {
  maxPageSize?: number;
  annotations?: string;
  trackChanges: boolean;
  returnRepresentation: boolean;
}

/** The Prefer header's values ("Compose HTTP requests": `odata.maxpagesize`, `odata.include-annotations`, `odata.track-changes`, `return=representation`). */
export function parsePrefer(header: string | undefined): Prefer {
  const prefer: Prefer = { trackChanges: false, returnRepresentation: false };
  for (const raw of splitOutsideQuotes(header ?? '', ',')) {
    const item = raw.trim();
    const [name, ...rest] = item.split('=');
    const value = rest.join('=').trim().replace(/^"|"$/g, '');
    switch (name?.trim().toLowerCase()) {
      case 'odata.maxpagesize': {
        const n = Number(value);
        if (Number.isInteger(n) && n > 0) prefer.maxPageSize = n;
        break;
      }
      case 'odata.include-annotations':
        prefer.annotations = value;
        break;
      case 'odata.track-changes':
        prefer.trackChanges = true;
        break;
      case 'return':
        prefer.returnRepresentation = value === 'representation';
        break;
    }
  }
  return prefer;
}

/**
 * Which annotations `odata.include-annotations` asks for: `*`, a namespace wildcard (`Microsoft.Dynamics.CRM.*`),
 * exact names, comma-separated (OData v4 §8.2.8.4).
 */
export function annotationMatcher(spec: string | undefined): (name: string) => boolean {
  if (!spec) return () => false;
  const terms = spec.split(',').map((t) => t.trim()).filter(Boolean);
  return (name) =>
    terms.some((t) => {
      if (t.startsWith('-')) return false;
      if (t === '*') return true;
      if (t.endsWith('.*')) return name.startsWith(t.slice(0, -1));
      return t === name;
    });
}
