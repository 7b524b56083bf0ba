/**
 * The Salesforce connector: a CrmSession over a jsforce Connection. Reads are SOQL (soql.ts) through
 * `query` or, with deletions, `queryAll`; writes are sObject Collections (200 records a call, one result
 * per record, `allOrNone: false`); every jsforce error leaves as a CrmError (client.ts).
 */
import type { Connection } from 'jsforce';
import { z } from 'zod';
import type { SyncCursor } from '../../../kernel/cursors';
import { toIsoDateTime } from '../../../kernel/datetime';
import { JOB_KINDS } from '../../../kernel/job-kinds';
import { cursorAfter, type ApiUsage, type CrmConditionalWriteResult, type CrmConnector, type CrmPage, type CrmRecord, type CrmSession, type CrmUser, type CrmVersionedRecord, type CrmWrite, type CrmWriteResult, type ReadOptions, type ReadSpec, type WriteOperation } from '../connector';
import { CrmError } from '../errors';
import type { CrmObjectDescribe, ValidationIssue } from '../types';
import { apiUsage, describeCache, openSalesforce, toCrmError } from './client';
import { SalesforceConnectionSchema, SalesforceSecretsSchema, SalesforceSettingsSchema, salesforceToStored } from './connection';
import { validateSoqlFilter } from './filter';
import { byIdsSoql, countSoql, pageSoql, selectFields, soqlString } from './soql';

/** Salesforce's API limits (ARCHITECTURE rule 6). */
export const SALESFORCE_LIMITS = {
  /** The largest query batch: one page is one API call. */
  pageSize: 2000,
  /** sObject Collections take at most 200 records per call. */
  writeBatchSize: 200,
  /** IDs per `WHERE Id IN (...)` query: keeps the SOQL well under its 100,000-character limit. */
  idsPerRead: 200,
  /**
   * Salesforce stamps SystemModstamp to the second and when a transaction starts, not when it commits: a
   * record can become visible with a stamp at or before the last one a run saw. A minute of look-back costs a
   * few re-reads (recognised as unchanged), never a missed record.
   */
  stampLookbackMs: 60_000,
} as const;

/** A query record: attributes, fields, and nested objects for relationships. */
const QueryRecordSchema = z.looseObject({ Id: z.string() });
const QueryResultSchema = z.object({ totalSize: z.number(), records: z.array(QueryRecordSchema) });

/** A save result of sObject Collections: errors carry `statusCode` (single-record errors `errorCode`). */
const SaveResultSchema = z.object({
  id: z.string().nullish(),
  success: z.boolean(),
  created: z.boolean().optional(),
  errors: z
    .array(z.object({ statusCode: z.string().optional(), errorCode: z.string().optional(), message: z.string(), fields: z.array(z.string()).optional() }))
    .default([]),
});

const UserSchema = z.object({ Id: z.string(), Email: z.string().nullable(), IsActive: z.boolean(), Name: z.string().nullable() });

/** The SOQL record in hubsync's shape; SystemModstamp is the stamp the cursor orders by. */
export function toCrmRecord(raw: Record<string, unknown>): CrmRecord {
  const { attributes: _attributes, ...fields } = raw;
  return {
    id: String(fields['Id'] ?? ''),
    modifiedAt: toIsoDateTime(fields['SystemModstamp'] ?? fields['LastModifiedDate']),
    deleted: fields['IsDeleted'] === true,
    fields,
  };
}

