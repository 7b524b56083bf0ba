/**
 * Record writes as Salesforce validates and applies them: deserialisation (unknown field → INVALID_FIELD,
 * type mismatch → JSON_PARSER_ERROR, both failing the whole request), then per record: read-only fields
 * (formula fields among them), values (lengths, restricted picklists, e-mails, numeric ranges, references),
 * required fields, platform fields, formula values, uniqueness, audit fields. Records are never mutated: every
 * write stores a new record object.
 */
import { wholeSecondIso } from './clock';
import { type FaultInjector, type DmlOperation } from './faults';
import { applyFormulas } from './formula';
import { keyPrefixOf, normalizeId } from './ids';
import { SalesforceError, type FieldValue, type StoredRecord } from './model';
import { applyPlatformFields } from './platform';
import { type FieldDef, type ObjectDef } from './schema';
import { blankFields, makeRecord, type RecordFields, type Store } from './store';
import { coerceInput, RecordError } from './values';
import { isPlainObject } from './http';

export interface DmlContext {
  store: Store;
  faults: FaultInjector;
  /** The running user: owner by default, CreatedById/LastModifiedById. */
  userId: string;
}

export interface ParsedInput {
  object: ObjectDef;
  /** Values by canonical field name, already deserialised. */
  values: Map<string, { field: FieldDef; value: FieldValue }>;
  /** Lookups given by the parent's external ID: `"Account": {"Ext__c": "A-1"}`. */
  parents: Array<{ field: FieldDef; target: Record<string, unknown> }>;
  /** An `Id` in the body (forbidden on create; must match on update). */
  id: string | undefined;
}

const READ_ONLY_MESSAGE = 'Please check the security settings of this field and verify that it is read/write for your profile or permission set.';

/** Deserialises a record body for `object`; throws whole-request errors (INVALID_FIELD, JSON_PARSER_ERROR). */
export function parseInput(store: Store, object: ObjectDef, body: Record<string, unknown>): ParsedInput {
  const parsed: ParsedInput = { object, values: new Map(), parents: [], id: undefined };
  for (const [key, raw] of Object.entries(body)) {
    if (key === 'attributes') continue;
    const field = store.schema.field(object, key);
    if (field?.name === 'Id') {
      parsed.id = typeof raw === 'string' ? raw : undefined;
      continue;
    }
    if (field) {
      parsed.values.set(field.name, { field, value: coerceInput(field, raw) });
      continue;
    }
    const lookup = object.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === key.toLowerCase());
    if (lookup && isPlainObject(raw)) {
      parsed.parents.push({ field: lookup, target: raw });
      continue;
    }
    throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`);
  }
  return parsed;
}

function lockError(id: string | undefined): RecordError {
  // The message Salesforce gives when a row lock times out.
  return new RecordError(400, 'UNABLE_TO_LOCK_ROW', id ? `unable to obtain exclusive access to this record or 1 records: ${id}` : 'unable to obtain exclusive access to this record', []);
}

function checkLock(ctx: DmlContext, operation: DmlOperation, object: ObjectDef, id: string | undefined): void {
  if (ctx.faults.recordLocked(operation, object.name)) throw lockError(id);
}

/** SystemModstamp never goes backwards for a record, even if the sandbox clock does (whole seconds). */
function nextStamp(store: Store, previous: FieldValue | undefined): string {
  const now = Date.parse(wholeSecondIso(store.clock.nowMs()));
  const prev = typeof previous === 'string' ? Date.parse(previous) : -Infinity;
  return new Date(Math.max(now, prev)).toISOString();
}

export function createRecord(ctx: DmlContext, parsed: ParsedInput, operation: DmlOperation = 'create'): StoredRecord {
  const { store } = ctx;
  const object = parsed.object;
  if (!object.createable) throw new RecordError(400, 'INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${object.label}`, []);
  checkLock(ctx, operation, object, undefined);
  if (parsed.id !== undefined) {
    throw new RecordError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']);
  }
  rejectReadOnly(parsed, (f) => f.createable);

  const nowIso = wholeSecondIso(store.clock.nowMs());
  const id = store.ids.newId(object.keyPrefix);
  const fields = blankFields(object);
  for (const f of object.fields) {
    const given = parsed.values.get(f.name);
    if (given && !(given.value === null && !f.nillable && f.defaultedOnCreate)) fields[f.name] = given.value;
    else if (f.name === 'Id') fields[f.name] = id;
    else if (f.name === 'OwnerId') fields[f.name] = ctx.userId;
    else if (f.defaultValue !== null) fields[f.name] = f.defaultValue;
    else fields[f.name] = f.type === 'boolean' ? false : null;
  }
  fields['IsDeleted'] = false;
  setAudit(fields, ctx.userId, nowIso, true);

  const provided = new Set(parsed.values.keys());
  validateValues(store, object, fields, provided);
  resolveParents(store, parsed, fields, provided);
  requireFields(object, fields, (f) => f.createable && !f.defaultedOnCreate);
  applyPlatformFields({ store, object, fields, previous: undefined, provided, nowIso });
  // Formula values follow the saved values (platform fields included); they add no write of their own.
  applyFormulas(object.fields, fields);
  checkOwner(store, object, fields, provided, true);
  checkUnique(store, object, fields, undefined);
  const record = makeRecord(object.name, fields);
  store.put(record);
  return record;
}

