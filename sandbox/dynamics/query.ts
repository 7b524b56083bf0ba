/**
 * Reading rows: `GET accounts?$select&$filter&$orderby&$top&$count&$expand`, one row by ID or alternate key,
 * server-driven paging (`Prefer: odata.maxpagesize`, `@odata.nextLink` with a `$skiptoken` paging cookie) and
 * change tracking (`Prefer: odata.track-changes`, `@odata.deltaLink`, `$deltatoken`, deleted rows as
 * `$deletedEntity`).
 *
 * Sources:
 * - "Page results using OData": 5,000 rows per page by default and at most; larger maxpagesize values are
 *   ignored; no $skip; the nextLink carries a `$skiptoken` paging cookie (`<cookie pagenumber="2"
 *   pagingcookie="…" istracking="False" />`); `Preference-Applied: odata.maxpagesize=N`. With both $top and
 *   maxpagesize, $top is ignored (contract §3.2, from the same page).
 * - "Count number of rows": `$count=true` gives `@odata.count`, at most 5,000; the
 *   `Microsoft.Dynamics.CRM.totalrecordcount`/`totalrecordcountlimitexceeded` annotations say more exist.
 * - "Use change tracking to synchronize data with external systems": the initial request returns every row and
 *   a deltaLink (`…?$select=…&$deltatoken=919042!08/22/2017 08:10:44`); a delta returns new or updated rows
 *   (sorted by version) then deleted ones (`{"@odata.context": "…$metadata#accounts/$deletedEntity", id,
 *   reason: "deleted"}`), paged past 5,000, with context `…#accounts(…)/$delta` and a new deltaLink;
 *   $filter/$orderby/$expand/$top are refused; changes older than ExpireChangeTrackingInDays (7 by default)
 *   give ExpiredVersionStamp.
 * - "Perform conditional operations": `If-None-Match: W/"v"` on a retrieve answers 304 when unchanged.
 * - [infer] Rows without $orderby come in primary-key order; the sandbox pages them by key (a row deleted
 *   between pages does not shift the next page), ordered results by position.
 */
import { changeTrackingDisabled, DataverseError, expiredDeltaToken, keyNotFound, rowNotFound, syntaxError, trackChangesOption, unknownProperty } from './errors';
import { evaluate, parseFilter, type Edm, type FilterExpr } from './filter';
import { ok, type DvRequest, type DvResponse, type KeyPredicate, type Prefer } from './http';
import type { Org, Row, TableStore } from './org';
import { columnValue, contextSelection, projection, renderRow, type Projection } from './render';
import { columnOfProperty, propertyName, type ColumnDef, type TableDef } from './schema';

export const MAX_PAGE_SIZE = 5000;
const COUNT_LIMIT = 5000;
const TOTAL_COUNT = 'Microsoft.Dynamics.CRM.totalrecordcount';
const TOTAL_COUNT_EXCEEDED = 'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded';

export interface ApiContext {
  org: Org;
  /** `{serverUrl}/api/data/v9.2/`, the prefix every link begins with (the client strips exactly it). */
  base: () => string;
  /** ExpireChangeTrackingInDays. */
  changeRetentionDays: () => number;
}

const EDM: Record<ColumnDef['type'], Edm> = {
  Uniqueidentifier: 'Edm.Guid',
  String: 'Edm.String',
  Memo: 'Edm.String',
  MultiSelectPicklist: 'Edm.String',
  Integer: 'Edm.Int32',
  Picklist: 'Edm.Int32',
  State: 'Edm.Int32',
  Status: 'Edm.Int32',
  BigInt: 'Edm.Int64',
  Money: 'Edm.Decimal',
  DateTime: 'Edm.DateTimeOffset',
  Boolean: 'Edm.Boolean',
  Lookup: 'Edm.Guid',
  Owner: 'Edm.Guid',
  Customer: 'Edm.Guid',
  Virtual: 'Edm.String',
};

