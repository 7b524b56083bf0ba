/**
 * The sandbox org's data: one table per object of immutable records (every write replaces the record object,
 * so query cursors that hold references keep their result set), unique/external-ID indexes, the delete log
 * behind getDeleted, and undo-logged transactions for allOrNone. It is the SOQL engine's DataSource.
 */
import { type SandboxClock } from './clock';
import { IdGenerator, keyPrefixOf, normalizeId } from './ids';
import { type DataSource, type FieldValue, type StoredRecord } from './model';
import { SchemaRegistry, type CustomFieldSpec, type CustomObjectSpec, type FieldDef, type ObjectDef } from './schema';

export type RecordFields = Record<string, FieldValue>;

/**
 * Records are plain objects of one shape per object type (fields always in schema order), so a million of them
 * share hidden classes and stay compact. They are never mutated after this call (readonly by type; not frozen,
 * because freezing a million objects costs seeding time for no protection the types don't already give).
 */
export function makeRecord(type: string, fields: RecordFields): StoredRecord {
  const id = fields['Id'];
  if (typeof id !== 'string') throw new Error(`record of ${type} without Id`);
  return { type, id, isDeleted: fields['IsDeleted'] === true, fields };
}

const blanks = new WeakMap<ObjectDef, { count: number; template: RecordFields }>();

/**
 * A new fields object for `object`: every field in schema order, null (false for checkboxes). Build records
 * from this and only assign existing keys: V8 turns an object that gets many properties added one by one
 * into a slow, three-times-larger dictionary, while a copy of a template keeps the fast, shared shape.
 */
export function blankFields(object: ObjectDef): RecordFields {
  let cached = blanks.get(object);
  if (!cached || cached.count !== object.fields.length) {
    cached = { count: object.fields.length, template: Object.fromEntries(object.fields.map((f) => [f.name, f.type === 'boolean' ? false : null])) };
    blanks.set(object, cached);
  }
  return { ...cached.template };
}

export interface DeletedEntry {
  id: string;
  type: string;
  deletedMs: number;
}

export type SchemaChange = { kind: 'field'; object: string; spec: CustomFieldSpec } | { kind: 'object'; spec: CustomObjectSpec };

interface UndoEntry {
  type: string;
  id: string;
  previous: StoredRecord | undefined;
}

/** How long deleted records stay in the recycle bin (and in getDeleted's log): "15 days". */
export const RECYCLE_BIN_MS = 15 * 24 * 3600 * 1000;

export class Store implements DataSource {
  readonly schema: SchemaRegistry;
  readonly ids: IdGenerator;
  private tables = new Map<string, Map<string, StoredRecord>>();
  /** object → field → normalised value → IDs of live records holding it (unique and external ID fields). */
  private indexes = new Map<string, Map<string, Map<string, string[]>>>();
  deletedLog: DeletedEntry[] = [];
  /** Custom fields and objects in definition order, replayed on load. */
  schemaChanges: SchemaChange[] = [];
  private undo: UndoEntry[] | undefined;
  private undoDeletedLength = 0;
  /** Bumped on every change, so persistence knows when there is something to save. */
  version = 0;

  constructor(readonly clock: SandboxClock, ids = new IdGenerator()) {
    this.schema = new SchemaRegistry();
    this.ids = ids;
    for (const object of this.schema.all()) this.ensureTable(object);
  }

  // ---- DataSource ----

  getObject(name: string): ObjectDef | undefined {
    return this.schema.get(name);
  }

  records(objectName: string): Iterable<StoredRecord> {
    const object = this.schema.get(objectName);
    return object ? (this.tables.get(object.name)?.values() ?? []) : [];
  }

