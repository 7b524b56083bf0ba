/**
 * The query resources: `/query?q=`, `/queryAll?q=` and `/query/<locator>-<offset>`. A query's row set is fixed
 * when it starts (the cursor holds the immutable records it matched), pages are projected lazily, and cursors
 * behave like Salesforce's: batch size from `Sforce-Query-Options` (200..2,000, default 2,000), at most 10 open
 * per user (opening another releases the oldest), released after 15 minutes unused; an unknown or released
 * locator is INVALID_QUERY_LOCATOR.
 */
import { json, type ApiRequest, type Router } from './http';
import { KEY_PREFIX, makeId } from './ids';
import { SalesforceError, type StoredRecord } from './model';
import { compileSoql, executeSoql, projectRecord, type SoqlQuery } from './soql';
import { type Store } from './store';

const DEFAULT_BATCH = 2000;
const MIN_BATCH = 200;
const MAX_BATCH = 2000;
/** "A user can have up to 10 query cursors open at a time." */
export const MAX_OPEN_CURSORS_PER_USER = 10;
/** "A query cursor ... times out after 15 minutes of inactivity." */
export const CURSOR_IDLE_MS = 15 * 60 * 1000;
/** Finished cursors are kept a while for client retries of the last page, but only this many. */
const MAX_FINISHED_CURSORS = 50;

interface Cursor {
  id: string;
  userId: string;
  query: SoqlQuery;
  records: StoredRecord[];
  batchSize: number;
  lastUsedMs: number;
  finished: boolean;
}

export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();
  private sequence = 1;

  constructor(
    private readonly nowMs: () => number,
    private readonly maxOpenPerUser = MAX_OPEN_CURSORS_PER_USER,
  ) {}

  open(userId: string, query: SoqlQuery, records: StoredRecord[], batchSize: number): Cursor {
    this.expire();
    const open = [...this.cursors.values()].filter((c) => c.userId === userId && !c.finished).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const oldest of open.slice(0, Math.max(0, open.length - this.maxOpenPerUser + 1))) this.cursors.delete(oldest.id);
    const cursor: Cursor = { id: makeId(KEY_PREFIX.queryLocator, this.sequence++), userId, query, records, batchSize, lastUsedMs: this.nowMs(), finished: false };
    this.cursors.set(cursor.id, cursor);
    return cursor;
  }

  get(id: string): Cursor | undefined {
    this.expire();
    const cursor = this.cursors.get(id);
    if (cursor) cursor.lastUsedMs = this.nowMs();
    return cursor;
  }

  finish(cursor: Cursor): void {
    cursor.finished = true;
    const finished = [...this.cursors.values()].filter((c) => c.finished);
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_CURSORS))) this.cursors.delete(old.id);
  }

  clear(): void {
    this.cursors.clear();
  }

  get size(): number {
    return this.cursors.size;
  }

  private expire(): void {
    const cutoff = this.nowMs() - CURSOR_IDLE_MS;
    for (const [id, cursor] of this.cursors) if (cursor.lastUsedMs < cutoff) this.cursors.delete(id);
  }
}

/** `Sforce-Query-Options: batchSize=N`: "The default is 2,000; the minimum is 200, and the maximum is 2,000." */
export function batchSizeOf(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const match = /batchSize\s*=\s*(\d+)/i.exec(value);
  if (!match?.[1]) return DEFAULT_BATCH;
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, Number.parseInt(match[1], 10)));
}

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

function page(store: Store, cursor: Cursor, offset: number, apiVersion: string, batchSize: number): QueryPage {
  const end = Math.min(cursor.records.length, offset + batchSize);
  const records = new Array<Record<string, unknown>>(end - offset);
  for (let i = offset; i < end; i++) {
    const record = cursor.records[i];
    if (record) records[i - offset] = projectRecord(cursor.query, record, store, apiVersion);
  }
  const done = end >= cursor.records.length;
  // Key order as Salesforce sends it: totalSize, done, nextRecordsUrl, records.
  return done
    ? { totalSize: cursor.records.length, done: true, records }
    : { totalSize: cursor.records.length, done: false, nextRecordsUrl: `/services/data/v${apiVersion}/query/${cursor.id}-${end}`, records };
}

export function registerQueryRoutes(router: Router, store: Store, cursors: CursorStore): void {
  const start = (req: ApiRequest<unknown>, scanAll: boolean) => {
    const soql = req.query.get('q');
    if (soql === null || soql.trim() === '') throw new SalesforceError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    const query = compileSoql(soql, store);
    if (scanAll) store.purgeRecycleBin();
    const result = executeSoql(query, store, { scanAll });
    if (result.isCount) return json(200, { totalSize: result.totalSize, done: true, records: [] });
    const batchSize = batchSizeOf(req.headers['sforce-query-options']);
    const cursor = cursors.open(req.userId, query, result.records, batchSize);
    const first = page(store, cursor, 0, req.apiVersion, batchSize);
    if (first.done) cursors.finish(cursor);
    return json(200, first);
  };

  router.add('GET', '/services/data/:version/query', (req) => start(req, false));
  router.add('GET', '/services/data/:version/queryAll', (req) => start(req, true));

  const more = (req: ApiRequest<{ locator: string }>) => {
    // jsforce keeps only the last path segment of nextRecordsUrl and always asks /query/, even for queryAll.
    const match = /^(01g[0-9A-Za-z]{15})-(\d+)$/.exec(req.params.locator);
    const cursor = match?.[1] ? cursors.get(match[1]) : undefined;
    const offset = match?.[2] ? Number.parseInt(match[2], 10) : NaN;
    if (!cursor || cursor.userId !== req.userId || !(offset >= 0 && offset <= cursor.records.length)) {
      throw new SalesforceError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    const header = req.headers['sforce-query-options'];
    const result = page(store, cursor, offset, req.apiVersion, header ? batchSizeOf(header) : cursor.batchSize);
    if (result.done) cursors.finish(cursor);
    return json(200, result);
  };
  router.add('GET', '/services/data/:version/query/:locator', more);
  router.add('GET', '/services/data/:version/queryAll/:locator', more);
}
