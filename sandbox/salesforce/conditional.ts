/**
 * Conditional request headers on sObject Rows (`/sobjects/{type}/{id}`), as Salesforce's REST API Developer
 * Guide describes them on "Conditional Request Headers" (intro_rest_conditional_requests.htm), "Get Records
 * Using sObject Rows" (resources_sobject_retrieve_get.htm) and "Update Records Using sObject Rows"
 * (resources_sobject_retrieve_patch.htm). Paraphrased:
 *
 * - `ETag`: a response header of sObject Rows for Account records only, a hash of the record's content. The
 *   guide's examples look like `"<base64 hash>--gzip"` (older pages: `-gzip`). Here: the base64 SHA-256 of
 *   every stored field of the record, so any change (LastModifiedDate and SystemModstamp included) changes
 *   it, plus the `--gzip` suffix of the examples. It ignores `?fields=` and the API version: one ETag per
 *   record state, so the ETag of a GET with a field list can be sent back on a PATCH.
 * - `If-Match` (ETags, comma-separated, or `*`): the request runs only when the record's ETag is one of
 *   them, else 412 Precondition Failed; it has an effect on Account only.
 * - `If-None-Match`: the reverse; a match makes GET/HEAD answer 304 Not Modified and PATCH 412. Account only.
 * - `If-Modified-Since` (format `EEE, dd MMM yyyy HH:mm:ss z`): GET/HEAD answer 304 unless the record was
 *   modified after that date. Any object.
 * - `If-Unmodified-Since` (same format): 412 when the record was modified after that date. Any object.
 * - A malformed If-Match, If-None-Match or If-Unmodified-Since on PATCH or POST is a 400. The guide names
 *   no other method for that, so on GET/HEAD a malformed value is ignored, which is what HTTP/1.1 (RFC 7232)
 *   asks of a server.
 * - DELETE: the current guide says DELETE is not supported with these headers (the v35.0 and v38.0 pages
 *   still counted DELETE among the 400 cases, and the "Delete Records Using sObject Rows" page still lists
 *   the headers). The sandbox follows the current Conditional Request Headers page: DELETE ignores them,
 *   malformed or not, and deletes unconditionally.
 * - If-Range is not supported: ignored like any header the sandbox does not know.
 *
 * Otherwise the guide says Salesforce follows HTTP/1.1, so evaluation order and comparison are RFC 7232's
 * (sections 2.3.2, 3 and 6): If-Match, or when absent If-Unmodified-Since; then If-None-Match, or when
 * absent (GET/HEAD only) If-Modified-Since. If-Match compares strongly (a `W/` tag never matches),
 * If-None-Match weakly. A trailing `-gzip`/`--gzip` is dropped before comparing, as the compressing front
 * ends that append it do, so a tag matches with or without it.
 *
 * Dates compare at one-second resolution (HTTP dates carry no milliseconds, and Salesforce keeps dateTimes
 * to the second) against the record's LastModifiedDate (SystemModstamp for an object without one): record
 * values, stamped from the sandbox clock when written, never the wall clock.
 *
 * Not documented by Salesforce, so chosen here: the bodies of these 412s and 400s. The sandbox uses its usual
 * error shape, a one-element array: `[{"errorCode": "PRECONDITION_FAILED", "message": ...}]` for 412 and
 * `[{"errorCode": "INVALID_HEADER_VALUE", "message": ...}]` for 400, so jsforce's HttpApiError carries a
 * meaningful `errorCode` (without a message in the body jsforce would report `ERROR_HTTP_412`). A 304 has no
 * body, as the guide says of 304s elsewhere (Describe Global, sObject Describe). The guide documents no
 * `Last-Modified` response header on sObject Rows, so none is sent.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SalesforceError, type StoredRecord } from './model';
import { type ObjectDef } from './schema';

/** The object whose rows carry an ETag and honour If-Match/If-None-Match ("Account records only"). */
const ETAG_OBJECT = 'Account';
const GZIP_SUFFIX = /-{1,2}gzip$/;

