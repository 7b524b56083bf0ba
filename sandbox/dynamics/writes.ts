/**
 * Writing rows: create (`POST accounts`), update and upsert (`PATCH accounts(<key>)`), delete, with Dataverse's
 * conditional semantics, `@odata.bind` lookups, value validation and the row version/modifiedon bump.
 *
 * Sources:
 * - "Create a table row using the Web API": 204 with `OData-EntityId: [Organization URI]/api/data/v9.2/accounts(<id>)`;
 *   with `Prefer: return=representation` 201 and the row. A client may set the primary key itself.
 * - "Update and delete table rows using the Web API": PATCH upserts unless told otherwise; `If-Match: *`
 *   prevents the create (404 when missing); return=representation gives 200 and the row.
 * - "Perform conditional operations using the Web API": `If-Match: W/"<version>"` → 412 0x80060882 when the row
 *   changed (updates and deletes); `If-None-Match: *` → 412 0x80040237 when the row exists.
 * - "Associate and disassociate table rows": `nav@odata.bind: "/accounts(<id>)"` (the leading slash optional),
 *   single-valued navigation properties per lookup target (`parentcustomerid_account`); `_x_value` is read-only.
 * - "Use an alternate key": `accounts(accountnumber='A-1')` for PATCH/DELETE too; an upsert by alternate key
 *   creates the row with those key values.
 * - [infer] Read-only columns (createdon, modifiedon, versionnumber, fullname, …) in a body are ignored, as the
 *   platform does for columns not valid for create/update; ApplicationRequired columns are not enforced through
 *   the API (only SystemRequired ones are, and the platform fills those).
 */
import { alreadyExists, badValue, DataverseError, directLookupWrite, missingPrivilege, outOfRange, rowNotFound, syntaxError, tooLong, unknownBodyProperty, versionMismatch } from './errors';
import { parsePath, type DvRequest, type DvResponse, type KeyPredicate, type Prefer } from './http';
import { dvDateTime, newGuid, type LookupValue, type Row, type Scalar, type TableStore } from './org';
import { findRow, notFound, representation, type ApiContext } from './query';
import { tableBySet, type ColumnDef, type TableDef } from './schema';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function jsonObject(req: DvRequest): Record<string, unknown> {
  const text = req.body.trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw syntaxError('Invalid JSON. A token was not recognized in the JSON content.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw syntaxError('Invalid JSON. An object was expected.');
  return value as Record<string, unknown>;
}

/** A value of one column from a request body, checked and normalised; undefined for columns the platform ignores. */
function columnInput(table: TableDef, column: ColumnDef, raw: unknown, creating: boolean): Scalar | undefined {
  if (creating ? column.createable === false : column.updateable === false) return undefined;
  if (raw === null) return null;
  switch (column.type) {
    case 'String':
    case 'Memo':
      if (typeof raw !== 'string') throw badValue(column.name, 'Edm.String');
      if (column.maxLength !== undefined && raw.length > column.maxLength) throw tooLong(column.name, column.maxLength);
      return raw;
    case 'Integer':
      if (typeof raw !== 'number' || !Number.isInteger(raw) || Math.abs(raw) > 2_147_483_647) throw badValue(column.name, 'Edm.Int32');
      return raw;
    case 'Money':
      if (typeof raw !== 'number') throw badValue(column.name, 'Edm.Decimal');
      return raw;
    case 'Boolean':
      if (typeof raw !== 'boolean') throw badValue(column.name, 'Edm.Boolean');
      return raw;
    case 'DateTime':
      if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) throw badValue(column.name, 'Edm.DateTimeOffset');
      return dvDateTime(raw);
    case 'Uniqueidentifier':
      if (typeof raw !== 'string' || !GUID.test(raw)) throw badValue(column.name, 'Edm.Guid');
      return raw.toLowerCase();
    case 'Picklist':
    case 'State':
    case 'Status': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw badValue(column.name, 'Edm.Int32');
      const accepted = (column.options ?? []).map((o) => o.value);
      if (!accepted.includes(raw)) throw outOfRange(raw, column.name, table.logicalName, accepted);
      return raw;
    }
    case 'MultiSelectPicklist': {
      if (typeof raw !== 'string') throw badValue(column.name, 'Edm.String');
      const accepted = (column.options ?? []).map((o) => o.value);
      const values = raw.split(',').map((v) => v.trim()).filter((v) => v !== '');
      for (const v of values) if (!/^-?\d+$/.test(v) || !accepted.includes(Number(v))) throw outOfRange(v, column.name, table.logicalName, accepted);
      return values.length ? [...new Set(values.map(Number))].join(',') : null;
    }
    default:
      return undefined;
  }
}