  getRecord(id: string): StoredRecord | undefined {
    // Fast path: stored IDs are canonical, and lookups through reference fields (Owner.Email on every row
    // of a page) pass them as stored.
    const direct = this.schema.byKeyPrefix(id.slice(0, 3));
    const hit = direct ? this.tables.get(direct.name)?.get(id) : undefined;
    if (hit) return hit;
    const canonical = normalizeId(id);
    if (!canonical) return undefined;
    const object = this.schema.byKeyPrefix(keyPrefixOf(canonical));
    return object ? this.tables.get(object.name)?.get(canonical) : undefined;
  }

  now(): Date {
    return this.clock.now();
  }

  // ---- reads ----

  count(objectName: string, includeDeleted = false): number {
    const table = this.tables.get(this.schema.require(objectName).name);
    if (!table) return 0;
    if (includeDeleted) return table.size;
    let n = 0;
    for (const record of table.values()) if (!record.isDeleted) n++;
    return n;
  }

  /** Live records whose `field` equals `value` (case-insensitively unless the field is case-sensitive). */
  findByField(object: ObjectDef, field: FieldDef, value: FieldValue): StoredRecord[] {
    const table = this.tables.get(object.name);
    if (!table || value === null) return [];
    const index = this.indexes.get(object.name)?.get(field.name);
    if (index) {
      const ids = index.get(indexKey(field, value)) ?? [];
      return ids.map((id) => table.get(id)).filter((r): r is StoredRecord => r !== undefined);
    }
    const key = indexKey(field, value);
    const out: StoredRecord[] = [];
    for (const record of table.values()) {
      const v = record.fields[field.name];
      if (!record.isDeleted && v !== null && v !== undefined && indexKey(field, v) === key) out.push(record);
    }
    return out;
  }

