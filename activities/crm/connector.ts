/**
 * The one interface every CRM connector implements (Salesforce today; HubSpot and Dataverse next). Activities,
 * validation, preview and runs talk to a CRM only through a CrmSession; nothing outside crm/<name>/ imports a
 * CRM's client library or speaks its query language.
 *
 * Designed against the three CRMs' contracts:
 * - reading: pages in a stable order from a cursor (modification stamp, then record ID), deleted records
 *   included where the CRM can show them (Salesforce queryAll; HubSpot `archived=true`; Dataverse change
 *   tracking), at the CRM's page limit (2,000; 100; 5,000);
 * - writing: batches at the CRM's limit (sObject Collections 200; HubSpot batch 100; Dataverse $batch) with
 *   one result per record, in request order, so one refused record never fails the others;
 * - compare-and-set: a read of the current values and version (SystemModstamp; hs_lastmodifieddate; the
 *   row's @odata.etag) and a write that applies only if the version is still the one read;
 * - errors: every client-library error leaves the connector as a CrmError of a kernel kind.
 */
import type { z } from 'zod';
import type { ConnectionKind, JobKind } from '../../kernel/job-kinds';
import type { ApiUsage } from '../../kernel/budget';
import type { SyncCursor } from '../../kernel/cursors';
import type { CrmObjectDescribe, ValidationIssue } from './types';

/** One CRM record as a connector hands it over, whatever the CRM. */
export interface CrmRecord {
  /** The record's ID, in the CRM's own case (API calls and record links need it so). */
  id: string;
  /** The CRM's modification stamp (ISO 8601): the cursor's order and last-update-wins (T18, T29). */
  modifiedAt: string | null;
  /** The CRM reports the record deleted (recycle bin, archive, change log): it is deleted in the hub (T19). */
  deleted: boolean;
  /**
   * Values by the mapping's own paths: `Field`, or `Relationship.Field` for a first-level reference, as a
   * nested object (`{ Owner: { Email } }`). Datetimes are ISO 8601.
   */
  fields: Record<string, unknown>;
}

/** What an inbound job reads: the object, the mapped paths, and the job's own filter in the CRM's language. */
export interface ReadSpec {
  object: string;
  /** Mapped paths (`Subject`, `Owner.Email`); the connector adds what it needs for IDs, stamps and deletions. */
  paths: string[];
  filter?: string | undefined;
}

export interface ReadOptions {
  /** Records per call, at most the session's `limits.pageSize`. */
  pageSize: number;
  /** Also return records the CRM reports deleted (runs need them; preview does not). */
  includeDeleted: boolean;
}

/**
 * One page of a read, in (modifiedAt, id) order. The connector says where the next page starts and whether
 * there is one: a CRM whose pages cannot end exactly at the page size (HubSpot's search, whose results share
 * stamps in no defined order) may return fewer records and still have more. A page that is not `done` has
 * at least one record.
 */
export interface CrmPage {
  records: CrmRecord[];
  /** The cursor after this page: where the next read starts, and what a run stores once the page is written. */
  next: SyncCursor;
  /** No records after this page. */
  done: boolean;
}

/** The cursor after `records` (the last one's stamp and ID), or `cursor` for an empty page. */
export function cursorAfter(records: Array<Pick<CrmRecord, 'id' | 'modifiedAt'>>, cursor: SyncCursor): SyncCursor {
  const last = records[records.length - 1];
  return last ? { modifiedAt: last.modifiedAt, lastId: last.id } : cursor;
}

export type WriteOperation = 'create' | 'update' | 'delete';

export interface CrmWrite {
  /** The record's CRM ID: required for update and delete, absent for create. */
  id?: string;
  /** Field API name → value, already in the CRM's format (multi-select `a;b`, date `YYYY-MM-DD`). */
  fields: Record<string, string | number | boolean | null>;
}

export interface CrmWriteResult {
  ok: boolean;
  /** An upsert created the record (rather than finding it by its external ID); false otherwise. */
  created?: boolean;
  /** The record's CRM ID (the new one for a create). */
  id: string | null;
  /** The CRM's own code and message when the record was refused. */
  errors: Array<{ code: string; message: string; fields: string[] }>;
}

/** A CRM user, for owner-like lookups (account assignments, task owners). */
export interface CrmUser {
  id: string;
  email: string;
  active: boolean;
  name: string | null;
}

/** The current values of a record and the version they belong to, for compare-and-set (W13). */
export interface CrmVersionedRecord {
  id: string;
  /** The CRM's version of the record (Salesforce: LastModifiedDate), the precondition of a conditional write. */
  version: string | null;
  /** Values by path, as CrmRecord.fields. */
  fields: Record<string, unknown>;
}

/** A conditional write's result: `stale` when the CRM refused it because the record changed since `version`. */
export interface CrmConditionalWriteResult extends CrmWriteResult {
  stale: boolean;
  /** API requests the write took (HubSpot: the check and the PATCH); 1 when absent. */
  requests?: number;
}

export type { ApiUsage };

/** The API's own batch and page limits (ARCHITECTURE rule 6): callers never exceed them. */
export interface CrmLimits {
  /** Records per read call. */
  pageSize: number;
  /** Records per write call. */
  writeBatchSize: number;
  /** IDs per read-by-IDs call. */
  idsPerRead: number;
  /**
   * How far before the stored cursor an incremental read starts: a CRM may make a record visible with a
   * stamp at or before the last one a run saw (T29).
   */
  stampLookbackMs: number;
}