function column(table: TableDef, name: string): ColumnDef {
  const c = columnOfProperty(table, name);
  if (!c) throw unknownProperty(name, table.logicalName);
  return c;
}

export function tableFilter(table: TableDef, text: string): FilterExpr {
  return parseFilter(text, (name) => EDM[column(table, name).type]);
}

function matches(table: TableDef, expr: FilterExpr, row: Row): boolean {
  return evaluate(expr, (name) => columnValue(table, column(table, name), row));
}

type Order = { column: ColumnDef; desc: boolean }[];

function parseOrderBy(table: TableDef, text: string | null): Order {
  if (!text) return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [name = '', dir, ...rest] = item.split(/\s+/);
      if (rest.length || (dir && dir !== 'asc' && dir !== 'desc')) throw syntaxError(`Syntax error at position ${item.length} in '${text}'.`);
      return { column: column(table, name), desc: dir === 'desc' };
    });
}

function compareValues(a: unknown, b: unknown): number {
  // NULL sorts first ascending, as in SQL Server.
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortRows(table: TableDef, rows: Row[], order: Order): Row[] {
  return rows.sort((r1, r2) => {
    for (const { column: c, desc } of order) {
      const d = compareValues(columnValue(table, c, r1), columnValue(table, c, r2));
      if (d !== 0) return desc ? -d : d;
    }
    return r1.id < r2.id ? -1 : r1.id > r2.id ? 1 : 0;
  });
}

// Paging cookies -------------------------------------------------------------------------------------------

interface Cookie {
  page: number;
  last?: string;
  snapshot?: number;
  lastVersion?: number;
  phase?: number;
  tracking: boolean;
}

const braced = (id: string) => `{${id.toUpperCase()}}`;

function encodeCookie(table: TableDef, c: Cookie, first: string | undefined): string {
  const extra = [c.snapshot !== undefined ? ` snapshot="${c.snapshot}"` : '', c.lastVersion !== undefined ? ` lastversion="${c.lastVersion}"` : '', c.phase !== undefined ? ` phase="${c.phase}"` : ''].join('');
  const inner = `<cookie page="${c.page - 1}"${extra}><${table.primaryId} last="${braced(c.last ?? '')}" first="${braced(first ?? '')}" /></cookie>`;
  return `<cookie pagenumber="${c.page}" pagingcookie="${encodeURIComponent(encodeURIComponent(inner))}" istracking="${c.tracking ? 'True' : 'False'}" />`;
}

function decodeCookie(text: string): Cookie {
  const page = /pagenumber="(\d+)"/.exec(text)?.[1];
  const enc = /pagingcookie="([^"]*)"/.exec(text)?.[1];
  if (!page || enc === undefined) throw syntaxError(`The $skiptoken value '${text}' is not valid.`);
  let inner: string;
  try {
    inner = decodeURIComponent(decodeURIComponent(enc));
  } catch {
    throw syntaxError(`The $skiptoken value '${text}' is not valid.`);
  }
  const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(inner)?.[1];
  const num = (name: string) => (attr(name) === undefined ? undefined : Number(attr(name)));
  const last = attr('last')?.replace(/[{}]/g, '').toLowerCase();
  const c: Cookie = { page: Number(page), tracking: /istracking="True"/.test(text) };
  if (last) c.last = last;
  const snapshot = num('snapshot');
  const lastVersion = num('lastversion');
  const phase = num('phase');
  if (snapshot !== undefined) c.snapshot = snapshot;
  if (lastVersion !== undefined) c.lastVersion = lastVersion;
  if (phase !== undefined) c.phase = phase;
  return c;
}

/** The raw query options minus the ones named (kept verbatim, as Dataverse's links repeat them). */
function keptOptions(rawQuery: string, drop: string[]): string[] {
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .filter((p) => !drop.includes(decodeURIComponent(p.split('=')[0] ?? '')));
}