/** What a record's preconditions are evaluated against. */
export interface Validators {
  /** Quoted strong ETag; undefined for objects other than Account. */
  etag: string | undefined;
  /** LastModifiedDate in epoch milliseconds; undefined when the object has no such field. */
  lastModifiedMs: number | undefined;
}

export type PreconditionOutcome = 'proceed' | 'not-modified';

export function supportsEtag(object: ObjectDef): boolean {
  return object.name === ETAG_OBJECT;
}

/** The record's ETag: `"<base64 SHA-256 of its stored fields in describe order>--gzip"`. */
export function recordEtag(object: ObjectDef, record: StoredRecord): string {
  const content = JSON.stringify([record.type, object.fields.map((f) => [f.name, record.fields[f.name] ?? null])]);
  return `"${createHash('sha256').update(content).digest('base64')}--gzip"`;
}

export function validatorsOf(object: ObjectDef, record: StoredRecord): Validators {
  const stamp = record.fields['LastModifiedDate'] ?? record.fields['SystemModstamp'];
  const ms = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return { etag: supportsEtag(object) ? recordEtag(object, record) : undefined, lastModifiedMs: Number.isNaN(ms) ? undefined : ms };
}

/** The `ETag` response header of an Account row; none for other objects. */
export function etagHeaders(object: ObjectDef, record: StoredRecord): Record<string, string> | undefined {
  return supportsEtag(object) ? { ETag: recordEtag(object, record) } : undefined;
}

// ---- header parsing ----

interface EntityTag {
  weak: boolean;
  /** The opaque tag without quotes and without a -gzip/--gzip suffix. */
  opaque: string;
}

type TagList = '*' | EntityTag[];