  /** Live records of `objectName` whose reference `fieldName` points at `id`. */
  referencing(objectName: string, fieldName: string, id: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const record of this.tables.get(objectName)?.values() ?? []) {
      if (!record.isDeleted && record.fields[fieldName] === id) out.push(record);
    }
    return out;
  }

  *allRecords(): Iterable<StoredRecord> {
    for (const table of this.tables.values()) yield* table.values();
  }

  // ---- writes ----

  /** Inserts or replaces a record (the caller built it: validation and platform fields are dml.ts's job). */
  put(record: StoredRecord): void {
    const object = this.schema.require(record.type);
    const table = this.ensureTable(object);
    const previous = table.get(record.id);
    if (this.undo) this.undo.push({ type: object.name, id: record.id, previous });
    if (previous) this.unindex(object, previous);
    table.set(record.id, record);
    this.index(object, record);
    this.version++;
  }

  /** Removes a record for good (recycle-bin purge, undo of an insert). */
  purge(type: string, id: string): void {
    const object = this.schema.require(type);
    const table = this.tables.get(object.name);
    const previous = table?.get(id);
    if (!table || !previous) return;
    if (this.undo) this.undo.push({ type: object.name, id, previous });
    this.unindex(object, previous);
    table.delete(id);
    this.version++;
  }

  logDeletion(entry: DeletedEntry): void {
    this.deletedLog.push(entry);
    this.version++;
  }

  /** Runs `body` with an undo log: on `rollback()` every put/purge/deletion since `begin()` is reverted. */
  begin(): void {
    if (this.undo) throw new Error('nested transaction');
    this.undo = [];
    this.undoDeletedLength = this.deletedLog.length;
  }

  commit(): void {
    this.undo = undefined;
  }

  rollback(): void {
    const undo = this.undo ?? [];
    this.undo = undefined;
    for (let i = undo.length - 1; i >= 0; i--) {
      const entry = undo[i];
      if (!entry) continue;
      const object = this.schema.require(entry.type);
      const table = this.ensureTable(object);
      const current = table.get(entry.id);
      if (current) this.unindex(object, current);
      if (entry.previous) {
        table.set(entry.id, entry.previous);
        this.index(object, entry.previous);
      } else {
        table.delete(entry.id);
      }
    }
    this.deletedLog.length = this.undoDeletedLength;
    this.version++;
  }

  /** Drops recycle-bin records and delete-log entries older than the 15-day retention. */
  purgeRecycleBin(): void {
    const cutoff = this.clock.nowMs() - RECYCLE_BIN_MS;
    if (!this.deletedLog.some((e) => e.deletedMs < cutoff)) return;
    const keep: DeletedEntry[] = [];
    for (const entry of this.deletedLog) {
      if (entry.deletedMs >= cutoff) keep.push(entry);
      else if (this.getRecord(entry.id)?.isDeleted) this.purge(entry.type, entry.id);
    }
    this.deletedLog = keep;
    this.version++;
  }

  // ---- schema changes ----

  addCustomField(objectName: string, spec: CustomFieldSpec): FieldDef {
    const def = this.schema.addCustomField(objectName, spec);
    const object = this.schema.require(objectName);
    this.schemaChanges.push({ kind: 'field', object: object.name, spec });
    // Existing records get the new field: checkboxes their default (never null), everything else null, and a
    // formula its value right away (Salesforce computes formulas when they are read, so every record has one).
    // Only the field is added: no audit field moves.
    const table = this.ensureTable(object);
    const value: FieldValue = def.type === 'boolean' ? def.defaultValue === true : null;
    const formula = def.formula;
    for (const [id, record] of table) {
      table.set(id, makeRecord(record.type, { ...record.fields, [def.name]: formula ? formula.evaluate(record.fields) : value }));
    }
    if (def.unique || def.externalId) this.rebuildIndex(object, def);
    this.version++;
    return def;
  }

  addCustomObject(spec: CustomObjectSpec): ObjectDef {
    const object = this.schema.addCustomObject({ ...spec, fields: [] });
    this.schemaChanges.push({ kind: 'object', spec: { ...spec, fields: [] } });
    this.ensureTable(object);
    for (const fieldSpec of spec.fields ?? []) this.addCustomField(object.name, fieldSpec);
    this.version++;
    return object;
  }

  // ---- internals ----

  private ensureTable(object: ObjectDef): Map<string, StoredRecord> {
    let table = this.tables.get(object.name);
    if (!table) {
      table = new Map();
      this.tables.set(object.name, table);
      for (const f of object.fields) if (f.unique || f.externalId) this.rebuildIndex(object, f);
    }
    return table;
  }

  private rebuildIndex(object: ObjectDef, field: FieldDef): void {
    let byField = this.indexes.get(object.name);
    if (!byField) {
      byField = new Map();
      this.indexes.set(object.name, byField);
    }
    const index = new Map<string, string[]>();
    byField.set(field.name, index);
    for (const record of this.tables.get(object.name)?.values() ?? []) addToIndex(index, field, record);
  }

  private index(object: ObjectDef, record: StoredRecord): void {
    const byField = this.indexes.get(object.name);
    if (!byField) return;
    for (const [name, index] of byField) {
      const f = this.schema.field(object, name);
      if (f) addToIndex(index, f, record);
    }
  }

  private unindex(object: ObjectDef, record: StoredRecord): void {
    const byField = this.indexes.get(object.name);
    if (!byField) return;
    for (const [name, index] of byField) {
      const f = this.schema.field(object, name);
      const value = record.fields[name];
      if (!f || value === null || value === undefined) continue;
      const key = indexKey(f, value);
      const ids = index.get(key)?.filter((id) => id !== record.id) ?? [];
      if (ids.length) index.set(key, ids);
      else index.delete(key);
    }
  }
}

function indexKey(field: FieldDef, value: FieldValue): string {
  const s = String(value);
  return field.caseSensitive ? s : s.toLowerCase();
}

function addToIndex(index: Map<string, string[]>, field: FieldDef, record: StoredRecord): void {
  const value = record.fields[field.name];
  if (record.isDeleted || value === null || value === undefined) return;
  const key = indexKey(field, value);
  const ids = index.get(key);
  if (!ids) index.set(key, [record.id]);
  else if (!ids.includes(record.id)) ids.push(record.id);
}
