/**
 * The HubSpot connector: a CrmSession over @hubspot/api-client (client.ts for auth, pacing, retries, errors).
 *
 * Reading pages. HubSpot's search is the only API that filters and orders by modification time, and it sorts by
 * one property only, leaves the order of equal values undefined, and stops at 10,000 results per query. So a
 * page is always a fresh search from the cursor, never the `after` of an earlier one (the cap never applies):
 * `(stamp = S AND id > L) OR stamp > S`, sorted by the stamp, one record more than the page. Records whose stamp
 * is below the last stamp of that answer are complete and become the page, sorted by (stamp, id); records
 * sharing the last stamp wait for the next page. When a whole answer shares one stamp (a bulk import), the page
 * comes from `stamp = S AND id > L` sorted by ID instead, as many pages as that stamp has; the session
 * remembers the dense stamp, so its next pages go there directly. A page thus costs one search call, ties cost
 * at most one more at their start, and nothing is missed or read twice at any boundary, however many
 * records share a window or a stamp.
 *
 * IDs in cursors are zero-padded to 20 digits so that the hub's cursor comparison (text) orders them as numbers.
 * Search does not return archived records: deletions come from the archived listing (readDeletions).
 */
import type { JobKind } from '../../../kernel/job-kinds';
import { toIsoDateTime } from '../../../kernel/datetime';
import type { SyncCursor } from '../../../kernel/cursors';
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
import { HubSpotApi, toCrmError } from './client';
import { HubSpotConnectionSchema, HubSpotSecretsSchema, HubSpotSettingsSchema, hubspotToStored } from './connection';
import { describeObject, OWNER_FIELD, OWNER_RELATIONSHIP, OWNERS_DESCRIBE, OWNERS_OBJECT, PropertySchema } from './describe';
import { parseHubSpotFilter, type SearchFilter } from './filter';

/** HubSpot's API limits (ARCHITECTURE rule 6). */
export const HUBSPOT_LIMITS = {
  /** Records per page; each search asks one more, to see whether the page's last stamp continues. */
  pageSize: 100,
  /** Batch endpoints take at most 100 inputs. */
  writeBatchSize: 100,
  /** IDs per `hs_object_id IN (...)` search. */
  idsPerRead: 100,
  /** Search is eventually consistent: a change can take seconds to be found by it. A minute of look-back. */
  stampLookbackMs: 60_000,
} as const;

/** Owners per page of the Owners API (its maximum). */
const OWNERS_PAGE = 500;
/** How long the owners read for a page stay good: owners change rarely, and a miss reads them again. */
const OWNERS_TTL_MS = 60_000;
/** The job kinds HubSpot connections run: companies become hub accounts. */
const HUBSPOT_JOB_KINDS: readonly JobKind[] = ['accounts-inbound'];

/** The modification stamp property: contacts keep HubSpot's older name for it. */
const stampOf = (object: string) => (object === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate');

const encodeId = (id: string) => id.padStart(20, '0');
const decodeId = (id: string) => id.replace(/^0+(?=\d)/, '');

interface RawObject {
  id: string;
  properties: Record<string, string | null>;
  archivedAt?: Date | undefined;
}

interface Owner {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  userId: number | null;
  archived: boolean;
  updatedAt: string | null;
}

interface RawOwner {
  id: string;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  userId?: number | undefined;
  archived: boolean;
  updatedAt: Date;
}

const toOwner = (o: RawOwner): Owner => ({ id: String(o.id), email: o.email ?? null, firstName: o.firstName ?? null, lastName: o.lastName ?? null, userId: o.userId ?? null, archived: o.archived, updatedAt: toIsoDateTime(o.updatedAt) });

/** An owner as `Owner.<field>` paths read it (PublicOwner's fields, and its updatedAt as the version). */
const ownerView = (o: Owner | undefined) =>
  o ? { id: o.id, email: o.email, firstName: o.firstName, lastName: o.lastName, userId: o.userId, [stampOf('companies')]: o.updatedAt } : null;

/** Property values arrive as strings; numbers and booleans become what the describe (`types`: name → type) says they are. */
function typedFields(types: Map<string, string>, properties: RawObject['properties']): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(properties)) {
    const type = types.get(name);
    if (value === null || value === undefined || value === '') fields[name] = null;
    else if (type === 'double') fields[name] = Number.isFinite(Number(value)) ? Number(value) : value;
    else if (type === 'boolean') fields[name] = value === 'true';
    else fields[name] = value;
  }
  return fields;
}