/** An authenticated conversation with one CRM org, for one connection; its describe answers are cached. */
export interface CrmSession {
  readonly kind: ConnectionKind;
  readonly connectionId: string;
  readonly limits: CrmLimits;
  /** Where the session is connected (after any redirect the login gave). */
  readonly instanceUrl: string;
  /** An object's schema in hubsync's shape; undefined when the CRM has no such object. */
  describe(objectName: string): Promise<CrmObjectDescribe | undefined>;
  /** The filter checked locally (syntax, fields) and then by the CRM itself; the issues, empty when it passes. */
  checkFilter(object: CrmObjectDescribe, filter: string): Promise<ValidationIssue[]>;
  /**
   * How many records a read from `cursor` will return (for progress, never for logic); null when the CRM
   * cannot say with one cheap call (a Dataverse delta, or more rows than its count goes to).
   */
  countRecords(spec: ReadSpec, cursor: SyncCursor, includeDeleted: boolean): Promise<number | null>;
  /** The next page after `cursor`, ordered by (modifiedAt, id). */
  readPage(spec: ReadSpec, cursor: SyncCursor, options: ReadOptions): Promise<CrmPage>;
  /**
   * IDs of records deleted since `since` (ISO; null: every deletion the CRM still shows) that the pages do not
   * carry themselves: HubSpot lists archived records apart from live ones. A CRM whose pages include deleted
   * records (Salesforce queryAll, Dataverse change tracking) answers [] without a call.
   */
  readDeletions(spec: ReadSpec, since: string | null): Promise<string[]>;
  /** Records by ID (deleted ones included, filter applied); IDs not returned no longer exist or no longer match. */
  readByIds(spec: ReadSpec, ids: string[]): Promise<CrmRecord[]>;
  /** One batch of at most `limits.writeBatchSize` records; one result per record, in request order. */
  writeBatch(object: string, operation: WriteOperation, records: CrmWrite[]): Promise<CrmWriteResult[]>;
  /**
   * One batch of at most `limits.writeBatchSize` creates-or-updates keyed by `externalIdField`, an External ID
   * field of the object: a record that already holds the key is updated, not created again, so a retried
   * create never duplicates. One result per record, in request order, with `created`.
   */
  upsertBatch(object: string, externalIdField: string, records: CrmWrite[]): Promise<CrmWriteResult[]>;
  /** Users by email (lowercase), every match: emails need not be unique in a CRM. */
  findUsersByEmail(emails: string[]): Promise<Map<string, CrmUser[]>>;
  /** Contacts by email (lowercase) → their IDs, every match, oldest first (T23: participants become WhoId). */
  findContactsByEmail(emails: string[]): Promise<Map<string, string[]>>;
  /**
   * The field holding a record's version (Salesforce `LastModifiedDate`): read it, or `Relationship.<it>` for
   * a referenced record, with the values a conditional write depends on.
   */
  readonly versionField: string;
  /** One record's current values at `paths` (first-level references included) and its version; undefined when gone. */
  readForWrite(object: string, id: string, paths: string[]): Promise<CrmVersionedRecord | undefined>;
  /**
   * Writes `fields` only if the record is still at `version`, as the CRM itself checks it (Salesforce:
   * `If-Unmodified-Since`, answered 412 otherwise); `stale` and nothing written when it is not. A refusal of the
   * record comes back in `errors`; an unreachable or failing CRM throws its CrmError.
   */
  updateIfUnchanged(object: string, id: string, version: string | null, fields: CrmWrite['fields']): Promise<CrmConditionalWriteResult>;
  /**
   * Records of `object` whose `field` equals `value`, with `paths` read (for a re-point, W7); only active ones
   * where the object has an active flag (Salesforce User.IsActive). At most `limit` are returned.
   */
  findRecordsByField(object: string, field: string, value: string | number | boolean, paths: string[], limit: number): Promise<CrmRecord[]>;
  /** The org's API usage against its allocation (one call). */
  apiUsage(): Promise<ApiUsage>;
  /**
   * The usage the CRM reported on its answers since the last time this was asked, without a call of its own
   * (Salesforce's `Sforce-Limit-Info` header); undefined when it reported nothing new or never reports it.
   */
  reportedUsage(): ApiUsage | undefined;
}

/** The stored form of a connection: what the hub keeps (secrets encrypted apart) and what a session opens. */
export interface StoredConnectionParts {
  baseUrl: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface CrmConnector {
  readonly kind: ConnectionKind;
  /** The job kinds a connection of this kind runs (HubSpot: accounts only, so far). */
  readonly jobKinds: readonly JobKind[];
  /** The settings and secrets a new connection of this kind takes, as the user gives them. */
  readonly connectionSchema: z.ZodType<Record<string, unknown>>;
  /** Splits validated input into the base URL, the stored settings and the secrets (to be encrypted). */
  toStored(input: Record<string, unknown>): StoredConnectionParts;
  /** Authenticates and opens a session. Auth failures are CrmErrors of kind `auth`. */
  open(connection: { id: string } & StoredConnectionParts): Promise<CrmSession>;
}