/** The row a bind value names: `/systemusers(<id>)`, `systemusers(<id>)` or the full URL. */
function bindTarget(ctx: ApiContext, nav: string, value: unknown, expected: string): LookupValue | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw badValue(`${nav}@odata.bind`, 'Edm.String');
  let path = value.startsWith(ctx.base()) ? value.slice(ctx.base().length) : value;
  path = path.replace(/^\/+/, '').replace(/^api\/data\/v9\.2\//, '');
  const segments = parsePath(decodeURIComponent(path));
  const seg = segments[0];
  const target = seg ? tableBySet(seg.name) : undefined;
  if (!seg || !target || !seg.key || segments.length !== 1) throw syntaxError(`A URL in the '${nav}@odata.bind' annotation is not valid: '${value}'.`);
  if (target.logicalName !== expected) throw new DataverseError(400, '0x80060888', `An entity set '${target.entitySetName}' is not valid for the navigation property '${nav}'.`);
  const store = ctx.org.store(target.logicalName);
  const row = findRow(store, seg.key);
  if (!row) throw 'id' in seg.key ? rowNotFound(target.logicalName, seg.key.id) : notFound(store, seg.key);
  return { id: row.id, table: target.logicalName };
}

interface Changes {
  values: Record<string, Scalar>;
  lookups: Record<string, LookupValue | null>;
  id?: string;
}

function readBody(ctx: ApiContext, table: TableDef, body: Record<string, unknown>, creating: boolean): Changes {
  const changes: Changes = { values: {}, lookups: {} };
  for (const [key, raw] of Object.entries(body)) {
    const bind = /^(.+)@odata\.bind$/.exec(key);
    if (bind) {
      const nav = bind[1] ?? '';
      const found = table.byNavigation.get(nav);
      if (!found || (creating ? found.column.createable === false : found.column.updateable === false)) throw unknownBodyProperty(nav, table.logicalName);
      changes.lookups[found.column.name] = bindTarget(ctx, nav, raw, found.target);
      continue;
    }
    if (key.includes('@')) continue;
    if (/^_.+_value$/.test(key)) throw directLookupWrite();
    const column = table.byName.get(key);
    if (!column || column.webApi === false || column.type === 'Lookup' || column.type === 'Owner' || column.type === 'Customer') throw unknownBodyProperty(key, table.logicalName);
    if (key === table.primaryId) {
      if (creating) changes.id = columnInput(table, column, raw, true) as string;
      continue;
    }
    const value = columnInput(table, column, raw, creating);
    if (value !== undefined) changes.values[column.name] = value;
  }
  // A state change brings its default status; a status brings its state ("statecode and statuscode").
  const state = table.byName.get('statecode');
  const status = table.byName.get('statuscode');
  if (state && status) {
    const s = changes.values['statuscode'];
    if (typeof s === 'number') changes.values['statecode'] = status.options?.find((o) => o.value === s)?.state ?? 0;
    else if (typeof changes.values['statecode'] === 'number') changes.values['statuscode'] = state.options?.find((o) => o.value === changes.values['statecode'])?.defaultStatus ?? 1;
  }
  return changes;
}

