/**
 * The sandbox's Dataverse organization in memory: rows per table, the org-wide row version (Dataverse's
 * `versionnumber` is a rowversion, one counter for the whole database, which change tracking also reads),
 * tombstones of deleted rows for change tracking, and the alternate-key index. Rows are immutable objects
 * (a write replaces one), so a changeset can be rolled back by restoring a shallow snapshot.
 *
 * Sources: "Perform conditional operations using the Web API" (the etag is the row version); "Use change
 * tracking to synchronize data with external systems" (deleted rows reported once after deletion; retention
 * ExpireChangeTrackingInDays, 7 days by default); "Define alternate keys for a table" (unique values).
 */
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../salesforce/clock';
import { duplicateKey } from './errors';
import { TABLES, type TableDef } from './schema';

export type Scalar = string | number | boolean | null;
export interface LookupValue {
  id: string;
  table: string;
}

export interface Row {
  id: string;
  /** Non-lookup columns by logical name (datetimes as whole-second ISO strings, `…Z`). */
  values: Record<string, Scalar>;
  lookups: Record<string, LookupValue>;
  version: number;
}

export interface Tombstone {
  id: string;
  version: number;
  deletedAt: string;
}

/** The first row version of a fresh org; Dataverse's are six-digit numbers and more [infer]. */
const FIRST_VERSION = 1_000_000;