export function updateRecord(ctx: DmlContext, existing: StoredRecord, parsed: ParsedInput, operation: DmlOperation = 'update'): StoredRecord {
  const { store } = ctx;
  const object = parsed.object;
  if (existing.isDeleted) throw new RecordError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
  if (!object.updateable) throw new RecordError(400, 'INVALID_TYPE_FOR_OPERATION', `entity type cannot be updated: ${object.label}`, []);
  checkLock(ctx, operation, object, existing.id);
  if (parsed.id !== undefined && normalizeId(parsed.id) !== existing.id) {
    throw new RecordError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: Id. ${READ_ONLY_MESSAGE}`, ['Id']);
  }
  rejectReadOnly(parsed, (f) => f.updateable);

  const fields = blankFields(object);
  for (const f of object.fields) {
    const given = parsed.values.get(f.name);
    fields[f.name] = given ? given.value : (existing.fields[f.name] ?? (f.type === 'boolean' ? false : null));
  }
  const provided = new Set(parsed.values.keys());
  const stamp = nextStamp(store, existing.fields['SystemModstamp']);
  setAudit(fields, ctx.userId, stamp, false);
  validateValues(store, object, fields, provided);
  resolveParents(store, parsed, fields, provided);
  requireFields(object, fields, (f) => f.updateable && provided.has(f.name));
  applyPlatformFields({ store, object, fields, previous: existing.fields, provided, nowIso: stamp });
  applyFormulas(object.fields, fields);
  checkOwner(store, object, fields, provided, false);
  checkUnique(store, object, fields, existing.id);
  const record = makeRecord(object.name, fields);
  store.put(record);
  return record;
}

/** Moves a record (and its cascade-delete children) to the recycle bin. */
export function deleteRecord(ctx: DmlContext, existing: StoredRecord): void {
  const object = ctx.store.schema.require(existing.type);
  if (existing.isDeleted) throw new RecordError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
  if (!object.deletable) throw new RecordError(400, 'INVALID_TYPE_FOR_OPERATION', `entity type cannot be deleted: ${object.label}`, []);
  checkLock(ctx, 'delete', object, existing.id);
  markDeleted(ctx, existing);
}

function markDeleted(ctx: DmlContext, record: StoredRecord): void {
  const { store } = ctx;
  const stamp = nextStamp(store, record.fields['SystemModstamp']);
  const fields: RecordFields = { ...record.fields, IsDeleted: true };
  setAudit(fields, ctx.userId, stamp, false);
  store.put(makeRecord(record.type, fields));
  store.logDeletion({ id: record.id, type: record.type, deletedMs: Date.parse(stamp) });
  // "Deleting an account deletes its contacts and activities; deleting a contact deletes its activities."
  for (const child of store.schema.all()) {
    for (const f of child.fields) {
      if (f.type !== 'reference' || !f.cascadeDelete || !f.referenceTo.includes(record.type)) continue;
      for (const dependent of store.referencing(child.name, f.name, record.id)) {
        const current = store.getRecord(dependent.id);
        if (current && !current.isDeleted) markDeleted(ctx, current);
      }
    }
  }
}

function setAudit(fields: RecordFields, userId: string, stamp: string, created: boolean): void {
  if (created && 'CreatedDate' in fields) {
    fields['CreatedDate'] = stamp;
    fields['CreatedById'] = userId;
  }
  if ('LastModifiedDate' in fields) {
    fields['LastModifiedDate'] = stamp;
    fields['LastModifiedById'] = userId;
  }
  if ('SystemModstamp' in fields) fields['SystemModstamp'] = stamp;
}

/**
 * Fields the request may not set: platform-maintained ones and formula fields (custom formula fields are always
 * read-only, SOAP API Field `calculated`). Salesforce answers both with INVALID_FIELD_FOR_INSERT_UPDATE, "Unable
 * to create/update fields: <names>. Please check the security settings…", the names in `fields`; that is also
 * what saving a record that carries a formula field's value is publicly reported to return.
 */
function rejectReadOnly(parsed: ParsedInput, writable: (f: FieldDef) => boolean): void {
  const readOnly = [...parsed.values.values()].map((v) => v.field).filter((f) => !writable(f));
  readOnly.push(...parsed.parents.map((p) => p.field).filter((f) => !writable(f)));
  if (readOnly.length) {
    const names = readOnly.map((f) => f.name);
    throw new RecordError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${names.join(', ')}. ${READ_ONLY_MESSAGE}`, names);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validateValues(store: Store, object: ObjectDef, fields: RecordFields, provided: Set<string>): void {
  for (const name of provided) {
    const f = store.schema.field(object, name);
    const value = fields[name];
    if (!f || value === null || value === undefined) continue;
    fields[name] = validateValue(store, f, value);
  }
}

function validateValue(store: Store, f: FieldDef, value: FieldValue): FieldValue {
  if (typeof value === 'string') {
    if (f.type === 'reference') return validateReference(store, f, value);
    if (f.type === 'multipicklist') return validateMultiPicklist(f, value);
    if (f.length > 0 && value.length > f.length) {
      throw new RecordError(400, 'STRING_TOO_LONG', `${f.label}: data value too large: ${value.slice(0, 80)} (max length=${f.length})`, [f.name]);
    }
    if (f.type === 'email' && !EMAIL.test(value)) throw new RecordError(400, 'INVALID_EMAIL_ADDRESS', `${f.label}: invalid email address: ${value}`, [f.name]);
    if (f.type === 'picklist' && f.restrictedPicklist && !f.picklistValues.some((p) => p.active && p.value === value)) {
      throw new RecordError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${value}`, [f.name]);
    }
    return value;
  }
  if (typeof value === 'number') {
    const integerDigits = f.type === 'int' ? f.digits : f.precision - f.scale;
    if (integerDigits > 0 && Math.abs(value) >= 10 ** integerDigits) {
      throw new RecordError(400, 'NUMBER_OUTSIDE_VALID_RANGE', `${f.label}: value outside of valid range on numeric field: ${value}`, [f.name]);
    }
    if (f.type !== 'int' && f.precision > 0) {
      const factor = 10 ** f.scale;
      return Math.round(value * factor) / factor;
    }
  }
  return value;
}

function validateMultiPicklist(f: FieldDef, value: string): string {
  const parts = [...new Set(value.split(';').map((s) => s.trim()).filter((s) => s !== ''))];
  for (const part of parts) {
    if (f.restrictedPicklist && !f.picklistValues.some((p) => p.active && p.value === part)) {
      throw new RecordError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${part}`, [f.name]);
    }
  }
  return parts.join(';');
}