/** RFC 7232 `"*" / 1#entity-tag`; undefined when malformed. */
export function parseEtagList(value: string): TagList | undefined {
  const text = value.trim();
  if (text === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < text.length && chars.includes(text.charAt(i))) i++;
  };
  while (i < text.length) {
    skip(' \t,');
    if (i >= text.length) break;
    let weak = false;
    if (text.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (text.charAt(i) !== '"') return undefined;
    const end = text.indexOf('"', i + 1);
    if (end < 0) return undefined;
    const opaque = text.slice(i + 1, end);
    // etagc: any visible character but DQUOTE (and obs-text); no spaces or controls.
    if (!/^[\x21\x23-\x7e\x80-\uffff]*$/.test(opaque)) return undefined;
    tags.push({ weak, opaque: opaque.replace(GZIP_SUFFIX, '') });
    i = end + 1;
    skip(' \t');
    if (i < text.length && text.charAt(i) !== ',') return undefined;
  }
  return tags.length > 0 ? tags : undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** Zone names Java's `z` reads for the zones HTTP clients send: GMT/UTC and the US ones (hours east of UTC). */
const ZONES: Record<string, number> = { gmt: 0, utc: 0, ut: 0, z: 0, est: -5, edt: -4, cst: -6, cdt: -5, mst: -7, mdt: -6, pst: -8, pdt: -7 };
const HTTP_DATE = /^(?:mon|tue|wed|thu|fri|sat|sun),\s*(\d{1,2})\s+([a-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\S+)$/i;

function zoneOffsetMinutes(zone: string): number | undefined {
  const named = ZONES[zone.toLowerCase()];
  if (named !== undefined) return named * 60;
  // GMT-07:00, UTC+0530, +0100, -7
  const m = /^(?:gmt|utc)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * Parses Salesforce's documented header date format `EEE, dd MMM yyyy HH:mm:ss z` (e.g.
 * `Mon, 30 Nov 2020 08:34:54 MST`, `Wed, 3 Jul 2013 19:43:31 GMT`) to epoch ms; undefined when malformed.
 */
export function parseHttpDate(value: string): number | undefined {
  const m = HTTP_DATE.exec(value.trim());
  if (!m) return undefined;
  const [, dayText, monthText, yearText, hourText, minuteText, secondText, zone] = m;
  const month = MONTHS.indexOf((monthText ?? '').toLowerCase());
  const offset = zoneOffsetMinutes(zone ?? '');
  if (month < 0 || offset === undefined) return undefined;
  const [day, year, hour, minute, second] = [dayText, yearText, hourText, minuteText, secondText].map(Number) as [number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month, day, hour, minute, second);
  // Reject 31 Feb and the like instead of rolling over.
  if (new Date(local).getUTCDate() !== day) return undefined;
  return local - offset * 60_000;
}

// ---- evaluation ----

function header(headers: IncomingHttpHeaders, name: 'if-match' | 'if-none-match' | 'if-modified-since' | 'if-unmodified-since'): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function invalid(name: string, value: string, expected: string): SalesforceError {
  return new SalesforceError(400, 'INVALID_HEADER_VALUE', `The ${name} header value '${value}' is invalid: expected ${expected}`);
}

const ETAG_LIST = 'a comma-separated list of quoted ETags or *';
const DATE_FORMAT = 'a date in the format EEE, dd MMM yyyy HH:mm:ss z';

/**
 * PATCH and POST: 400 for a malformed If-Match, If-None-Match (both only where they have an effect, i.e. on
 * Account) or If-Unmodified-Since. Call before anything is looked up or written.
 */
export function rejectInvalidConditionalHeaders(headers: IncomingHttpHeaders, object: ObjectDef): void {
  if (supportsEtag(object)) {
    for (const name of ['if-match', 'if-none-match'] as const) {
      const value = header(headers, name);
      if (value !== undefined && !parseEtagList(value)) throw invalid(name === 'if-match' ? 'If-Match' : 'If-None-Match', value, ETAG_LIST);
    }
  }
  const since = header(headers, 'if-unmodified-since');
  if (since !== undefined && parseHttpDate(since) === undefined) throw invalid('If-Unmodified-Since', since, DATE_FORMAT);
}

function matches(list: TagList, etag: string, weakComparison: boolean): boolean {
  if (list === '*') return true;
  const current = etag.slice(1, -1).replace(GZIP_SUFFIX, '');
  return list.some((tag) => (weakComparison || !tag.weak) && tag.opaque === current);
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function failed(message: string): SalesforceError {
  return new SalesforceError(412, 'PRECONDITION_FAILED', message);
}

/**
 * Evaluates the preconditions of a GET, HEAD or PATCH on an sObject row against the record's current state:
 * 'proceed', 'not-modified' (GET/HEAD only: answer 304), or throws 412 PRECONDITION_FAILED. Malformed values
 * are skipped here (PATCH has already been refused by rejectInvalidConditionalHeaders).
 */
export function evaluatePreconditions(method: string, headers: IncomingHttpHeaders, current: Validators): PreconditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';
  const ifMatch = current.etag === undefined ? undefined : header(headers, 'if-match');
  const ifMatchList = ifMatch === undefined ? undefined : parseEtagList(ifMatch);
  if (ifMatchList && current.etag !== undefined) {
    if (!matches(ifMatchList, current.etag, false)) throw failed('The If-Match header matches no ETag of the current version of this record');
  } else {
    const since = header(headers, 'if-unmodified-since');
    const date = since === undefined ? undefined : parseHttpDate(since);
    if (date !== undefined && current.lastModifiedMs !== undefined && seconds(current.lastModifiedMs) > seconds(date)) {
      throw failed(`The record was modified after the If-Unmodified-Since date ${since ?? ''}`);
    }
  }

  const ifNoneMatch = current.etag === undefined ? undefined : header(headers, 'if-none-match');
  const ifNoneMatchList = ifNoneMatch === undefined ? undefined : parseEtagList(ifNoneMatch);
  if (ifNoneMatchList && current.etag !== undefined) {
    if (matches(ifNoneMatchList, current.etag, true)) {
      if (safe) return 'not-modified';
      throw failed('The If-None-Match header matches the ETag of the current version of this record');
    }
  } else if (safe) {
    const since = header(headers, 'if-modified-since');
    const date = since === undefined ? undefined : parseHttpDate(since);
    if (date !== undefined && current.lastModifiedMs !== undefined && seconds(current.lastModifiedMs) <= seconds(date)) return 'not-modified';
  }
  return 'proceed';
}