const linkEncode = (s: string) => encodeURIComponent(s).replace(/!/g, '%21');

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** The delta token: `<version>!<MM/DD/YYYY HH:mm:ss>` (UTC), as in the change-tracking page's example. */
function deltaToken(version: number, ms: number): string {
  const d = new Date(ms);
  return `${version}!${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function parseDeltaToken(token: string): { version: number; issuedMs: number } {
  const m = /^(\d+)!(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(token);
  if (!m) throw syntaxError(`The $deltatoken value '${token}' is not valid.`);
  const [, v, mo, d, y, h, mi, s] = m.map(Number) as number[];
  return { version: v as number, issuedMs: Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) };
}

function pageSize(prefer: Prefer): number {
  return Math.min(prefer.maxPageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
}

function preferenceApplied(prefer: Prefer, extra: string[] = []): Record<string, string> {
  const applied = [...(prefer.annotations !== undefined ? [`odata.include-annotations="${prefer.annotations}"`] : []), ...(prefer.maxPageSize !== undefined ? [`odata.maxpagesize=${prefer.maxPageSize}`] : []), ...extra];
  return applied.length ? { 'Preference-Applied': applied.join(',') } : {};
}

const SUPPORTED = new Set(['$select', '$filter', '$orderby', '$top', '$count', '$expand', '$skiptoken', '$deltatoken']);

function checkOptions(query: URLSearchParams): void {
  for (const name of query.keys()) {
    if (name.startsWith('$') && !SUPPORTED.has(name)) throw syntaxError(`The query parameter ${name} is not supported`);
  }
}

// Lists ----------------------------------------------------------------------------------------------------

export function listRows(ctx: ApiContext, store: TableStore, req: DvRequest, prefer: Prefer): DvResponse {
  const table = store.def;
  const { query } = req;
  checkOptions(query);
  const deltaText = query.get('$deltatoken');
  if (prefer.trackChanges || deltaText !== null) {
    if (!ctx.org.changeTracking.get(table.logicalName)) throw changeTrackingDisabled(table.logicalName);
    for (const option of ['$filter', '$orderby', '$expand', '$top']) if (query.has(option)) throw trackChangesOption(option);
  }
  const p = projection(table, query, prefer.annotations);
  const skip = query.get('$skiptoken');
  const cookie = skip === null ? undefined : decodeCookie(skip);
  if (deltaText !== null) return delta(ctx, store, req, prefer, p, deltaText, cookie);
  if (prefer.trackChanges || cookie?.tracking) return trackedInitial(ctx, store, req, prefer, p, cookie);

  const filterText = query.get('$filter');
  const filter = filterText === null ? undefined : tableFilter(table, filterText);
  const order = parseOrderBy(table, query.get('$orderby'));
  let rows = [...store.rows.values()];
  if (filter) rows = rows.filter((r) => matches(table, filter, r));
  rows = sortRows(table, rows, order);
  const total = rows.length;
  const topText = query.get('$top');
  if (topText !== null) {
    const top = Number(topText);
    if (!Number.isInteger(top) || top < 0) throw syntaxError(`Invalid value '${topText}' for $top query option found. The $top query option requires a non-negative integer value.`);
    if (prefer.maxPageSize === undefined) rows = rows.slice(0, top);
  }
  const size = pageSize(prefer);
  let start = 0;
  if (cookie) {
    if (order.length === 0 && cookie.last) start = rows.findIndex((r) => r.id > (cookie.last as string));
    else {
      const at = cookie.last ? rows.findIndex((r) => r.id === cookie.last) : -1;
      start = at >= 0 ? at + 1 : (cookie.page - 1) * size;
    }
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + size);
  const body: Record<string, unknown> = { '@odata.context': `${ctx.base()}$metadata#${table.entitySetName}${contextSelection(p)}` };
  if (query.get('$count') === 'true') {
    body['@odata.count'] = Math.min(total, COUNT_LIMIT);
    if (p.annotate(TOTAL_COUNT)) body[`@${TOTAL_COUNT}`] = total > COUNT_LIMIT ? -1 : total;
    if (p.annotate(TOTAL_COUNT_EXCEEDED)) body[`@${TOTAL_COUNT_EXCEEDED}`] = total > COUNT_LIMIT;
  }
  body['value'] = page.map((r) => renderRow(ctx.org, p, r));
  if (start + size < rows.length) {
    const next = encodeCookie(table, { page: (cookie?.page ?? 1) + 1, last: page[page.length - 1]?.id as string, tracking: false }, page[0]?.id);
    body['@odata.nextLink'] = `${ctx.base()}${table.entitySetName}?${[...keptOptions(req.rawQuery, ['$skiptoken']), `$skiptoken=${linkEncode(next)}`].join('&')}`;
  }
  return ok(body, preferenceApplied(prefer));
}

