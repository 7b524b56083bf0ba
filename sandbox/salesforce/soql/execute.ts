/**
 * Running a compiled query: one pass over the object's records (filter), then ORDER BY, OFFSET and LIMIT.
 * The result is the complete, fixed row set; the server pages through it and projects rows lazily with
 * projectRecord, so a 1M-row result costs one scan and one sort, not one JSON object per row up front.
 */
import { type DataSource, type StoredRecord } from '../model';
import { type SoqlQuery } from './compile';
import { sortRecords } from './order';
import { projectNodes } from './project';

export interface SoqlResult {
  /** Rows in the result after OFFSET and LIMIT (for COUNT(), the count). */
  totalSize: number;
  isCount: boolean;
  /** Matched rows in their final order; empty for COUNT(). */
  records: StoredRecord[];
}

export interface ExecuteOptions {
  /** queryAll: include deleted rows (their IsDeleted reads true). */
  scanAll: boolean;
}

export function executeSoql(query: SoqlQuery, ds: DataSource, opts: ExecuteOptions): SoqlResult {
  const predicate = query.filter?.({ ds, now: ds.now() });
  const { offset, limit, isCount } = query;
  const sorted = query.orderBy.length > 0 && !isCount;
  // Without ORDER BY the store's order is the result's order, so the scan can stop once the window is full.
  const wanted = !sorted && limit !== undefined ? offset + limit : Infinity;
  const scanAll = opts.scanAll;

  const matched: StoredRecord[] = [];
  let count = 0;
  for (const record of ds.records(query.object.name)) {
    if (count >= wanted) break;
    if (record.isDeleted && !scanAll) continue;
    if (predicate !== undefined && !predicate(record)) continue;
    count++;
    if (!isCount) matched.push(record);
  }

  const end = limit === undefined ? Infinity : offset + limit;
  if (isCount) return { totalSize: Math.max(0, Math.min(count, end) - offset), isCount: true, records: [] };
  const ordered = sorted ? sortRecords(matched, query.orderBy, ds, end) : matched;
  const records = offset === 0 && end >= ordered.length ? ordered : ordered.slice(offset, end);
  return { totalSize: records.length, isCount: false, records };
}

/** The JSON object for one result row, as the REST query resource returns it. */
export function projectRecord(query: SoqlQuery, record: StoredRecord, ds: DataSource, apiVersion: string): Record<string, unknown> {
  return projectNodes(query.projection, record, ds, apiVersion);
}