function validateReference(store: Store, f: FieldDef, value: string): string {
  const id = normalizeId(value);
  if (!id) throw new RecordError(400, 'MALFORMED_ID', `${f.label}: id value of incorrect type: ${value}`, [f.name]);
  const target = store.schema.byKeyPrefix(keyPrefixOf(id));
  if (!target || !f.referenceTo.includes(target.name)) {
    throw new RecordError(400, 'FIELD_INTEGRITY_EXCEPTION', `${f.label}: id value of incorrect type: ${value}`, [f.name]);
  }
  const record = store.getRecord(id);
  if (!record || record.isDeleted) throw new RecordError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [f.name]);
  return id;
}

/** `"Account": {"Ext__c": "A-1"}` sets AccountId to the Account whose external ID is A-1. */
function resolveParents(store: Store, parsed: ParsedInput, fields: RecordFields, provided: Set<string>): void {
  for (const { field, target } of parsed.parents) {
    const attributes = isPlainObject(target['attributes']) ? target['attributes'] : {};
    const typeName = typeof attributes['type'] === 'string' ? attributes['type'] : field.referenceTo.length === 1 ? field.referenceTo[0] : undefined;
    const parent = typeName ? store.schema.get(typeName) : undefined;
    if (!parent || !field.referenceTo.includes(parent.name)) {
      throw new RecordError(400, 'INVALID_FIELD', `${field.relationshipName ?? field.name}: the parent reference needs attributes.type (one of ${field.referenceTo.join(', ')})`, [field.name]);
    }
    const keys = Object.keys(target).filter((k) => k !== 'attributes');
    const extField = keys.length === 1 && keys[0] !== undefined ? store.schema.field(parent, keys[0]) : undefined;
    if (!extField || !(extField.externalId || extField.idLookup)) {
      throw new RecordError(400, 'INVALID_FIELD', `Foreign key external ID reference must name exactly one External ID field of ${parent.name}`, [field.name]);
    }
    const raw = target[extField.name] ?? target[keys[0] ?? ''];
    const value = coerceInput(extField, raw);
    const matches = extField.name === 'Id' && typeof value === 'string' ? [store.getRecord(value)].filter((r): r is StoredRecord => !!r && !r.isDeleted) : store.findByField(parent, extField, value);
    if (matches.length === 0) {
      throw new RecordError(400, 'INVALID_FIELD', `Foreign key external ID: ${String(value)} not found for field ${extField.name} in entity ${parent.name}`, []);
    }
    if (matches.length > 1) {
      throw new RecordError(400, 'INVALID_FIELD', `Foreign key external ID: ${String(value)} matched more than one record for field ${extField.name} in entity ${parent.name}`, []);
    }
    fields[field.name] = matches[0]?.id ?? null;
    provided.add(field.name);
  }
}