function selectOption(req: DvRequest): string[] {
  return keptOptions(req.rawQuery, ['$skiptoken', '$deltatoken', '$filter', '$orderby', '$expand', '$top', '$count']).filter((p) => decodeURIComponent(p.split('=')[0] ?? '') === '$select');
}

function deltaLink(ctx: ApiContext, table: TableDef, req: DvRequest, version: number): string {
  return `${ctx.base()}${table.entitySetName}?${[...selectOption(req), `$deltatoken=${linkEncode(deltaToken(version, ctx.org.clock.nowMs()))}`].join('&')}`;
}

/** The first change-tracking request: every row up to the version current at its first page, in version order. */
function trackedInitial(ctx: ApiContext, store: TableStore, req: DvRequest, prefer: Prefer, p: Projection, cookie: Cookie | undefined): DvResponse {
  const table = store.def;
  const snapshot = cookie?.snapshot ?? ctx.org.version;
  const after = cookie?.lastVersion ?? 0;
  const rows = [...store.rows.values()].filter((r) => r.version <= snapshot && r.version > after).sort((a, b) => a.version - b.version);
  const size = pageSize(prefer);
  const page = rows.slice(0, size);
  const body: Record<string, unknown> = { '@odata.context': `${ctx.base()}$metadata#${table.entitySetName}${contextSelection(p)}`, value: page.map((r) => renderRow(ctx.org, p, r)) };
  if (rows.length > size) {
    const last = page[page.length - 1] as Row;
    const next = encodeCookie(table, { page: (cookie?.page ?? 1) + 1, last: last.id, snapshot, lastVersion: last.version, tracking: true }, page[0]?.id);
    body['@odata.nextLink'] = `${ctx.base()}${table.entitySetName}?${[...selectOption(req), `$skiptoken=${linkEncode(next)}`].join('&')}`;
  } else body['@odata.deltaLink'] = deltaLink(ctx, table, req, snapshot);
  return ok(body, preferenceApplied(prefer, ['odata.track-changes']));
}