const fieldTypes = (object: CrmObjectDescribe) => new Map(object.fields.map((f) => [f.name, f.type]));

/** Values as HubSpot takes them: strings, `;`-joined multi-selects as given, '' to clear. */
function propertyInput(fields: CrmWrite['fields']): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** What one page read needs, shared by its two kinds of search. */
interface PageRead {
  object: string;
  names: string[];
  size: number;
  user: SearchFilter[];
  /** The dense-stamp memory's key: the object and the filter. */
  key: string;
  page: (raws: RawObject[], done: boolean) => Promise<CrmPage>;
}

export class HubSpotSession implements CrmSession {
  readonly kind = 'hubspot' as const;
  readonly limits = HUBSPOT_LIMITS;
  readonly versionField = stampOf('companies');
  private readonly describes = new Map<string, Promise<CrmObjectDescribe | undefined>>();
  private owners: { at: number; byId: Map<string, Owner> } | undefined;
  /** Per read (object and filter): the stamp whose records fill whole pages, read by ID order. */
  private readonly dense = new Map<string, number>();

  constructor(readonly api: HubSpotApi) {}

  get connectionId(): string {
    return this.api.connectionId;
  }

  get instanceUrl(): string {
    return this.api.baseUrl;
  }

  /** An object's properties in describe shape, asked once per session; owners are described by hand. */
  describe = (objectName: string): Promise<CrmObjectDescribe | undefined> => {
    const key = objectName.toLowerCase();
    if (key === OWNERS_OBJECT) return Promise.resolve(OWNERS_DESCRIBE);
    let pending = this.describes.get(key);
    if (!pending) {
      pending = this.api
        .call(`describe ${objectName}`, { idempotent: true }, (c) => c.crm.properties.coreApi.getAll(key))
        .then(
          (answer) => describeObject(key, answer.results.map((p) => PropertySchema.parse(p))),
          (err: unknown) => {
            // An unknown object type is a 400 ("Unable to infer object type") or a 404.
            if (err instanceof CrmError && (err.kind === 'not-found' || err.kind === 'record')) return undefined;
            throw err;
          },
        );
      pending.catch(() => this.describes.delete(key));
      this.describes.set(key, pending);
    }
    return pending;
  };

  private async describeOrThrow(objectName: string): Promise<CrmObjectDescribe> {
    const object = await this.describe(objectName);
    if (!object) throw new CrmError('configuration', 'UNKNOWN_OBJECT', `HubSpot has no object type '${objectName}'`, { fix: 'use companies (or contacts)' });
    return object;
  }

  /** The properties a read asks for: each path's property (the owner ID for `Owner.*`), the ID and the stamp. */
  private properties(object: CrmObjectDescribe, paths: string[]): { names: string[]; owners: boolean } {
    const names = new Set(['hs_object_id', stampOf(object.name)]);
    let owners = false;
    for (const path of paths) {
      const [head = '', rest] = path.split('.');
      if (rest !== undefined && head.toLowerCase() === OWNER_RELATIONSHIP.toLowerCase()) {
        owners = true;
        names.add(OWNER_FIELD);
      } else {
        names.add(findField(object, head)?.name ?? head);
      }
    }
    return { names: [...names], owners };
  }

  private compileFilter(object: CrmObjectDescribe, filter: string | undefined): SearchFilter[] {
    if (!filter) return [];
    const parsed = parseHubSpotFilter(filter, object);
    if (parsed.issues.length) throw new CrmError('configuration', 'INVALID_FILTER', parsed.issues.map((i) => i.message).join('; '), { fix: parsed.issues[0]?.fix ?? '' });
    return parsed.filters;
  }