function parseRecords(answer: unknown, what: string): CrmRecord[] {
  const parsed = QueryResultSchema.safeParse(answer);
  if (!parsed.success) throw new CrmError('transient', 'UNEXPECTED_RESPONSE', `${what}: the query answer is not a QueryResult (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data.records.map(toCrmRecord);
}

function toWriteResult(raw: unknown): CrmWriteResult {
  const r = SaveResultSchema.parse(raw);
  return {
    ok: r.success,
    ...(r.created !== undefined ? { created: r.created } : {}),
    id: r.id ?? null,
    errors: r.errors.map((e) => ({ code: e.statusCode ?? e.errorCode ?? 'UNKNOWN', message: e.message, fields: e.fields ?? [] })),
  };
}

export class SalesforceSession implements CrmSession {
  readonly kind = 'salesforce' as const;
  readonly limits = SALESFORCE_LIMITS;
  readonly describe: (objectName: string) => Promise<CrmObjectDescribe | undefined>;

  constructor(
    readonly connectionId: string,
    /** The jsforce connection; it refreshes its access token on a 401 and replays the call. */
    readonly conn: Connection,
  ) {
    this.describe = describeCache(conn);
  }

  get instanceUrl(): string {
    return this.conn.instanceUrl;
  }

  /** The API version the session speaks (jsforce would otherwise default to 50.0). */
  get apiVersion(): string {
    return this.conn.version;
  }

  private async query(soql: string, options: { scanAll: boolean; autoFetch?: boolean; maxFetch?: number }, what: string): Promise<unknown> {
    try {
      return await this.conn.query(soql, { autoFetch: false, ...options });
    } catch (err) {
      throw toCrmError(err, what);
    }
  }

  async checkFilter(object: CrmObjectDescribe, filter: string): Promise<ValidationIssue[]> {
    const local = await validateSoqlFilter(filter, object, this.describe);
    if (local.length > 0) return local;
    try {
      // The CRM's own parser has the last word (T8): a cheap query reports its reason verbatim.
      await this.conn.query(`SELECT Id FROM ${object.name} WHERE (${filter}) LIMIT 1`);
      return [];
    } catch (err) {
      const crmError = toCrmError(err, 'the CRM refused the filter');
      if (crmError.kind !== 'configuration' && crmError.kind !== 'record') throw crmError;
      return [{ severity: 'error', code: 'FILTER_REFUSED_BY_CRM', message: `filter: ${crmError.message}`, fix: "correct the condition; the message above is Salesforce's own" }];
    }
  }

  async countRecords(spec: ReadSpec, cursor: SyncCursor, includeDeleted: boolean): Promise<number> {
    const answer = await this.query(countSoql(spec, cursor), { scanAll: includeDeleted }, `counting ${spec.object} records`);
    return z.object({ totalSize: z.number() }).parse(answer).totalSize;
  }

  /** One SOQL query ordered by (SystemModstamp, Id): a page shorter than asked is the last one. */
  async readPage(spec: ReadSpec, cursor: SyncCursor, options: ReadOptions): Promise<CrmPage> {
    const size = Math.min(options.pageSize, SALESFORCE_LIMITS.pageSize);
    const answer = await this.query(pageSoql(spec, cursor, size), { scanAll: options.includeDeleted }, `reading ${spec.object} records`);
    const records = parseRecords(answer, `reading ${spec.object} records`);
    return { records, next: cursorAfter(records, cursor), done: records.length < size };
  }

  /** queryAll returns deleted records (IsDeleted) in the pages themselves: nothing to read apart. */
  async readDeletions(): Promise<string[]> {
    return [];
  }

  async readByIds(spec: ReadSpec, ids: string[]): Promise<CrmRecord[]> {
    if (ids.length === 0) return [];
    const answer = await this.query(byIdsSoql(spec, ids), { scanAll: true, autoFetch: true, maxFetch: ids.length + 1 }, `reading ${spec.object} records by Id`);
    return parseRecords(answer, `reading ${spec.object} records by Id`);
  }

  async writeBatch(object: string, operation: WriteOperation, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    if (records.length === 0) return [];
    if (records.length > SALESFORCE_LIMITS.writeBatchSize) {
      throw new CrmError('configuration', 'EXCEEDED_ID_LIMIT', `${records.length} records in one ${operation} of ${object}: sObject Collections take at most ${SALESFORCE_LIMITS.writeBatchSize}`);
    }
    const sobject = this.conn.sobject(object);
    const options = { allOrNone: false };
    let answer: unknown;
    try {
      // jsforce copies each record into the request body itself and leaves the caller's objects alone.
      if (operation === 'create') answer = await sobject.create(records.map((r) => r.fields), options);
      else if (operation === 'update') answer = await sobject.update(records.map((r) => ({ ...r.fields, Id: requireId(r, operation) })), options);
      else answer = await sobject.destroy(records.map((r) => requireId(r, operation)), options);
    } catch (err) {
      throw toCrmError(err, `${operation} of ${records.length} ${object} records`);
    }
    return z.array(z.unknown()).parse(answer).map(toWriteResult);
  }

  /**
   * sObject Collections upsert (PATCH /composite/sobjects/{object}/{externalIdField}, API 46.0+), 200 records a
   * call, `allOrNone: false`; each record carries its key in `externalIdField`.
   */
  async upsertBatch(object: string, externalIdField: string, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    if (records.length === 0) return [];
    if (records.length > SALESFORCE_LIMITS.writeBatchSize) {
      throw new CrmError('configuration', 'EXCEEDED_ID_LIMIT', `${records.length} records in one upsert of ${object}: sObject Collections take at most ${SALESFORCE_LIMITS.writeBatchSize}`);
    }
    let answer: unknown;
    try {
      answer = await this.conn.sobject(object).upsert(records.map((r) => r.fields), externalIdField, { allOrNone: false });
    } catch (err) {
      throw toCrmError(err, `upsert of ${records.length} ${object} records on ${externalIdField}`);
    }
    return z.array(z.unknown()).parse(answer).map(toWriteResult);
  }

  /** `SELECT <fields> FROM <object> WHERE Email IN (...)`, 200 emails a query, every page fetched. */
  private async byEmail<T extends { Email: string | null }>(object: string, fields: string, schema: z.ZodType<T>, emails: string[]): Promise<Map<string, T[]>> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, T[]>();
    for (let i = 0; i < wanted.length; i += SALESFORCE_LIMITS.idsPerRead) {
      const chunk = wanted.slice(i, i + SALESFORCE_LIMITS.idsPerRead);
      const answer = await this.query(`SELECT ${fields} FROM ${object} WHERE Email IN (${chunk.map(soqlString).join(', ')}) ORDER BY CreatedDate, Id`, { scanAll: false, autoFetch: true, maxFetch: 50_000 }, `looking up ${object} records by email`);
      for (const r of z.object({ records: z.array(schema) }).parse(answer).records) {
        if (!r.Email) continue;
        const email = r.Email.toLowerCase();
        found.set(email, [...(found.get(email) ?? []), r]);
      }
    }
    return found;
  }

  async findUsersByEmail(emails: string[]): Promise<Map<string, CrmUser[]>> {
    const found = await this.byEmail('User', 'Id, Email, IsActive, Name', UserSchema, emails);
    return new Map([...found].map(([email, users]) => [email, users.map((u) => ({ id: u.Id, email, active: u.IsActive, name: u.Name }))]));
  }

  async findContactsByEmail(emails: string[]): Promise<Map<string, string[]>> {
    const found = await this.byEmail('Contact', 'Id, Email', z.object({ Id: z.string(), Email: z.string().nullable() }), emails);
    return new Map([...found].map(([email, contacts]) => [email, contacts.map((c) => c.Id)]));
  }

  readonly versionField = 'LastModifiedDate';

  async readForWrite(object: string, id: string, paths: string[]): Promise<CrmVersionedRecord | undefined> {
    const answer = await this.query(byIdsSoql({ object, paths }, [id]), { scanAll: false }, `reading ${object} ${id}`);
    const [record] = parseRecords(answer, `reading ${object} ${id}`);
    if (!record) return undefined;
    return { id: record.id, version: toIsoDateTime(record.fields['LastModifiedDate']), fields: record.fields };
  }

  /**
   * A single-record PATCH (sObject Rows) carrying `If-Unmodified-Since` with the LastModifiedDate read before:
   * Salesforce answers 412 and writes nothing when the record was modified after it ("Conditional Request
   * Headers", REST API guide). This is the weak (one-second) validator; it works for every object and needs
   * only the version the compare read already returned. (`If-Match` takes the ETag Salesforce returns on
   * Account rows only, and only from a GET of the row, which cannot read relationship fields such as
   * Owner.Email: it would cost a third call.) jsforce does not retry a PATCH, so this sends it exactly once.
   */
  async updateIfUnchanged(object: string, id: string, version: string | null, fields: CrmWrite['fields']): Promise<CrmConditionalWriteResult> {
    const headers: Record<string, string> = version ? { 'If-Unmodified-Since': new Date(version).toUTCString() } : {};
    try {
      await this.conn.sobject(object).update({ ...fields, Id: id }, { headers });
      return { ok: true, id, stale: false, errors: [] };
    } catch (err) {
      const e = toCrmError(err, `update of ${object} ${id}`);
      if (e.code === 'PRECONDITION_FAILED' || e.code === 'ERROR_HTTP_412') return { ok: false, id, stale: true, errors: [{ code: e.code, message: e.message, fields: [] }] };
      if (e.kind !== 'record' && e.kind !== 'configuration' && e.kind !== 'not-found') throw e;
      return { ok: false, id, stale: false, errors: [{ code: e.code ?? 'UNKNOWN', message: e.message, fields: [] }] };
    }
  }

  async findRecordsByField(object: string, field: string, value: string | number | boolean, paths: string[], limit: number): Promise<CrmRecord[]> {
    const describe = await this.describe(object);
    const activeFlag = describe?.fields.some((f) => f.name === 'IsActive' && f.type === 'boolean') ? ' AND IsActive = true' : '';
    const literal = typeof value === 'string' ? soqlString(value) : String(value);
    const soql = `SELECT ${selectFields([field, ...paths]).join(', ')} FROM ${object} WHERE ${field} = ${literal}${activeFlag} ORDER BY Id LIMIT ${limit}`;
    return parseRecords(await this.query(soql, { scanAll: false }, `looking up ${object} by ${field}`), `looking up ${object} by ${field}`);
  }

  apiUsage() {
    return apiUsage(this.conn);
  }

  /** jsforce replaces `conn.limitInfo` with a new object on every answer carrying `Sforce-Limit-Info`. */
  private lastLimitInfo: unknown;
  reportedUsage(): ApiUsage | undefined {
    const info = this.conn.limitInfo;
    if (info === this.lastLimitInfo || !info?.apiUsage) return undefined;
    this.lastLimitInfo = info;
    return { used: info.apiUsage.used, max: info.apiUsage.limit, window: 'day' };
  }
}

function requireId(record: CrmWrite, operation: WriteOperation): string {
  if (!record.id) throw new CrmError('configuration', 'MISSING_ID', `a record to ${operation} needs its CRM ID`);
  return record.id;
}

export const salesforceConnector: CrmConnector = {
  kind: 'salesforce',
  jobKinds: JOB_KINDS,
  connectionSchema: SalesforceConnectionSchema,
  toStored: salesforceToStored,
  async open(connection) {
    const conn = await openSalesforce({
      id: connection.id,
      baseUrl: connection.baseUrl,
      settings: SalesforceSettingsSchema.parse(connection.settings),
      secrets: SalesforceSecretsSchema.parse(connection.secrets),
    });
    return new SalesforceSession(connection.id, conn);
  },
};