/** A delta: rows changed after the token's version, then rows deleted after it, up to the version current at its first page. */
function delta(ctx: ApiContext, store: TableStore, req: DvRequest, prefer: Prefer, p: Projection, tokenText: string, cookie: Cookie | undefined): DvResponse {
  const table = store.def;
  const token = parseDeltaToken(tokenText);
  const retentionMs = ctx.changeRetentionDays() * 86_400_000;
  const now = ctx.org.clock.nowMs();
  if (now - token.issuedMs > retentionMs || token.version > ctx.org.version) throw expiredDeltaToken();
  ctx.org.purgeTombstones(now - retentionMs);
  const upTo = cookie?.snapshot ?? ctx.org.version;
  const phase = cookie?.phase ?? 0;
  const lastVersion = cookie?.lastVersion ?? token.version;
  type Item = { phase: number; version: number; id: string; row?: Row };
  const items: Item[] = [];
  if (phase === 0) {
    for (const r of store.rows.values()) if (r.version > lastVersion && r.version <= upTo) items.push({ phase: 0, version: r.version, id: r.id, row: r });
    items.sort((a, b) => a.version - b.version);
  }
  const deletedAfter = phase === 0 ? token.version : lastVersion;
  const deletes = store.tombstones.filter((t) => t.version > deletedAfter && t.version <= upTo).sort((a, b) => a.version - b.version);
  for (const t of deletes) items.push({ phase: 1, version: t.version, id: t.id });
  const size = pageSize(prefer);
  const page = items.slice(0, size);
  const deleted = `${ctx.base()}$metadata#${table.entitySetName}/$deletedEntity`;
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.base()}$metadata#${table.entitySetName}${contextSelection(p)}/$delta`,
    value: page.map((i) => (i.row ? renderRow(ctx.org, p, i.row) : { '@odata.context': deleted, id: i.id, reason: 'deleted' })),
  };
  if (items.length > size) {
    const last = page[page.length - 1] as Item;
    const next = encodeCookie(table, { page: (cookie?.page ?? 1) + 1, last: last.id, snapshot: upTo, lastVersion: last.version, phase: last.phase, tracking: true }, page[0]?.id);
    body['@odata.nextLink'] = `${ctx.base()}${table.entitySetName}?${[...selectOption(req), `$deltatoken=${linkEncode(tokenText)}`, `$skiptoken=${linkEncode(next)}`].join('&')}`;
  } else body['@odata.deltaLink'] = deltaLink(ctx, table, req, upTo);
  return ok(body, preferenceApplied(prefer));
}

/** `GET accounts/$count[?$filter=…]`: the number as text/plain, at most 5,000 ("Count number of rows"). */
export function countRows(store: TableStore, req: DvRequest): DvResponse {
  const filterText = req.query.get('$filter');
  const filter = filterText === null ? undefined : tableFilter(store.def, filterText);
  let n = 0;
  for (const r of store.rows.values()) if (!filter || matches(store.def, filter, r)) n++;
  return { status: 200, raw: String(Math.min(n, COUNT_LIMIT)), headers: { 'Content-Type': 'text/plain' } };
}

// One row --------------------------------------------------------------------------------------------------

/** The row a key predicate names, or undefined; throws for an alternate key the table does not define. */
export function findRow(store: TableStore, key: KeyPredicate): Row | undefined {
  if ('id' in key) return store.rows.get(key.id);
  if ('alternate' in key) {
    const names = Object.keys(key.alternate);
    if (!store.hasKey(names)) throw new DataverseError(400, '0x80060888', `The key '${names.join(',')}' is not defined as an alternate key for entity ${store.def.logicalName}.`);
    return store.findByKey(key.alternate);
  }
  return undefined;
}

export function notFound(store: TableStore, key: KeyPredicate): DataverseError {
  return 'id' in key ? rowNotFound(store.def.logicalName, key.id) : keyNotFound(store.def.logicalName);
}

export function retrieveRow(ctx: ApiContext, store: TableStore, key: KeyPredicate, req: DvRequest, prefer: Prefer): DvResponse {
  const table = store.def;
  for (const name of req.query.keys()) if (name.startsWith('$') && name !== '$select' && name !== '$expand') throw syntaxError(`The query parameter ${name} is not supported`);
  const p = projection(table, req.query, prefer.annotations);
  const row = findRow(store, key);
  if (!row) throw notFound(store, key);
  const etag = `W/"${row.version}"`;
  if (req.headers['if-none-match'] === etag) return { status: 304, headers: { ETag: etag } };
  return ok(renderRow(ctx.org, p, row, { '@odata.context': `${ctx.base()}$metadata#${table.entitySetName}${contextSelection(p)}/$entity` }), { ETag: etag, ...preferenceApplied(prefer) });
}

/** The representation a write returns under `Prefer: return=representation`. */
export function representation(ctx: ApiContext, store: TableStore, row: Row, req: DvRequest, prefer: Prefer): Record<string, unknown> {
  const p = projection(store.def, req.query, prefer.annotations);
  return renderRow(ctx.org, p, row, { '@odata.context': `${ctx.base()}$metadata#${store.def.entitySetName}${contextSelection(p)}/$entity` });
}

export { propertyName };
