/**
 * The Dataverse connector: a CrmSession over dynamics-web-api (client.ts for tokens, retries and errors,
 * describe.ts for metadata).
 *
 * Reading pages. Inbound runs read through change tracking (Microsoft Learn, "Use change tracking to
 * synchronize data with external systems"): a first read with `Prefer: odata.track-changes` returns every row,
 * 5,000 a page, and ends with a delta link; the delta link returns the rows created, updated or deleted since
 * (deleted ones as `$deletedEntity` with their ID), and another delta link. The links are the positions: a
 * page's cursor carries its next link (or, on the last page, the delta link) as `position`, which the run
 * stores with the page, so an incremental run reads exactly the changes, deletions included, with no stamp
 * look-back. A full run starts a new first read. Change tracking takes `$select` only (no `$filter`,
 * `$orderby`, `$expand` or `$top`), so:
 * - job filters are refused on Dataverse (checkFilter says why); a table must have "Track changes" on;
 * - referenced values (`ownerid.internalemailaddress`) are read apart: system users once a minute for the
 *   session (an org has few, and every page of accounts points at the same ones), other targets by ID,
 *   25 a call.
 * A delta link older than the table's change-tracking retention is refused by Dataverse
 * (0x80044352); the read then starts over with a first read, and the run says so in its log.
 *
 * Writing. Updates are `PATCH` with `If-Match` on the row version read (`versionnumber`, the `@odata.etag`
 * number), so compare-and-set is Dataverse's own: 412 means the row changed since the read (W13). Option-set
 * labels become their values, multi-select labels (`;`) the comma-separated values Dataverse takes (W3);
 * lookups are written by binding the navigation property (`ownerid@odata.bind: /systemusers(<id>)`, W12).
 */
import type { JobKind } from '../../../kernel/job-kinds';
import type { SyncCursor } from '../../../kernel/cursors';
import { toIsoDateTime } from '../../../kernel/datetime';
import type {
  ApiUsage,
  CrmConditionalWriteResult,
  CrmConnector,
  CrmPage,
  CrmRecord,
  CrmSession,
  CrmUser,
  CrmVersionedRecord,
  CrmWrite,
  CrmWriteResult,
  ReadOptions,
  ReadSpec,
  WriteOperation,
} from '../connector';
import { CrmError } from '../errors';
import { findField, type CrmObjectDescribe, type ValidationIssue } from '../types';
import { DATAVERSE_CODES, DataverseApi, PRECONDITION_FAILED, toCrmError } from './client';
import { DataverseConnectionSchema, DataverseSecretsSchema, DataverseSettingsSchema, dataverseToStored } from './connection';
import {
  ATTRIBUTE_SELECT,
  AttributeSchema,
  CASTS,
  ENTITY_SELECT,
  EntitySchema,
  LookupAttributeSchema,
  OptionSetAttributeSchema,
  StringAttributeSchema,
  toTable,
  type DataverseTable,
  type EntityDefinition,
  type Lookup,
} from './describe';

/** Dataverse's API limits (ARCHITECTURE rule 6). */
export const DATAVERSE_LIMITS = {
  /** Rows per page: Dataverse's maximum `odata.maxpagesize`. */
  pageSize: 5000,
  /** Records per writeBatch call (each record is its own request). */
  writeBatchSize: 100,
  /** IDs per `id eq … or …` read: keeps the URL under the 2,000 characters past which the library switches to $batch. */
  idsPerRead: 25,
  /** Change tracking's links are exact positions: no look-back. */
  stampLookbackMs: 0,
} as const;