  /** Every live owner by ID (all pages of the Owners API), kept for a minute; `refresh` reads them again. */
  private async ownerIndex(refresh = false): Promise<Map<string, Owner>> {
    if (!refresh && this.owners && Date.now() - this.owners.at < OWNERS_TTL_MS) return this.owners.byId;
    const byId = new Map<string, Owner>();
    let after: string | undefined;
    do {
      const page = await this.api.call('reading the owners', { idempotent: true }, (c) => c.crm.owners.ownersApi.getPage(undefined, after, OWNERS_PAGE, false));
      for (const o of page.results) byId.set(String(o.id), toOwner(o));
      after = page.paging?.next?.after;
    } while (after);
    this.owners = { at: Date.now(), byId };
    return byId;
  }

  /** CrmRecords from raw objects: typed values, and `Owner` when a path reads through it. */
  private async toRecords(object: CrmObjectDescribe, raws: RawObject[], owners: boolean): Promise<CrmRecord[]> {
    let index = owners ? await this.ownerIndex() : undefined;
    if (index && raws.some((r) => r.properties[OWNER_FIELD] && !index?.has(String(r.properties[OWNER_FIELD])))) index = await this.ownerIndex(true);
    const types = fieldTypes(object);
    const stamp = stampOf(object.name);
    return raws.map((raw) => {
      const fields = typedFields(types, raw.properties);
      if (index) fields[OWNER_RELATIONSHIP] = ownerView(index.get(String(raw.properties[OWNER_FIELD] ?? '')));
      return { id: String(raw.id), modifiedAt: toIsoDateTime(raw.properties[stamp]), deleted: false, fields };
    });
  }

  private search(object: string, request: { filterGroups: Array<{ filters: SearchFilter[] }>; sortBy: string; properties: string[]; limit: number }) {
    const body = {
      filterGroups: request.filterGroups.filter((g) => g.filters.length > 0),
      // The client types sorts as string[]; HubSpot takes {propertyName, direction} objects, passed through as they are.
      sorts: [{ propertyName: request.sortBy, direction: 'ASCENDING' }] as unknown as string[],
      properties: request.properties,
      limit: request.limit,
    };
    return this.api.call(`searching ${object}`, { idempotent: true, search: true }, (c) => c.crm.objects.searchApi.doSearch(object, body as never));
  }

  /** The filter groups of "after `cursor`": (stamp = S AND id > L) OR stamp > S; stamp ≥ S when no ID is known. */
  private cursorGroups(object: string, cursor: SyncCursor, user: SearchFilter[]): Array<{ filters: SearchFilter[] }> {
    if (!cursor.modifiedAt) return [{ filters: user }];
    const stamp = stampOf(object);
    const ms = String(Date.parse(cursor.modifiedAt));
    if (!cursor.lastId) return [{ filters: [{ propertyName: stamp, operator: 'GTE', value: ms }, ...user] }];
    return [
      { filters: [{ propertyName: stamp, operator: 'EQ', value: ms }, { propertyName: 'hs_object_id', operator: 'GT', value: decodeId(cursor.lastId) }, ...user] },
      { filters: [{ propertyName: stamp, operator: 'GT', value: ms }, ...user] },
    ];
  }

  async checkFilter(object: CrmObjectDescribe, filter: string): Promise<ValidationIssue[]> {
    const parsed = parseHubSpotFilter(filter, object);
    if (parsed.issues.length) return parsed.issues;
    try {
      await this.search(object.name, { filterGroups: [{ filters: parsed.filters }], sortBy: 'hs_object_id', properties: ['hs_object_id'], limit: 1 });
      return [];
    } catch (err) {
      const e = toCrmError(err, 'HubSpot refused the filter');
      if (e.kind !== 'record' && e.kind !== 'configuration') throw e;
      return [{ severity: 'error', code: 'FILTER_REFUSED_BY_CRM', message: `filter: ${e.message}`, fix: "correct the condition; the message above is HubSpot's own" }];
    }
  }

  async countRecords(spec: ReadSpec, cursor: SyncCursor): Promise<number> {
    const object = await this.describeOrThrow(spec.object);
    const answer = await this.search(object.name, { filterGroups: this.cursorGroups(object.name, cursor, this.compileFilter(object, spec.filter)), sortBy: 'hs_object_id', properties: ['hs_object_id'], limit: 1 });
    return answer.total;
  }