/** Whole-second ISO without milliseconds, Dataverse's datetime format: `2024-05-01T10:00:00Z`. */
export function dvDateTime(ms: number | string | Date): string {
  if (typeof ms === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(ms)) return ms;
  const t = typeof ms === 'number' ? ms : new Date(ms).getTime();
  return new Date(t - (((t % 1000) + 1000) % 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const newGuid = () => randomUUID();

export class TableStore {
  rows = new Map<string, Row>();
  tombstones: Tombstone[] = [];
  /** Alternate key values (lower-cased, joined) → row ID, per key. */
  keys = new Map<string, Map<string, string>>();

  constructor(readonly def: TableDef) {
    for (const key of def.alternateKeys) this.keys.set(key.logicalName, new Map());
  }

  keyValue(columns: string[], values: Record<string, Scalar>): string | undefined {
    const parts = columns.map((c) => values[c]);
    if (parts.some((p) => p === null || p === undefined || p === '')) return undefined;
    return parts.map((p) => String(p).toLowerCase()).join('\u0000');
  }

  /** The row an alternate key names (`{accountnumber: 'A-1'}`). */
  findByKey(values: Record<string, Scalar>): Row | undefined {
    for (const key of this.def.alternateKeys) {
      if (key.columns.length !== Object.keys(values).length || !key.columns.every((c) => c in values)) continue;
      const k = this.keyValue(key.columns, values);
      const id = k === undefined ? undefined : this.keys.get(key.logicalName)?.get(k);
      return id ? this.rows.get(id) : undefined;
    }
    return undefined;
  }

  hasKey(columns: string[]): boolean {
    return this.def.alternateKeys.some((k) => k.columns.length === columns.length && k.columns.every((c) => columns.includes(c)));
  }

  /** Throws Dataverse's duplicate-key error when `row` would share an alternate key with another row. */
  checkKeys(row: Row): void {
    for (const key of this.def.alternateKeys) {
      const k = this.keyValue(key.columns, row.values);
      const holder = k === undefined ? undefined : this.keys.get(key.logicalName)?.get(k);
      if (holder && holder !== row.id) throw duplicateKey(key.displayName);
    }
  }

  index(before: Row | undefined, after: Row | undefined): void {
    for (const key of this.def.alternateKeys) {
      const map = this.keys.get(key.logicalName);
      if (!map) continue;
      const old = before ? this.keyValue(key.columns, before.values) : undefined;
      if (old !== undefined && map.get(old) === before?.id) map.delete(old);
      const now = after ? this.keyValue(key.columns, after.values) : undefined;
      if (now !== undefined && after) map.set(now, after.id);
    }
  }
}

export interface OrgSnapshot {
  version: number;
  tables: Map<string, { rows: Map<string, Row>; tombstones: Tombstone[]; keys: Map<string, Map<string, string>> }>;
}

export class Org {
  version = FIRST_VERSION;
  tables = new Map<string, TableStore>();
  /** ChangeTrackingEnabled per table (the admin API can switch it). */
  changeTracking = new Map<string, boolean>();
  /** Bumped on every change, so persistence knows when to save. */
  changeCount = 0;

  constructor(
    readonly clock: SandboxClock,
    /** The application user the client credentials act as (createdby/modifiedby of API writes). */
    readonly appUserId: string,
  ) {
    this.reset();
  }

  reset(): void {
    this.version = FIRST_VERSION;
    this.tables = new Map(TABLES.map((t) => [t.logicalName, new TableStore(t)]));
    this.changeTracking = new Map(TABLES.map((t) => [t.logicalName, t.changeTracking]));
    this.changeCount++;
  }

  store(logicalName: string): TableStore {
    const store = this.tables.get(logicalName);
    if (!store) throw new Error(`no table ${logicalName}`);
    return store;
  }

  now(): string {
    return dvDateTime(this.clock.nowMs());
  }

  nextVersion(): number {
    return ++this.version;
  }

  /** Computed columns: fullname of contacts and users is first name and last name. */
  private computed(def: TableDef, values: Record<string, Scalar>): Record<string, Scalar> {
    if (def.logicalName !== 'contact' && def.logicalName !== 'systemuser') return values;
    const full = [values['firstname'], values['lastname']].filter((v) => typeof v === 'string' && v !== '').join(' ');
    values['fullname'] = full === '' ? null : full;
    return values;
  }

  /** Creates a row; `at` is its createdon/modifiedon (default now), `by` its createdby (default the app user). */
  insert(logicalName: string, id: string, values: Record<string, Scalar>, lookups: Record<string, LookupValue>, opts: { at?: string; by?: string } = {}): Row {
    const store = this.store(logicalName);
    const def = store.def;
    const at = opts.at ? dvDateTime(opts.at) : this.now();
    const user: LookupValue = { id: opts.by ?? this.appUserId, table: 'systemuser' };
    const rowLookups: Record<string, LookupValue> = { createdby: user, modifiedby: user };
    for (const k in lookups) rowLookups[k] = lookups[k] as LookupValue;
    const rowValues: Record<string, Scalar> = def.byName.has('statecode') ? { statecode: 0, statuscode: 1 } : {};
    for (const k in values) rowValues[k] = values[k] as Scalar;
    rowValues['createdon'] = at;
    rowValues['modifiedon'] = at;
    if (def.byName.has('ownerid')) {
      rowLookups['ownerid'] ??= user;
      rowLookups['owninguser'] = rowLookups['ownerid'];
    }
    const row: Row = { id, values: this.computed(def, rowValues), lookups: rowLookups, version: this.nextVersion() };
    if (def.alternateKeys.length) {
      store.checkKeys(row);
      store.index(undefined, row);
    }
    store.rows.set(id, row);
    // A row created again under a deleted ID is no longer reported as deleted.
    if (store.tombstones.length && store.tombstones.some((t) => t.id === id)) store.tombstones = store.tombstones.filter((t) => t.id !== id);
    this.changeCount++;
    return row;
  }

  /** Replaces values of a row (null clears a lookup); bumps its version and modifiedon. */
  update(logicalName: string, row: Row, values: Record<string, Scalar>, lookups: Record<string, LookupValue | null>, opts: { at?: string; by?: string } = {}): Row {
    const store = this.store(logicalName);
    const merged: Record<string, LookupValue> = { ...row.lookups };
    for (const [k, v] of Object.entries(lookups)) {
      if (v) merged[k] = v;
      else delete merged[k];
    }
    if (merged['ownerid']) merged['owninguser'] = merged['ownerid'];
    merged['modifiedby'] = { id: opts.by ?? this.appUserId, table: 'systemuser' };
    const next: Row = {
      id: row.id,
      values: this.computed(store.def, { ...row.values, ...values, modifiedon: opts.at ? dvDateTime(opts.at) : this.now() }),
      lookups: merged,
      version: this.nextVersion(),
    };
    store.checkKeys(next);
    store.rows.set(row.id, next);
    store.index(row, next);
    this.changeCount++;
    return next;
  }

  remove(logicalName: string, row: Row, at?: string): void {
    const store = this.store(logicalName);
    store.rows.delete(row.id);
    store.index(row, undefined);
    store.tombstones.push({ id: row.id, version: this.nextVersion(), deletedAt: at ? dvDateTime(at) : this.now() });
    this.changeCount++;
  }

  /** Drops tombstones older than the retention (they can no longer be asked for). */
  purgeTombstones(cutoffMs: number): void {
    for (const store of this.tables.values()) {
      if (store.tombstones.length && Date.parse(store.tombstones[0]?.deletedAt ?? '') < cutoffMs) store.tombstones = store.tombstones.filter((t) => Date.parse(t.deletedAt) >= cutoffMs);
    }
  }

  snapshot(): OrgSnapshot {
    return {
      version: this.version,
      tables: new Map([...this.tables].map(([name, s]) => [name, { rows: new Map(s.rows), tombstones: [...s.tombstones], keys: new Map([...s.keys].map(([k, m]) => [k, new Map(m)])) }])),
    };
  }

  /** Back to a snapshot (a failed changeset); the version counter is kept, as a rolled-back rowversion is never reused. */
  restore(snapshot: OrgSnapshot): void {
    for (const [name, saved] of snapshot.tables) {
      const store = this.store(name);
      store.rows = saved.rows;
      store.tombstones = saved.tombstones;
      store.keys = saved.keys;
    }
    this.changeCount++;
  }
}