const STAMP = 'modifiedon';
const VERSION = 'versionnumber';
/** System users: their entity set and key are the same in every environment. */
const USERS_SET = 'systemusers';
const USERS_ID = 'systemuserid';
const USER_COLUMNS = [USERS_ID, 'internalemailaddress', 'fullname', 'isdisabled', STAMP, VERSION];
/** How long the system users read for pages stay good: they change rarely, and a miss reads them again. */
const USERS_TTL_MS = 60_000;
/** `@odata.count` stops at 5,000 (Microsoft Learn, "Count the number of rows"): beyond it the count says nothing. */
const COUNT_LIMIT = 5000;
/** The job kinds Dataverse connections run: accounts become hub accounts. */
const DATAVERSE_JOB_KINDS: readonly JobKind[] = ['accounts-inbound'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = Record<string, unknown>;

interface MultipleAnswer {
  value: Row[];
  oDataNextLink?: string;
  oDataDeltaLink?: string;
  oDataCount?: number;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** What a read selects: the table's columns, and for each lookup read through, the referenced columns. */
interface Columns {
  select: string[];
  through: Map<Lookup, Set<string>>;
}

/** A single-quoted OData string literal. */
const literal = (value: string | number | boolean) => (typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value));

function requireGuid(id: string, what: string): string {
  if (!GUID.test(id)) throw new CrmError('configuration', 'INVALID_ID', `${what}: '${id}' is not a Dataverse row ID (a GUID)`);
  return id.toLowerCase();
}

/** A row read back from the deleted entity shape `{ "@odata.context": "…$deletedEntity", id, reason }`. */
function deletedId(row: Row): string | undefined {
  const context = String(row['oDataContext'] ?? row['@odata.context'] ?? '');
  return context.endsWith('$deletedEntity') && typeof row['id'] === 'string' ? row['id'] : undefined;
}

export class DataverseSession implements CrmSession {
  readonly kind = 'dynamics' as const;
  readonly limits = DATAVERSE_LIMITS;
  readonly versionField = VERSION;
  private readonly tables = new Map<string, Promise<DataverseTable | undefined>>();
  private users: { at: number; byId: Map<string, Row> } | undefined;
  private entities: Promise<Map<string, EntityDefinition>> | undefined;

  constructor(readonly api: DataverseApi) {}

  get connectionId(): string {
    return this.api.connectionId;
  }

  get instanceUrl(): string {
    return this.api.serverUrl;
  }

  describe = async (objectName: string): Promise<CrmObjectDescribe | undefined> => (await this.table(objectName))?.describe;

  /** Every table's names and keys (one EntityDefinitions call a session), by entity set and by logical name. */
  private entityIndex(): Promise<Map<string, EntityDefinition>> {
    this.entities ??= this.api
      .call('reading the table definitions', { idempotent: true }, (c) => c.retrieveEntities({ select: ENTITY_SELECT }))
      .then((answer) => {
        const byName = new Map<string, EntityDefinition>();
        for (const e of (answer.value as unknown[]).map((v) => EntitySchema.parse(v))) {
          byName.set(e.EntitySetName.toLowerCase(), e);
          byName.set(e.LogicalName.toLowerCase(), e);
        }
        return byName;
      });
    this.entities.catch(() => (this.entities = undefined));
    return this.entities;
  }

  /**
   * A table's metadata by entity set (what jobs name: `accounts`) or logical name (`account`), asked once per
   * session: its columns and the casts for option sets, lookup targets and text lengths (five calls).
   */
  table(objectName: string): Promise<DataverseTable | undefined> {
    const key = objectName.toLowerCase();
    let pending = this.tables.get(key);
    if (!pending) {
      pending = this.loadTable(key);
      pending.catch(() => this.tables.delete(key));
      this.tables.set(key, pending);
    }
    return pending;
  }

  private async loadTable(name: string): Promise<DataverseTable | undefined> {
    const index = await this.entityIndex();
    const entity = index.get(name);
    if (!entity) return undefined;
    const entityKey = `LogicalName='${entity.LogicalName}'`;
    const attributes = (what: string, castType: string | undefined, select: string[], expandOptions = false) =>
      this.api
        .call(`reading the ${what} of ${entity.LogicalName}`, { idempotent: true }, (c) =>
          c.retrieveAttributes({ entityKey, select, ...(castType ? { castType } : {}), ...(expandOptions ? { expand: [{ property: 'OptionSet', select: ['Options'] }] } : {}) }),
        )
        .then((answer) => answer.value as unknown[]);
    const [base, picklists, multiSelects, lookups, strings] = await Promise.all([
      attributes('columns', undefined, ATTRIBUTE_SELECT),
      attributes('option sets', CASTS.picklist, ['LogicalName'], true),
      attributes('multi-select option sets', CASTS.multiSelect, ['LogicalName'], true),
      attributes('lookups', CASTS.lookup, ['LogicalName', 'Targets']),
      attributes('text columns', CASTS.string, ['LogicalName', 'MaxLength', 'Format']),
    ]);
    return toTable({
      entity,
      entitySetOf: (logicalName) => index.get(logicalName.toLowerCase())?.EntitySetName,
      attributes: base.map((a) => AttributeSchema.parse(a)),
      picklists: picklists.map((a) => OptionSetAttributeSchema.parse(a)),
      multiSelects: multiSelects.map((a) => OptionSetAttributeSchema.parse(a)),
      lookups: lookups.map((a) => LookupAttributeSchema.parse(a)),
      strings: strings.map((a) => StringAttributeSchema.parse(a)),
    });
  }

  private async tableOrThrow(objectName: string): Promise<DataverseTable> {
    const table = await this.table(objectName);
    if (!table) throw new CrmError('configuration', 'UNKNOWN_OBJECT', `Dataverse has no table '${objectName}'`, { fix: 'name the table by its entity set (accounts, contacts) or logical name (account)' });
    return table;
  }

  /** The columns a read selects for `paths`: each path's column, the lookup behind `nav.column`, the ID, stamp and version. */
  private columns(table: DataverseTable, paths: string[]): Columns {
    const select = new Set([table.primaryId, STAMP, VERSION]);
    const through = new Map<Lookup, Set<string>>();
    for (const path of paths) {
      const [head = '', ...rest] = path.split('.');
      const lookup = table.navigations.get(head.toLowerCase()) ?? table.lookups.get(head.toLowerCase());
      if (lookup) {
        select.add(lookup.column);
        if (rest.length) through.set(lookup, (through.get(lookup) ?? new Set()).add(rest.join('.').toLowerCase()));
      } else {
        select.add(findField(table.describe, head)?.name ?? head.toLowerCase());
      }
    }
    return { select: [...select], through };
  }

  /** A row's values in hubsync's terms: option-set labels, ISO datetimes, lookups' GUIDs. */
  private values(table: DataverseTable, row: Row, select: string[]): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    for (const name of select) {
      const value = row[name];
      const options = table.optionSets.get(name);
      if (value === undefined || value === null) fields[name] = null;
      else if (value instanceof Date) fields[name] = toIsoDateTime(value);
      else if (options && options.multi) {
        fields[name] = String(value)
          .split(',')
          .map((v) => options.labels.get(Number(v.trim())) ?? v.trim())
          .join(';');
      } else if (options) fields[name] = options.labels.get(Number(value)) ?? String(value);
      else fields[name] = value;
    }
    return fields;
  }

  /** Every system user by ID (all pages), kept for a minute; `refresh` reads them again. */
  private async userIndex(refresh = false): Promise<Map<string, Row>> {
    if (!refresh && this.users && Date.now() - this.users.at < USERS_TTL_MS) return this.users.byId;
    const answer = await this.api.call('reading the system users', { idempotent: true }, (c) => c.retrieveAll({ collection: USERS_SET, select: USER_COLUMNS, maxPageSize: DATAVERSE_LIMITS.pageSize }));
    const byId = new Map<string, Row>();
    for (const row of answer.value as Row[]) {
      byId.set(String(row[USERS_ID]).toLowerCase(), Object.fromEntries(USER_COLUMNS.map((c) => [c, row[c] instanceof Date ? toIsoDateTime(row[c]) : (row[c] ?? null)])));
    }
    this.users = { at: Date.now(), byId };
    return byId;
  }

  /** Referenced rows by ID for one lookup: system users from the index, other tables 25 IDs a call. */
  private async referenced(lookup: Lookup, ids: string[], columns: Set<string>): Promise<Map<string, Row>> {
    const target = lookup.targets[0];
    if (!target || ids.length === 0) return new Map();
    if (target === USERS_SET) {
      let index = await this.userIndex();
      if (ids.some((id) => !index.has(id))) index = await this.userIndex(true);
      return index;
    }
    const table = await this.tableOrThrow(target);
    const select = [table.primaryId, VERSION, STAMP, ...[...columns].map((c) => findField(table.describe, c)?.name ?? c)];
    const found = new Map<string, Row>();
    for (const row of await this.rowsWhereAny(table, [...new Set(select)], table.primaryId, ids)) found.set(String(row[table.primaryId]).toLowerCase(), this.values(table, row, Object.keys(row)));
    return found;
  }

  /** Rows whose `column` equals one of `literals` (OData literals), `idsPerRead` a call: `column eq a or column eq b …`. */
  private async rowsWhereAny(table: DataverseTable, select: string[], column: string, literals: string[], orderBy?: string[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < literals.length; i += DATAVERSE_LIMITS.idsPerRead) {
      const chunk = literals.slice(i, i + DATAVERSE_LIMITS.idsPerRead);
      const answer = await this.api.call(`reading ${table.entitySet} by ${column}`, { idempotent: true }, (c) =>
        c.retrieveMultiple({ collection: table.entitySet, select, filter: chunk.map((v) => `${column} eq ${v}`).join(' or '), ...(orderBy ? { orderBy } : {}) }),
      );
      rows.push(...(answer.value as Row[]));
    }
    return rows;
  }

  /** CrmRecords from live rows, with the rows their lookups point at where paths read through them. */
  private async toRecords(table: DataverseTable, rows: Row[], columns: Columns): Promise<CrmRecord[]> {
    const records = rows.map((row) => ({
      id: String(row[table.primaryId]).toLowerCase(),
      modifiedAt: toIsoDateTime(row[STAMP]),
      deleted: false,
      fields: this.values(table, row, columns.select),
    }));
    for (const [lookup, wanted] of columns.through) {
      const ids = [...new Set(records.map((r) => r.fields[lookup.column]).filter((v): v is string => typeof v === 'string' && GUID.test(v)).map((v) => v.toLowerCase()))];
      const rowsById = await this.referenced(lookup, ids, wanted);
      for (const r of records) {
        const id = r.fields[lookup.column];
        r.fields[lookup.navigation] = typeof id === 'string' ? (rowsById.get(id.toLowerCase()) ?? null) : null;
      }
    }
    return records;
  }

  private refuseFilter(filter: string | undefined): void {
    if (filter?.trim()) {
      throw new CrmError('configuration', 'FILTER_NOT_SUPPORTED', 'Dataverse jobs take no filter: change tracking, which incremental runs read through, accepts $select only', { fix: 'remove the filter from the job (`hubsync job edit`); filter in the hub instead' });
    }
  }

  async checkFilter(object: CrmObjectDescribe, filter: string): Promise<ValidationIssue[]> {
    if (!filter.trim()) return [];
    return [
      {
        severity: 'error',
        code: 'FILTER_NOT_SUPPORTED',
        message: `filter: Dataverse jobs on ${object.name} take no filter; change tracking, which incremental runs read through, accepts $select only (no $filter)`,
        fix: 'remove the filter; every row of the table is read',
      },
    ];
  }

  /** Rows of the table (exact up to Dataverse's count limit, null beyond it); null for a delta, which cannot be counted. */
  async countRecords(spec: ReadSpec, cursor: SyncCursor): Promise<number | null> {
    if (cursor.position) return null;
    const table = await this.tableOrThrow(spec.object);
    const answer = (await this.api.call(`counting ${table.entitySet}`, { idempotent: true }, (c) => c.retrieveMultiple({ collection: table.entitySet, select: [table.primaryId], count: true, maxPageSize: 1 }))) as MultipleAnswer;
    const count = answer.oDataCount;
    return count === undefined || count >= COUNT_LIMIT ? null : count;
  }

  private changeTracked(table: DataverseTable): void {
    if (!table.changeTracking) {
      throw new CrmError('configuration', 'CHANGE_TRACKING_DISABLED', `Dataverse table ${table.logicalName} does not track changes, and hubsync reads it through change tracking`, {
        fix: `turn on "Track changes" for the table (Power Apps: Tables → ${table.logicalName} → Properties → Advanced options)`,
      });
    }
  }

  async readPage(spec: ReadSpec, cursor: SyncCursor, options: ReadOptions): Promise<CrmPage> {
    const table = await this.tableOrThrow(spec.object);
    this.changeTracked(table);
    this.refuseFilter(spec.filter);
    const columns = this.columns(table, spec.paths);
    const request = { collection: table.entitySet, select: columns.select, maxPageSize: Math.min(options.pageSize, DATAVERSE_LIMITS.pageSize), trackChanges: true };
    const read = (link: string | undefined) => this.api.call(`reading ${table.entitySet} changes`, { idempotent: true }, (c) => c.retrieveMultiple(request, link)) as Promise<MultipleAnswer>;
    let answer: MultipleAnswer;
    try {
      answer = await read(cursor.position ?? undefined);
    } catch (err) {
      if (!(cursor.position && err instanceof CrmError && err.code === DATAVERSE_CODES.expiredVersionStamp)) throw err;
      // The delta link outlived the table's change-tracking retention: read everything again. Rows deleted in
      // the meantime are not reported by that read; the next full sync's unchanged count shows what is left.
      process.stderr.write(`dataverse ${this.connectionId}: the ${table.entitySet} delta link has expired (${err.message}); reading every row again\n`);
      answer = await read(undefined);
    }
    const live: Row[] = [];
    const deleted: CrmRecord[] = [];
    for (const row of answer.value) {
      const id = deletedId(row);
      if (id) deleted.push({ id: id.toLowerCase(), modifiedAt: null, deleted: true, fields: {} });
      else live.push(row);
    }
    const liveRecords = await this.toRecords(table, live, columns);
    const records = [...liveRecords, ...(options.includeDeleted ? deleted : [])];
    const nextLink = answer.oDataNextLink ?? answer['@odata.nextLink'];
    const position = nextLink ?? answer.oDataDeltaLink ?? answer['@odata.deltaLink'] ?? cursor.position ?? null;
    const stamps = liveRecords.map((r) => r.modifiedAt).filter((s): s is string => s !== null);
    const latest = [cursor.modifiedAt, ...stamps].filter((s): s is string => !!s).sort().pop() ?? null;
    const last = records[records.length - 1];
    return { records, next: { modifiedAt: latest, lastId: last?.id ?? cursor.lastId, position }, done: !nextLink };
  }

  async readDeletions(): Promise<string[]> {
    return []; // change tracking carries deletions in the pages
  }

  async readByIds(spec: ReadSpec, ids: string[]): Promise<CrmRecord[]> {
    if (ids.length === 0) return [];
    const table = await this.tableOrThrow(spec.object);
    this.refuseFilter(spec.filter);
    const columns = this.columns(table, spec.paths);
    const guids = ids.map((id) => requireGuid(id, `reading ${table.entitySet}`));
    return this.toRecords(table, await this.rowsWhereAny(table, columns.select, table.primaryId, guids), columns);
  }

  /** Values in Dataverse's terms: option-set values for labels, binds for lookups; unknown labels refused. */
  private async wire(table: DataverseTable, fields: CrmWrite['fields']): Promise<Record<string, unknown>> {
    const data: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      const field = findField(table.describe, name);
      const column = field?.name ?? name;
      const lookup = table.lookups.get(column) ?? table.navigations.get(column.toLowerCase());
      if (lookup) {
        const target = lookup.targets[0];
        if (!target) throw new CrmError('configuration', 'UNKNOWN_TARGET', `${table.logicalName}.${lookup.navigation} points at no table hubsync knows`);
        const targetSet = (await this.tableOrThrow(target)).entitySet;
        data[`${lookup.navigation}@odata.bind`] = value === null ? null : `/${targetSet}(${requireGuid(String(value), `${table.logicalName}.${lookup.navigation}`)})`;
        continue;
      }
      const options = table.optionSets.get(column);
      if (options && value !== null && typeof value !== 'number') {
        const labels = options.multi ? String(value).split(';').map((v) => v.trim()).filter(Boolean) : [String(value)];
        const values = labels.map((label) => {
          const v = options.values.get(label.toLowerCase());
          if (v === undefined) {
            throw new CrmError('record', 'INVALID_OPTION', `'${label}' is not an option of ${table.logicalName}.${column} (options: ${[...options.labels.values()].join(', ')})`, { fix: `use one of the options, or add '${label}' to the option set in Dataverse` });
          }
          return v;
        });
        data[column] = options.multi ? (values.length ? values.join(',') : null) : values[0];
        continue;
      }
      data[column] = value;
    }
    return data;
  }

  async writeBatch(object: string, operation: WriteOperation, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    if (records.length > DATAVERSE_LIMITS.writeBatchSize) throw new CrmError('configuration', 'TOO_MANY_INPUTS', `${records.length} records in one ${operation} of ${object}: at most ${DATAVERSE_LIMITS.writeBatchSize} a call`);
    const table = await this.tableOrThrow(object);
    const results: CrmWriteResult[] = [];
    for (const r of records) {
      try {
        if (operation === 'create') {
          const data = await this.wire(table, r.fields);
          const id = await this.api.call(`creating a ${table.logicalName} row`, { idempotent: false }, (c) => c.create<Record<string, unknown>, string>({ collection: table.entitySet, data }));
          results.push({ ok: true, created: true, id: String(id).toLowerCase(), errors: [] });
          continue;
        }
        const id = requireGuid(r.id ?? '', `${operation} of ${table.logicalName}`);
        if (operation === 'delete') await this.api.call(`deleting ${table.logicalName} ${id}`, { idempotent: true }, (c) => c.deleteRecord({ collection: table.entitySet, key: id }));
        else {
          const data = await this.wire(table, r.fields);
          // The library sends If-Match: * on update: a missing row is a 404, not a new row.
          await this.api.call(`updating ${table.logicalName} ${id}`, { idempotent: true }, (c) => c.update({ collection: table.entitySet, key: id, data }));
        }
        results.push({ ok: true, id, errors: [] });
      } catch (err) {
        results.push(refusal(err, r.id ?? null));
      }
    }
    return results;
  }

  /**
   * Creates-or-updates by an alternate key (`accounts(accountnumber='A-1')`): a create-only PATCH
   * (`If-None-Match: *`) first, and an update of the existing row when Dataverse answers 412, so `created` is known.
   */
  async upsertBatch(object: string, externalIdField: string, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    const table = await this.tableOrThrow(object);
    const results: CrmWriteResult[] = [];
    for (const r of records) {
      const keyValue = r.fields[externalIdField];
      const key = `${externalIdField}=${literal(keyValue === null || keyValue === undefined ? '' : keyValue)}`;
      try {
        const data = await this.wire(table, Object.fromEntries(Object.entries(r.fields).filter(([k]) => k !== externalIdField)));
        let created = true;
        let row: Row | null | undefined;
        try {
          row = await this.api.call(`creating ${table.logicalName} ${key}`, { idempotent: true }, (c) => c.upsert<Record<string, unknown>, Row>({ collection: table.entitySet, key, data, ifnonematch: '*', returnRepresentation: true, select: [table.primaryId] }));
        } catch (err) {
          if (!(err instanceof CrmError && err.code === PRECONDITION_FAILED)) throw err;
          created = false;
          row = await this.api.call(`updating ${table.logicalName} ${key}`, { idempotent: true }, (c) => c.update<Record<string, unknown>, Row>({ collection: table.entitySet, key, data, returnRepresentation: true, select: [table.primaryId] }));
        }
        results.push({ ok: true, created, id: row ? String(row[table.primaryId]).toLowerCase() : null, errors: [] });
      } catch (err) {
        results.push(refusal(err, null));
      }
    }
    return results;
  }

  async findUsersByEmail(emails: string[]): Promise<Map<string, CrmUser[]>> {
    const wanted = new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean));
    const found = new Map<string, CrmUser[]>();
    if (wanted.size === 0) return found;
    for (const [id, u] of await this.userIndex()) {
      const email = typeof u['internalemailaddress'] === 'string' ? u['internalemailaddress'].toLowerCase() : undefined;
      if (!email || !wanted.has(email)) continue;
      found.set(email, [...(found.get(email) ?? []), { id, email, active: u['isdisabled'] !== true, name: typeof u['fullname'] === 'string' ? u['fullname'] : null }]);
    }
    return found;
  }

  async findContactsByEmail(emails: string[]): Promise<Map<string, string[]>> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, string[]>();
    if (wanted.length === 0) return found;
    const table = await this.tableOrThrow('contacts');
    for (const row of await this.rowsWhereAny(table, [table.primaryId, 'emailaddress1'], 'emailaddress1', wanted.map(literal), ['createdon asc'])) {
      const email = typeof row['emailaddress1'] === 'string' ? row['emailaddress1'].toLowerCase() : undefined;
      if (email) found.set(email, [...(found.get(email) ?? []), String(row[table.primaryId]).toLowerCase()]);
    }
    return found;
  }

  /** The row's values at `paths` and its version, referenced rows expanded (`$expand=owninguser($select=…)`): one GET. */
  async readForWrite(objectName: string, id: string, paths: string[]): Promise<CrmVersionedRecord | undefined> {
    const table = await this.tableOrThrow(objectName);
    const key = requireGuid(id, `reading ${table.logicalName}`);
    const columns = this.columns(table, paths);
    const expand = await Promise.all(
      [...columns.through].map(async ([lookup, wanted]) => {
        const target = await this.tableOrThrow(lookup.targets[0] ?? '');
        return { lookup, property: lookup.expand, select: [...new Set([target.primaryId, VERSION, ...[...wanted].map((c) => findField(target.describe, c)?.name ?? c)])], target };
      }),
    );
    let row: Row;
    try {
      row = await this.api.call(`reading ${table.logicalName} ${key}`, { idempotent: true, waitOnRateLimit: false }, (c) =>
        c.retrieve<Row>({ collection: table.entitySet, key, select: columns.select, ...(expand.length ? { expand: expand.map(({ property, select }) => ({ property, select })) } : {}) }),
      );
    } catch (err) {
      if (err instanceof CrmError && err.kind === 'not-found') return undefined;
      throw err;
    }
    const fields = this.values(table, row, columns.select);
    for (const { lookup, property, target } of expand) {
      const related = row[property];
      fields[lookup.navigation] = related && typeof related === 'object' ? this.values(target, related as Row, Object.keys(related)) : null;
    }
    return { id: key, version: row[VERSION] === undefined || row[VERSION] === null ? null : String(row[VERSION]), fields };
  }

  /** `PATCH` with `If-Match: W/"<version>"`: Dataverse writes only if the row is still at that version (412 otherwise). */
  async updateIfUnchanged(objectName: string, id: string, version: string | null, fields: CrmWrite['fields']): Promise<CrmConditionalWriteResult> {
    const table = await this.tableOrThrow(objectName);
    const key = requireGuid(id, `updating ${table.logicalName}`);
    try {
      const data = await this.wire(table, fields);
      await this.api.call(`updating ${table.logicalName} ${key}`, { idempotent: version !== null, waitOnRateLimit: false }, (c) =>
        c.update({ collection: table.entitySet, key, data, ...(version ? { ifmatch: `W/"${version}"` } : {}) }),
      );
      return { ok: true, id: key, stale: false, errors: [] };
    } catch (err) {
      const e = toCrmError(err, `update of ${table.logicalName} ${key}`);
      if (e.code === PRECONDITION_FAILED) {
        return { ok: false, id: key, stale: true, errors: [{ code: e.code, message: e.message, fields: [] }] };
      }
      if (e.kind !== 'record' && e.kind !== 'configuration' && e.kind !== 'not-found') throw e;
      return { ok: false, id: key, stale: false, errors: [{ code: e.code, message: e.message, fields: [] }] };
    }
  }

  async findRecordsByField(objectName: string, field: string, value: string | number | boolean, paths: string[], limit: number): Promise<CrmRecord[]> {
    const table = await this.tableOrThrow(objectName);
    const column = findField(table.describe, field)?.name;
    if (!column) throw new CrmError('configuration', 'UNKNOWN_FIELD', `Dataverse table ${table.logicalName} has no column '${field}'`);
    const columns = this.columns(table, [column, ...paths]);
    const active = findField(table.describe, 'isdisabled') ? ' and isdisabled eq false' : '';
    const answer = await this.api.call(`looking up ${table.entitySet} by ${column}`, { idempotent: true, waitOnRateLimit: false }, (c) =>
      c.retrieveMultiple({ collection: table.entitySet, select: columns.select, filter: `${column} eq ${literal(value)}${active}`, top: limit }),
    );
    return this.toRecords(table, answer.value as Row[], columns);
  }

  /**
   * Nothing without a call: dynamics-web-api keeps answers' headers to itself, and Dataverse's window is a
   * rolling five minutes with no reserve to keep; its 429s (Retry-After) are what a job waits on.
   */
  reportedUsage(): ApiUsage | undefined {
    return undefined;
  }

  /**
   * Dataverse has no daily allowance an API reports; service protection counts requests in a 5-minute sliding
   * window (6,000 per user) and says what is left in `x-ms-ratelimit-burst-remaining-xrm-requests` (and the
   * execution time left in `x-ms-ratelimit-time-remaining-xrm-requests`) on its answers. One WhoAmI reads them.
   */
  async apiUsage(): Promise<ApiUsage> {
    const max = 6000;
    const response = await this.api.call('reading the service protection headers', { idempotent: true }, async () => {
      const r = await fetch(`${this.api.serverUrl}/api/data/v9.2/WhoAmI`, { headers: { authorization: `Bearer ${await this.api.accessToken()}`, accept: 'application/json', 'OData-Version': '4.0' } });
      if (!r.ok) throw Object.assign(new Error(`WhoAmI: HTTP ${r.status}`), { status: r.status, headers: Object.fromEntries(r.headers.entries()), ...(((await r.json().catch(() => ({}))) as { error?: object }).error ?? {}) });
      return r;
    });
    const remaining = Number(response.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests'));
    const time = response.headers.get('x-ms-ratelimit-time-remaining-xrm-requests');
    const known = response.headers.has('x-ms-ratelimit-burst-remaining-xrm-requests') && Number.isFinite(remaining);
    return {
      used: known ? Math.max(0, max - remaining) : 0,
      max,
      window: 'rolling',
      detail: known ? `service protection: ${remaining} of ${max} requests left in the 5-minute window${time ? `, ${time} of execution time` : ''}` : 'Dataverse sent no service-protection headers; its limits are 6,000 requests and 20 minutes of execution time per user in a 5-minute window',
    };
  }
}

/** A row Dataverse refused, as a write result; anything but a refusal of the row is thrown on. */
function refusal(err: unknown, id: string | null): CrmWriteResult {
  const e = toCrmError(err, 'Dataverse refused the row');
  if (e.kind !== 'record' && e.kind !== 'configuration' && e.kind !== 'not-found') throw e;
  return { ok: false, id, errors: [{ code: e.code, message: e.message, fields: [] }] };
}

export const dataverseConnector: CrmConnector = {
  kind: 'dynamics',
  jobKinds: DATAVERSE_JOB_KINDS,
  connectionSchema: DataverseConnectionSchema,
  toStored: dataverseToStored,
  async open(connection) {
    const api = new DataverseApi(connection.id, connection.baseUrl, DataverseSettingsSchema.parse(connection.settings), DataverseSecretsSchema.parse(connection.secrets));
    return new DataverseSession(await api.open());
  },
};
