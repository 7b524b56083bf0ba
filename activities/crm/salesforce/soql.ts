/**
 * The SOQL hubsync sends: what an inbound read selects, its keyset condition after a cursor, and literals.
 *
 * Paging is by keyset, `(SystemModstamp, Id) > cursor` ordered the same way, rather than by query locator:
 * each page is an independent query (locators expire after 15 idle minutes, and a resumed run needs no
 * server-side state), and records sharing a timestamp at a page or run boundary are never skipped (T29).
 */
import type { SyncCursor } from '../../../kernel/cursors';
import type { ReadSpec } from '../connector';

/** Fields every read selects besides the mapping: the record ID, the cursor's stamp and the deletion flag. */
const SYSTEM_FIELDS = ['Id', 'SystemModstamp', 'LastModifiedDate'];

/** Each path once (case-insensitively), system fields first. */
export function selectFields(paths: string[]): string[] {
  const seen = new Set<string>();
  const fields: string[] = [];
  for (const f of [...SYSTEM_FIELDS, ...paths]) {
    if (!seen.has(f.toLowerCase())) {
      seen.add(f.toLowerCase());
      fields.push(f);
    }
  }
  return fields;
}

/** SOQL datetime literal: Salesforce datetimes have whole seconds, and literals take no quotes. */
export function soqlDateTime(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Joins conditions for a WHERE clause, each in its own parentheses. */
export function andConditions(conditions: Array<string | undefined>): string | undefined {
  const present = conditions.filter((c): c is string => Boolean(c && c.trim()));
  return present.length ? present.map((c) => `(${c})`).join(' AND ') : undefined;
}

/**
 * "After the cursor": (SystemModstamp, Id) > (cursor.modifiedAt, cursor.lastId), or SystemModstamp >=
 * cursor.modifiedAt for a cursor without an Id (the start of an incremental run).
 */
export function afterCursor(cursor: SyncCursor): string | undefined {
  if (cursor.modifiedAt && cursor.lastId) {
    return `SystemModstamp > ${soqlDateTime(cursor.modifiedAt)} OR (SystemModstamp = ${soqlDateTime(cursor.modifiedAt)} AND Id > ${soqlString(cursor.lastId)})`;
  }
  if (cursor.modifiedAt) return `SystemModstamp >= ${soqlDateTime(cursor.modifiedAt)}`;
  return undefined;
}

const where = (condition: string | undefined) => (condition ? ` WHERE ${condition}` : '');

export function pageSoql(spec: ReadSpec, cursor: SyncCursor, pageSize: number): string {
  const fields = [...selectFields(spec.paths), 'IsDeleted'];
  return `SELECT ${fields.join(', ')} FROM ${spec.object}${where(andConditions([spec.filter, afterCursor(cursor)]))} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${pageSize}`;
}

export function countSoql(spec: ReadSpec, cursor: SyncCursor): string {
  return `SELECT COUNT() FROM ${spec.object}${where(andConditions([spec.filter, afterCursor(cursor)]))}`;
}

export function byIdsSoql(spec: ReadSpec, ids: string[]): string {
  const fields = [...selectFields(spec.paths), 'IsDeleted'];
  return `SELECT ${fields.join(', ')} FROM ${spec.object}${where(andConditions([spec.filter, `Id IN (${ids.map(soqlString).join(', ')})`]))}`;
}
