/**
 * `POST $batch` (multipart/mixed): requests run in order; a change set (a nested multipart of writes) is
 * atomic: one failure rolls the others back and its error is the change set's only answer. Content-ID `$n`
 * references in a change set's URLs resolve to the entity created by request n. Without
 * `Prefer: odata.continue-on-error` the batch stops at the first failing request outside a change set.
 *
 * Sources: "Execute batch operations using the Web API" (request and response framing, `--batchresponse_…`,
 * `--changesetresponse_…`, Content-ID, atomic change sets, odata.continue-on-error, `OData-EntityId` in a
 * change set's 204s); contract §3.1 for how dynamics-web-api parses the answer (it looks for
 * `--batchresponse_`, splits parts at the first line's delimiter, reads the status line and the JSON between
 * the first `{` and the last `}`).
 */
import { randomUUID } from 'node:crypto';
import { syntaxError } from './errors';
import { responseHeaders, responseText, type DvResponse } from './http';
import type { Org } from './org';

export interface InnerRequest {
  method: string;
  /** Resource path with query, after `/api/data/v9.2/`. */
  target: string;
  headers: Record<string, string>;
  body: string;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 412: 'Precondition Failed', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function boundaryOf(contentType: string | undefined): string | undefined {
  return /boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];
}

/** The parts between `--boundary` lines, each split into headers and content. */
function parts(body: string, boundary: string): { headers: Record<string, string>; content: string }[] {
  const out: { headers: Record<string, string>; content: string }[] = [];
  const chunks = body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`));
  for (const chunk of chunks.slice(1)) {
    if (chunk.trim() === '') continue;
    const sep = /\r?\n\r?\n/.exec(chunk);
    const head = sep ? chunk.slice(0, sep.index) : chunk;
    const content = sep ? chunk.slice(sep.index + sep[0].length) : '';
    out.push({ headers: parseHeaders(head), content });
  }
  return out;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function innerRequest(content: string, base: string): InnerRequest {
  const sep = /\r?\n\r?\n/.exec(content);
  const head = sep ? content.slice(0, sep.index) : content;
  const body = sep ? content.slice(sep.index + sep[0].length).trim() : '';
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const m = /^(\w+)\s+(\S+)(?:\s+HTTP\/\d\.\d)?$/.exec(requestLine.trim());
  if (!m) throw syntaxError(`The batch request line '${requestLine}' is not valid.`);
  let target = m[2] ?? '';
  if (target.startsWith(base)) target = target.slice(base.length);
  else target = target.replace(/^https?:\/\/[^/]+/, '').replace(/^\/?api\/data\/v9\.2\//, '').replace(/^\//, '');
  return { method: (m[1] ?? 'GET').toUpperCase(), target, headers: parseHeaders(headerLines.join('\n')), body };
}

function renderPart(r: DvResponse, contentId?: string): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary', ...(contentId ? [`Content-ID: ${contentId}`] : []), '', `HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? 'Unknown'}`];
  for (const [k, v] of Object.entries(responseHeaders(r))) lines.push(`${k}: ${v}`);
  lines.push('', responseText(r));
  return lines.join('\r\n');
}

export async function executeBatch(org: Org, base: string, contentType: string | undefined, body: string, prefer: string | undefined, run: (r: InnerRequest) => Promise<DvResponse>): Promise<DvResponse> {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw syntaxError("The 'Content-Type' header of a $batch request must be multipart/mixed with a boundary.");
  const continueOnError = /odata\.continue-on-error/.test(prefer ?? '');
  const batchId = `batchresponse_${randomUUID()}`;
  const out: string[] = [];
  for (const part of parts(body, boundary)) {
    const inner = boundaryOf(part.headers['content-type']);
    if (inner && /multipart\/mixed/i.test(part.headers['content-type'] ?? '')) {
      const snapshot = org.snapshot();
      const created = new Map<string, string>();
      const answers: string[] = [];
      let failed: DvResponse | undefined;
      for (const p of parts(part.content, inner)) {
        const req = innerRequest(p.content, base);
        const ref = /^\$(\w+)(.*)$/.exec(req.target);
        if (ref && created.has(ref[1] ?? '')) req.target = `${(created.get(ref[1] ?? '') ?? '').slice(base.length)}${ref[2] ?? ''}`;
        const r = await run(req);
        if (r.status >= 400) {
          failed = r;
          break;
        }
        const contentId = p.headers['content-id'];
        const entity = r.headers?.['OData-EntityId'];
        if (contentId && entity) created.set(contentId, entity);
        answers.push(renderPart(r, contentId));
      }
      if (failed) {
        org.restore(snapshot);
        out.push(renderPart(failed));
        if (!continueOnError) break;
        continue;
      }
      const cs = `changesetresponse_${randomUUID()}`;
      out.push([`Content-Type: multipart/mixed; boundary=${cs}`, '', ...answers.map((a) => `--${cs}\r\n${a}`), `--${cs}--`].join('\r\n'));
      continue;
    }
    const r = await run(innerRequest(part.content, base));
    out.push(renderPart(r));
    if (r.status >= 400 && !continueOnError) break;
  }
  const text = `${out.map((p) => `--${batchId}\r\n${p}`).join('\r\n')}\r\n--${batchId}--\r\n`;
  return { status: 200, raw: text, headers: { 'Content-Type': `multipart/mixed; boundary=${batchId}` } };
}