function requireFields(object: ObjectDef, fields: RecordFields, applies: (f: FieldDef) => boolean): void {
  const missing = object.fields.filter((f) => !f.nillable && f.type !== 'boolean' && applies(f) && (fields[f.name] === null || fields[f.name] === undefined)).map((f) => f.name);
  if (missing.length) throw new RecordError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
}

function checkOwner(store: Store, object: ObjectDef, fields: RecordFields, provided: Set<string>, created: boolean): void {
  const ownerId = fields['OwnerId'];
  if (typeof ownerId !== 'string' || (!created && !provided.has('OwnerId'))) return;
  const owner = store.getRecord(ownerId);
  if (owner?.type === 'User' && owner.fields['IsActive'] === false) {
    throw new RecordError(400, 'INACTIVE_OWNER_OR_USER', `operation performed with inactive user [${ownerId}] as owner of ${object.name.toLowerCase()}`, []);
  }
}

function checkUnique(store: Store, object: ObjectDef, fields: RecordFields, selfId: string | undefined): void {
  for (const f of object.fields) {
    const value = fields[f.name];
    if (!f.unique || value === null || value === undefined) continue;
    const other = store.findByField(object, f, value).find((r) => r.id !== selfId);
    if (other) throw new RecordError(400, 'DUPLICATE_VALUE', `duplicate value found: ${f.name} duplicates value on record with id: ${other.id}`, []);
  }
}