function refuseReadOnly(ctx: ApiContext, table: TableDef, privilege: string): void {
  if (table.readOnly) throw missingPrivilege(ctx.org.appUserId, privilege, table.logicalName);
}

const entityId = (ctx: ApiContext, table: TableDef, id: string) => `${ctx.base()}${table.entitySetName}(${id})`;

function writeResponse(ctx: ApiContext, store: TableStore, row: Row, req: DvRequest, prefer: Prefer, createdStatus: number): DvResponse {
  const headers: Record<string, string> = { 'OData-EntityId': entityId(ctx, store.def, row.id) };
  if (!prefer.returnRepresentation) return { status: 204, headers };
  return { status: createdStatus, body: representation(ctx, store, row, req, prefer), headers: { ...headers, ETag: `W/"${row.version}"`, 'Preference-Applied': 'return=representation' } };
}

function createRow(ctx: ApiContext, store: TableStore, changes: Changes, id: string): Row {
  const lookups: Record<string, LookupValue> = {};
  for (const [k, v] of Object.entries(changes.lookups)) if (v) lookups[k] = v;
  if (store.rows.has(id)) throw alreadyExists();
  return ctx.org.insert(store.def.logicalName, id, changes.values, lookups);
}

export function createEntity(ctx: ApiContext, store: TableStore, req: DvRequest, prefer: Prefer): DvResponse {
  refuseReadOnly(ctx, store.def, 'prvCreateUser');
  const changes = readBody(ctx, store.def, jsonObject(req), true);
  const row = createRow(ctx, store, changes, changes.id ?? newGuid());
  return writeResponse(ctx, store, row, req, prefer, 201);
}

/** The etags of an If-Match/If-None-Match header: `*` or `W/"1", W/"2"`. */
function etags(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  return header.split(',').map((t) => t.trim()).filter(Boolean);
}

function checkIfMatch(row: Row, ifMatch: string[] | undefined): void {
  if (!ifMatch || ifMatch.includes('*')) return;
  if (!ifMatch.includes(`W/"${row.version}"`)) throw versionMismatch();
}

export function patchEntity(ctx: ApiContext, store: TableStore, key: KeyPredicate, req: DvRequest, prefer: Prefer): DvResponse {
  refuseReadOnly(ctx, store.def, 'prvWriteUser');
  const ifMatch = etags(req.headers['if-match']);
  const ifNoneMatch = etags(req.headers['if-none-match']);
  const existing = findRow(store, key);
  if (existing) {
    if (ifNoneMatch?.includes('*')) throw alreadyExists();
    checkIfMatch(existing, ifMatch);
    const changes = readBody(ctx, store.def, jsonObject(req), false);
    const row = ctx.org.update(store.def.logicalName, existing, changes.values, changes.lookups);
    return writeResponse(ctx, store, row, req, prefer, 200);
  }
  if (ifMatch) throw notFound(store, key);
  // Upsert: create under the key's ID or with the alternate key's values.
  const changes = readBody(ctx, store.def, jsonObject(req), true);
  let id = 'id' in key ? key.id : (changes.id ?? newGuid());
  if ('alternate' in key) for (const [k, v] of Object.entries(key.alternate)) changes.values[k] = v;
  if ('id' in key && changes.id && changes.id !== key.id) id = key.id;
  const row = createRow(ctx, store, changes, id);
  return writeResponse(ctx, store, row, req, prefer, 201);
}

export function deleteEntity(ctx: ApiContext, store: TableStore, key: KeyPredicate, req: DvRequest): DvResponse {
  refuseReadOnly(ctx, store.def, 'prvDeleteUser');
  const row = findRow(store, key);
  if (!row) throw notFound(store, key);
  checkIfMatch(row, etags(req.headers['if-match']));
  ctx.org.remove(store.def.logicalName, row);
  return { status: 204 };
}