  async readPage(spec: ReadSpec, cursor: SyncCursor, options: ReadOptions): Promise<CrmPage> {
    const object = await this.describeOrThrow(spec.object);
    const { names, owners } = this.properties(object, spec.paths);
    const read: PageRead = {
      object: object.name,
      names,
      size: Math.min(options.pageSize, HUBSPOT_LIMITS.pageSize),
      user: this.compileFilter(object, spec.filter),
      key: `${object.name}\n${spec.filter ?? ''}`,
      page: async (raws, done) => {
        const records = await this.toRecords(object, raws, owners);
        const last = records[records.length - 1];
        return { records, next: last ? { modifiedAt: last.modifiedAt, lastId: encodeId(last.id) } : cursor, done };
      },
    };
    const stamp = stampOf(object.name);
    const stampMs = (r: RawObject) => Date.parse(r.properties[stamp] ?? '') || 0;

    const cursorMs = cursor.modifiedAt ? Date.parse(cursor.modifiedAt) : null;
    if (cursorMs !== null && this.dense.get(read.key) === cursorMs) {
      const tie = await this.readAtStamp(read, cursorMs, cursor.lastId);
      if (tie) return tie;
    }
    const answer = await this.search(object.name, { filterGroups: this.cursorGroups(object.name, cursor, read.user), sortBy: stamp, properties: names, limit: read.size + 1 });
    const raws = [...answer.results].sort((a, b) => stampMs(a) - stampMs(b) || Number(a.id) - Number(b.id));
    if (raws.length <= read.size) return read.page(raws, true);
    const lastStamp = stampMs(raws[raws.length - 1] as RawObject);
    const complete = raws.filter((r) => stampMs(r) < lastStamp);
    if (complete.length > 0) return read.page(complete, false);
    // Every record of the answer shares one stamp (a bulk change): read that stamp's records in ID order.
    this.dense.set(read.key, lastStamp);
    // Empty only if those records changed again meanwhile: they come back at a later stamp, in a later run.
    return (await this.readAtStamp(read, lastStamp, cursorMs === lastStamp ? cursor.lastId : null)) ?? read.page([], true);
  }

  /** The next page of records at one stamp, in ID order, after `afterId`; undefined when there are none left. */
  private async readAtStamp(read: PageRead, stampMs: number, afterId: string | null): Promise<CrmPage | undefined> {
    const filters: SearchFilter[] = [
      { propertyName: stampOf(read.object), operator: 'EQ', value: String(stampMs) },
      ...(afterId ? [{ propertyName: 'hs_object_id', operator: 'GT' as const, value: decodeId(afterId) }] : []),
      ...read.user,
    ];
    const answer = await this.search(read.object, { filterGroups: [{ filters }], sortBy: 'hs_object_id', properties: read.names, limit: read.size + 1 });
    const raws = [...answer.results].sort((a, b) => Number(a.id) - Number(b.id));
    if (raws.length <= read.size) this.dense.delete(read.key);
    if (raws.length === 0) return undefined;
    // Records at later stamps may follow, so the page is not the last even when this stamp is exhausted.
    return read.page(raws.slice(0, read.size), false);
  }

  /** Live records by ID, filter applied by HubSpot: `hs_object_id IN (...)`, 100 a search. */
  async readByIds(spec: ReadSpec, ids: string[]): Promise<CrmRecord[]> {
    if (ids.length === 0) return [];
    const object = await this.describeOrThrow(spec.object);
    const { names, owners } = this.properties(object, spec.paths);
    const user = this.compileFilter(object, spec.filter);
    const out: CrmRecord[] = [];
    for (let i = 0; i < ids.length; i += HUBSPOT_LIMITS.idsPerRead) {
      const chunk = ids.slice(i, i + HUBSPOT_LIMITS.idsPerRead);
      const answer = await this.search(object.name, { filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'IN', values: chunk }, ...user] }], sortBy: 'hs_object_id', properties: names, limit: chunk.length });
      out.push(...(await this.toRecords(object, answer.results, owners)));
    }
    return out;
  }

  /** Archived records (`archived=true` listing, in ID order, 100 a page) archived at or after `since`. */
  async readDeletions(spec: ReadSpec, since: string | null): Promise<string[]> {
    const object = await this.describeOrThrow(spec.object);
    const sinceMs = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.api.call(`listing archived ${object.name}`, { idempotent: true }, (c) => c.crm.objects.basicApi.getPage(object.name, 100, after, ['hs_object_id'], undefined, undefined, true));
      for (const r of page.results) if (r.archivedAt && r.archivedAt.getTime() >= sinceMs) ids.push(String(r.id));
      after = page.paging?.next?.after;
    } while (after);
    return ids;
  }

  async writeBatch(object: string, operation: WriteOperation, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    if (records.length === 0) return [];
    if (records.length > HUBSPOT_LIMITS.writeBatchSize) throw new CrmError('configuration', 'TOO_MANY_INPUTS', `${records.length} records in one ${operation} of ${object}: HubSpot batches take at most ${HUBSPOT_LIMITS.writeBatchSize}`);
    const results: CrmWriteResult[] = [];
    if (operation === 'create') {
      // HubSpot's batch create does not answer in input order; one create a record keeps each result its own.
      for (const r of records) {
        try {
          const created = await this.api.call(`creating a ${object} record`, { idempotent: false }, (c) => c.crm.objects.basicApi.create(object, { properties: propertyInput(r.fields), associations: [] }));
          results.push({ ok: true, created: true, id: String(created.id), errors: [] });
        } catch (err) {
          results.push(refusal(err, null));
        }
      }
      return results;
    }
    const ids = records.map((r) => requireId(r, operation));
    try {
      if (operation === 'delete') {
        await this.api.call(`archiving ${records.length} ${object} records`, { idempotent: true }, (c) => c.crm.objects.batchApi.archive(object, { inputs: ids.map((id) => ({ id })) }));
        return ids.map((id) => ({ ok: true, id, errors: [] }));
      }
      const answer = await this.api.call(`updating ${records.length} ${object} records`, { idempotent: true }, (c) =>
        c.crm.objects.batchApi.update(object, { inputs: records.map((r, i) => ({ id: ids[i] as string, properties: propertyInput(r.fields) })) }),
      );
      const failed = new Map<string, { code: string; message: string }>();
      for (const e of 'errors' in answer ? (answer.errors ?? []) : []) for (const id of e.context?.['ids'] ?? []) failed.set(id, { code: e.category, message: e.message });
      return ids.map((id) => {
        const e = failed.get(id);
        return e ? { ok: false, id, errors: [{ ...e, fields: [] }] } : { ok: true, id, errors: [] };
      });
    } catch (err) {
      const refused = refusal(err, null);
      return ids.map((id) => ({ ...refused, id }));
    }
  }

  /** Batch upsert keyed by a unique property (`idProperty`), 100 a call; results matched back by the key's value. */
  async upsertBatch(object: string, externalIdField: string, records: CrmWrite[]): Promise<CrmWriteResult[]> {
    if (records.length === 0) return [];
    const keyOf = (r: CrmWrite) => String(r.fields[externalIdField] ?? '');
    try {
      const answer = await this.api.call(`upserting ${records.length} ${object} records on ${externalIdField}`, { idempotent: true }, (c) =>
        c.crm.objects.batchApi.upsert(object, { inputs: records.map((r) => ({ id: keyOf(r), idProperty: externalIdField, properties: propertyInput(r.fields) })) }),
      );
      const byKey = new Map(answer.results.map((r) => [String(r.properties[externalIdField] ?? ''), r]));
      return records.map((r) => {
        const hit = byKey.get(keyOf(r));
        return hit ? { ok: true, created: hit._new, id: String(hit.id), errors: [] } : { ok: false, id: null, errors: [{ code: 'NOT_IN_RESULT', message: `HubSpot returned no result for ${externalIdField} = ${keyOf(r)}`, fields: [externalIdField] }] };
      });
    } catch (err) {
      const refused = refusal(err, null);
      return records.map(() => refused);
    }
  }

  async findUsersByEmail(emails: string[]): Promise<Map<string, CrmUser[]>> {
    const wanted = new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean));
    const found = new Map<string, CrmUser[]>();
    if (wanted.size === 0) return found;
    for (const o of (await this.ownerIndex()).values()) {
      const email = o.email?.toLowerCase();
      if (!email || !wanted.has(email)) continue;
      found.set(email, [...(found.get(email) ?? []), { id: o.id, email, active: !o.archived, name: [o.firstName, o.lastName].filter(Boolean).join(' ') || null }]);
    }
    return found;
  }

  async findContactsByEmail(emails: string[]): Promise<Map<string, string[]>> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
    const found = new Map<string, string[]>();
    for (let i = 0; i < wanted.length; i += HUBSPOT_LIMITS.idsPerRead) {
      const chunk = wanted.slice(i, i + HUBSPOT_LIMITS.idsPerRead);
      const answer = await this.search('contacts', { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN', values: chunk }] }], sortBy: 'createdate', properties: ['email'], limit: 200 });
      for (const r of answer.results) {
        const email = r.properties['email']?.toLowerCase();
        if (email) found.set(email, [...(found.get(email) ?? []), String(r.id)]);
      }
    }
    return found;
  }

  /** The record's values at `paths` and its hs_lastmodifieddate (one GET), and its owner (one more) for `Owner.*`. */
  async readForWrite(objectName: string, id: string, paths: string[]): Promise<CrmVersionedRecord | undefined> {
    const object = await this.describeOrThrow(objectName);
    const { names, owners } = this.properties(object, paths);
    let raw: RawObject;
    try {
      raw = await this.api.call(`reading ${object.name} ${id}`, { idempotent: true }, (c) => c.crm.objects.basicApi.getById(object.name, id, names));
    } catch (err) {
      if (err instanceof CrmError && err.kind === 'not-found') return undefined;
      throw err;
    }
    const fields = typedFields(fieldTypes(object), raw.properties);
    if (owners) {
      const ownerId = raw.properties[OWNER_FIELD];
      fields[OWNER_RELATIONSHIP] = ownerId ? ownerView(await this.ownerById(ownerId)) : null;
    }
    return { id: String(raw.id), version: toIsoDateTime(raw.properties[stampOf(object.name)]), fields };
  }

  private async ownerById(ownerId: string): Promise<Owner | undefined> {
    try {
      return toOwner(await this.api.call(`reading owner ${ownerId}`, { idempotent: true }, (c) => c.crm.owners.ownersApi.getById(Number(ownerId), 'id', false)));
    } catch (err) {
      if (err instanceof CrmError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  /**
   * HubSpot has no conditional update (no If-Match or If-Unmodified-Since on CRM objects), so the condition is
   * checked by hubsync: the record's hs_lastmodifieddate is read right before the PATCH, and the PATCH is sent
   * only if it is still `version`. A change landing between that read and the PATCH (one round trip) is not
   * seen; README "Write-back to HubSpot" says so.
   */
  async updateIfUnchanged(objectName: string, id: string, version: string | null, fields: CrmWrite['fields']): Promise<CrmConditionalWriteResult> {
    const object = await this.describeOrThrow(objectName);
    const stamp = stampOf(object.name);
    try {
      if (version) {
        const now = await this.api.call(`checking ${object.name} ${id}`, { idempotent: true }, (c) => c.crm.objects.basicApi.getById(object.name, id, [stamp]));
        const current = toIsoDateTime(now.properties[stamp]);
        if (current !== toIsoDateTime(version)) {
          return { ok: false, id, stale: true, requests: 1, errors: [{ code: 'MODIFIED_SINCE_READ', message: `${object.name} ${id} was modified at ${current ?? '?'}, after the read at ${version}`, fields: [] }] };
        }
      }
      await this.api.call(`updating ${object.name} ${id}`, { idempotent: false }, (c) => c.crm.objects.basicApi.update(object.name, id, { properties: propertyInput(fields) }));
      return { ok: true, id, stale: false, requests: version ? 2 : 1, errors: [] };
    } catch (err) {
      const e = toCrmError(err, `update of ${object.name} ${id}`);
      if (e.kind !== 'record' && e.kind !== 'configuration' && e.kind !== 'not-found') throw e;
      return { ok: false, id, stale: false, errors: [{ code: e.code, message: e.message, fields: [] }] };
    }
  }

  async findRecordsByField(objectName: string, field: string, value: string | number | boolean, paths: string[], limit: number): Promise<CrmRecord[]> {
    if (objectName.toLowerCase() === OWNERS_OBJECT) {
      // The Owners API filters by email itself; other owner fields are matched in the (live) listing.
      const matches =
        field.toLowerCase() === 'email'
          ? (await this.api.call(`looking up owners by email`, { idempotent: true }, (c) => c.crm.owners.ownersApi.getPage(String(value), undefined, OWNERS_PAGE, false))).results.map(toOwner)
          : [...(await this.ownerIndex(true)).values()].filter((o) => String((o as unknown as Record<string, unknown>)[field] ?? '') === String(value));
      return matches.filter((o) => !o.archived).slice(0, limit).map((o) => ({ id: o.id, modifiedAt: o.updatedAt, deleted: false, fields: ownerView(o) ?? {} }));
    }
    const object = await this.describeOrThrow(objectName);
    const { names, owners } = this.properties(object, [field, ...paths]);
    const name = findField(object, field)?.name ?? field;
    const answer = await this.search(object.name, { filterGroups: [{ filters: [{ propertyName: name, operator: 'EQ', value: String(value) }] }], sortBy: 'hs_object_id', properties: names, limit });
    return this.toRecords(object, answer.results, owners);
  }

  /** What the answers' X-HubSpot-RateLimit-Daily headers said (private apps; OAuth apps have no daily allowance). */
  reportedUsage(): ApiUsage | undefined {
    return this.api.takeReportedUsage();
  }

  /**
   * The rate-limit state from HubSpot's X-HubSpot-RateLimit-* headers on one cheap call (the client's typed
   * APIs drop headers; apiRequest keeps them): the daily allowance for private apps, the rolling window always.
   */
  async apiUsage(): Promise<ApiUsage> {
    const response = await this.api.call('reading the rate limits', { idempotent: true }, async (c) => {
      const r = await c.apiRequest({ method: 'GET', path: '/crm/v3/owners', qs: { limit: 1 } });
      if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { code: r.status, body: await r.json().catch(() => ({})), headers: Object.fromEntries(r.headers.entries()) });
      return r;
    });
    const h = (name: string) => {
      const v = response.headers.get(`x-hubspot-ratelimit-${name}`);
      return v === null || v === '' ? undefined : Number(v);
    };
    const [max, remaining, interval, daily, dailyRemaining] = [h('max'), h('remaining'), h('interval-milliseconds'), h('daily'), h('daily-remaining')];
    const rolling = max !== undefined && remaining !== undefined ? `${max - remaining} of ${max} requests in the rolling ${interval ?? '?'} ms window` : undefined;
    if (daily !== undefined && dailyRemaining !== undefined) return { used: daily - dailyRemaining, max: daily, window: 'day', ...(rolling ? { detail: rolling } : {}) };
    return { used: max !== undefined && remaining !== undefined ? max - remaining : 0, max: max ?? 0, window: 'rolling', detail: `${rolling ?? 'no rate-limit headers'}; OAuth apps have no daily allowance` };
  }
}

function requireId(record: CrmWrite, operation: WriteOperation): string {
  if (!record.id) throw new CrmError('configuration', 'MISSING_ID', `a record to ${operation} needs its HubSpot ID`);
  return record.id;
}

/** A record HubSpot refused, as a write result; anything but a refusal of the record is thrown on. */
function refusal(err: unknown, id: string | null): CrmWriteResult {
  const e = toCrmError(err, 'HubSpot refused the record');
  if (e.kind !== 'record' && e.kind !== 'configuration' && e.kind !== 'not-found') throw e;
  return { ok: false, id, errors: [{ code: e.code, message: e.message, fields: [] }] };
}

export const hubspotConnector: CrmConnector = {
  kind: 'hubspot',
  jobKinds: HUBSPOT_JOB_KINDS,
  connectionSchema: HubSpotConnectionSchema,
  toStored: hubspotToStored,
  async open(connection) {
    const api = new HubSpotApi(connection.id, connection.baseUrl, HubSpotSettingsSchema.parse(connection.settings), HubSpotSecretsSchema.parse(connection.secrets));
    return new HubSpotSession(await api.open());
  },
};
