/**
 * One page of an outbound run (T3, T5, T6; P1, P6): hub records, in (updated_at, id) order, mapped and
 * decided (decide.ts), their owners and contacts resolved, one conflict read of the linked CRM records (T18),
 * then sObject Collections writes of 200 records a call, and the page's outcome committed in one transaction:
 * record links with the hash and hub stamp of what was sent (no echo, T29), the new CRM stamps read back,
 * rejected and parked records, the job's cursor and the page's result. The activity and the benchmark's plain
 * loop both call this; Temporal only adds durability around it.
 *
 * Exactly-once creates: when the job's external-ID key row names an External ID field of the CRM object,
 * creates are upserts keyed by the hub record's key (`task-12`), so a page retried after Salesforce created its
 * records and before the hub recorded them finds them instead of creating them again. Keyed by `Id` (the
 * templates' default), a create is a plain create; validation warns that a crash can then duplicate one.
 */
import type { PoolClient } from 'pg';
import type { SyncCursor } from '../../kernel/cursors';
import { JOB_KIND_INFO, type HubEntity } from '../../kernel/job-kinds';
import { addStats, emptyStats, type RunStats } from '../../kernel/stats';
import type { CrmSession, CrmUser, CrmWrite, CrmWriteResult } from '../crm/connector';
import type { CrmObjectDescribe } from '../crm/types';
import { forgetKept, keepRejected, park } from '../hub/outcomes';
import { advanceCursor, committedPage, recordPage } from '../hub/runs';
import { withTransaction, type Pool } from '../hub/store';
import { crmParentsOf, ENTITY_TABLE, outboundLinks } from '../hub/sync-lookups';
import { decideOutbound, type Decision, type OutboundLink } from '../mapping/decide';
import { fieldTypes, mapOutbound, type HubRecordForOutbound, type OutboundMapped } from '../mapping/engine';
import type { JobConfig } from '../mapping/job-config';
import type { PageOutcome } from './inbound-page';

export type OutboundEntity = Exclude<HubEntity, 'account'>;

export interface OutboundJob {
  jobId: string;
  connectionId: string;
  config: JobConfig;
}

/** Records per outbound page: one sObject Collections call per operation. */
export const OUTBOUND_PAGE_SIZE = 200;

/** Events hubsync creates with a start time and no end last this long (README: "Outbound jobs"). */
export const EVENT_DEFAULT_MINUTES = 30;

/** Per-record lock conflicts (UNABLE_TO_LOCK_ROW) are retried within the page this many times. */
const LOCK_RETRIES = 3;

/** The key hubsync writes into an External ID field for a hub record (T13: "the hub's own record ID"). */
export function hubRecordKey(entity: OutboundEntity, id: number): string {
  return `${entity.replace('_', '-')}-${id}`;
}

/**
 * Users and contacts found by email, per connection, for a few minutes: a run resolves the same owners page
 * after page, and one query per page would double its API calls (P6). An email with no match is not kept: the
 * user may be added in the CRM any minute, and the rejected record is retried by the next run (T28).
 */
export class EmailLookupCache {
  private readonly userEntries = new Map<string, { at: number; matches: CrmUser[] }>();
  private readonly contactEntries = new Map<string, { at: number; matches: string[] }>();
  constructor(private readonly ttlMs = 5 * 60_000) {}

  users(session: CrmSession, emails: string[]): Promise<Map<string, CrmUser[]>> {
    return this.lookup(this.userEntries, session, emails, (missing) => session.findUsersByEmail(missing));
  }

  contacts(session: CrmSession, emails: string[]): Promise<Map<string, string[]>> {
    return this.lookup(this.contactEntries, session, emails, (missing) => session.findContactsByEmail(missing));
  }

  private async lookup<V>(entries: Map<string, { at: number; matches: V[] }>, session: CrmSession, emails: string[], fetch: (missing: string[]) => Promise<Map<string, V[]>>): Promise<Map<string, V[]>> {
    const now = Date.now();
    const key = (email: string) => `${session.connectionId}\u0000${email}`;
    const wanted = [...new Set(emails)];
    const missing = wanted.filter((e) => {
      const entry = entries.get(key(e));
      return !entry || now - entry.at > this.ttlMs;
    });
    const found = missing.length ? await fetch(missing) : new Map<string, V[]>();
    for (const email of missing) {
      const matches = found.get(email) ?? [];
      if (matches.length) entries.set(key(email), { at: now, matches });
      else entries.delete(key(email)); // asked again and gone: an expired entry must not answer for it
    }
    return new Map(wanted.map((e) => [e, entries.get(key(e))?.matches ?? []]));
  }
}

/** One hub record of a page: mapped, decided, and when it is to be written, what the CRM receives. */
export interface PlannedOutbound {
  record: HubRecordForOutbound;
  mapped: OutboundMapped;
  crmParentId: string | undefined;
  link: OutboundLink | undefined;
  decision: Decision;
  /** The CRM fields a create or update sends: mapped, owner and contact resolved, WhatId and defaults on create. */
  payload?: CrmWrite['fields'];
}

interface Written {
  hubId: number;
  crmId: string;
  hubUpdatedAt: string;
  hash: string;
  created: boolean;
}

const count = (bucket: Record<string, number>, key: string) => {
  bucket[key] = (bucket[key] ?? 0) + 1;
};

const hasField = (object: CrmObjectDescribe | undefined, name: string) => Boolean(object?.fields.some((f) => f.name.toLowerCase() === name.toLowerCase()));
const sets = (payload: CrmWrite['fields'], name: string) => Object.keys(payload).some((k) => k.toLowerCase() === name.toLowerCase());

/**
 * What a create adds to the mapped fields, worked out once per page from the object's describe: WhatId (T16),
 * and for Events a duration, which Salesforce requires ("When IsAllDayEvent is false, either EndDateTime or
 * DurationInMinutes is required", Event reference): an Event with a start time lasts EVENT_DEFAULT_MINUTES, one
 * with only a date is an all-day event. The returned function adds them to a record's own payload.
 */
function createDefaults(config: JobConfig, object: CrmObjectDescribe | undefined): (out: CrmWrite['fields'], crmParentId: string) => CrmWrite['fields'] {
  const parentField = hasField(object, 'WhatId') ? 'WhatId' : (config.mapping.find((r) => r.key && r.hubField.toLowerCase() === 'account id')?.crmField ?? 'WhatId');
  const timed = hasField(object, 'DurationInMinutes') && hasField(object, 'IsAllDayEvent');
  return (out, crmParentId) => {
    out[parentField] = crmParentId;
    if (timed && !['EndDateTime', 'DurationInMinutes', 'IsAllDayEvent'].some((f) => sets(out, f))) {
      if (sets(out, 'StartDateTime') || sets(out, 'ActivityDateTime')) out['DurationInMinutes'] = EVENT_DEFAULT_MINUTES;
      else out['IsAllDayEvent'] = true;
    }
    return out;
  };
}

/** Links whose CRM stamp hubsync has not read back since it wrote them (oldest first). */
async function pendingStamps(pool: Pool, job: OutboundJob, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const { rows } = await pool.query<{ crm_id: string }>(
    'SELECT crm_id FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND crm_stamp_pending ORDER BY last_synced_at LIMIT $3',
    [job.connectionId, job.config.crmObject, limit],
  );
  return rows.map((r) => r.crm_id);
}

/** A linked CRM record as the page's conflict read found it; `fields` holds the values of `paths` when asked for. */
export interface CrmStamp {
  exists: boolean;
  modifiedAt: string | null;
  fields?: Record<string, unknown>;
}

/**
 * Reads the CRM stamps of `ids` (one query) and records them on their links: the next inbound run then sees
 * hubsync's own writes as unchanged (T29). Returns the stamps, for the page's conflict decisions, with the values
 * of `paths` when there are any (T30 compares them with what the update would send).
 */
async function readStamps(session: CrmSession, object: string, ids: string[], paths: string[] = []): Promise<Map<string, CrmStamp>> {
  if (ids.length === 0) return new Map();
  const records = await session.readByIds({ object, paths }, ids);
  return new Map(records.map((r) => [r.id, { exists: !r.deleted, modifiedAt: r.modifiedAt, ...(paths.length ? { fields: r.fields } : {}) }]));
}

async function settleStamps(client: PoolClient, job: OutboundJob, stamps: Map<string, { modifiedAt: string | null }>): Promise<void> {
  if (stamps.size === 0) return;
  const entries = [...stamps];
  await client.query(
    `UPDATE record_links l SET crm_modified_at = s.m::timestamptz, crm_stamp_pending = false
       FROM unnest($3::text[], $4::text[]) AS s(c, m)
      WHERE l.connection_id = $1 AND l.crm_object = $2 AND l.crm_id = s.c AND l.crm_stamp_pending`,
    [job.connectionId, job.config.crmObject, entries.map(([id]) => id), entries.map(([, s]) => s.modifiedAt)],
  );
}

/**
 * The settle step on its own, for the end of a run: every link still waiting for its stamp, read back in
 * queries of the CRM's IDs-per-read. Returns how many were read.
 */
export async function settlePendingStamps(pool: Pool, session: CrmSession, job: OutboundJob): Promise<number> {
  let settled = 0;
  for (;;) {
    const ids = await pendingStamps(pool, job, session.limits.idsPerRead);
    if (ids.length === 0) return settled;
    const stamps = await readStamps(session, job.config.crmObject, ids);
    // A record gone from the CRM has no stamp to wait for.
    for (const id of ids) if (!stamps.has(id)) stamps.set(id, { exists: false, modifiedAt: null });
    await withTransaction(pool, (client) => settleStamps(client, job, stamps));
    settled += ids.length;
  }
}

/** Writes `batch` with per-record lock conflicts retried a few times; one result per record, in order. */
async function writeWithLockRetries(write: (records: CrmWrite[]) => Promise<CrmWriteResult[]>, batch: CrmWrite[]): Promise<CrmWriteResult[]> {
  const results: CrmWriteResult[] = new Array<CrmWriteResult>(batch.length);
  let todo = batch.map((_, i) => i);
  for (let attempt = 0; todo.length > 0; attempt++) {
    const answer = await write(todo.map((i) => batch[i]!));
    const again: number[] = [];
    answer.forEach((result, j) => {
      const i = todo[j]!;
      results[i] = result;
      if (!result.ok && attempt < LOCK_RETRIES && result.errors.some((e) => e.code === 'UNABLE_TO_LOCK_ROW')) again.push(i);
    });
    todo = again;
    if (todo.length) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
  return results;
}

/**
 * The plan for one page of hub records, the same for a run, for preview (T9) and for explaining one record
 * (T30, a page of one): map, match the parent account, decide, read the linked CRM records' stamps for the
 * conflict rule (T18), resolve owners and contacts, and build each write's payload. `pending` are links whose
 * stamp the same read settles (runs only); `readValues` makes that read also bring the CRM's values of the
 * fields an update sends (explain), in the same one query.
 */
export async function planOutboundPage(
  deps: OutboundPageDeps,
  job: OutboundJob,
  records: HubRecordForOutbound[],
  now: Date,
  pending: string[] = [],
  readValues = false,
): Promise<{ planned: PlannedOutbound[]; stamps: Map<string, CrmStamp>; settled: string[] }> {
  const { pool, session } = deps;
  const { config } = job;
  const entity = JOB_KIND_INFO[config.kind].entity as OutboundEntity;
  const object = await session.describe(config.crmObject);
  const crmTypes = fieldTypes(object);
  const parents = await crmParentsOf(pool, job.connectionId, config.parentObject ?? 'Account', records.map((r) => r.accountId));
  const links = await outboundLinks(pool, entity, job.connectionId, config.crmObject, records.map((r) => r.id));
  let planned: PlannedOutbound[] = records.map((record) => {
    const mapped = mapOutbound(config, record, crmTypes);
    const crmParentId = parents.get(record.accountId);
    const link = links.get(record.id);
    return { record, mapped, crmParentId, link, decision: decideOutbound(config, record, mapped, { crmParentId, link, now }) };
  });

  // One read for the page: the linked records about to be updated (has the CRM changed them too? T18), and
  // links written earlier whose new stamp is not known yet, as far as the query's ID budget goes.
  const updateIds = planned.flatMap((p) => (p.decision.action === 'update' && p.link ? [p.link.crmId] : []));
  const settled = pending.slice(0, Math.max(0, session.limits.idsPerRead - updateIds.length));
  const valuePaths = readValues ? [...new Set(planned.flatMap((p) => (p.decision.action === 'update' ? [...Object.keys(p.mapped.fields), ...[p.mapped.ownerField, p.mapped.whoField].filter((f): f is string => Boolean(f))] : [])))] : [];
  const stamps = await readStamps(session, config.crmObject, [...new Set([...updateIds, ...settled])], valuePaths);
  planned = planned.map((p) =>
    p.decision.action === 'update' && p.link
      ? { ...p, decision: decideOutbound(config, p.record, p.mapped, { crmParentId: p.crmParentId, link: p.link, now, crm: stamps.get(p.link.crmId) ?? { exists: false, modifiedAt: null } }) }
      : p,
  );

  // Owners (OwnerId from the hub user's email) and contacts (WhoId from the participants, T23).
  const toWrite = planned.filter((p) => p.decision.action === 'create' || p.decision.action === 'update');
  const users = await deps.lookups.users(session, toWrite.flatMap((p) => (p.mapped.ownerField && p.mapped.ownerEmail ? [p.mapped.ownerEmail] : [])));
  const contacts = await deps.lookups.contacts(session, toWrite.flatMap((p) => p.mapped.participantEmails));
  const withCreateDefaults = createDefaults(config, object);
  planned = planned.map((p) => {
    if (p.decision.action !== 'create' && p.decision.action !== 'update') return p;
    const payload: CrmWrite['fields'] = { ...p.mapped.fields };
    if (p.mapped.ownerField && p.mapped.ownerEmail) {
      const active = (users.get(p.mapped.ownerEmail) ?? []).filter((u) => u.active);
      if (active.length === 0) return { ...p, decision: { action: 'reject', code: 'OWNER_NOT_FOUND', reason: `no active CRM user has the email ${p.mapped.ownerEmail} (the record's owner in the hub)` } };
      if (active.length > 1) return { ...p, decision: { action: 'reject', code: 'OWNER_AMBIGUOUS', reason: `${active.length} active CRM users have the email ${p.mapped.ownerEmail}; the owner is ambiguous` } };
      payload[p.mapped.ownerField] = active[0]!.id;
    }
    if (p.mapped.whoField) {
      const inCrm = p.record.participants?.find((x) => x.connectionId === job.connectionId && x.crmContactId)?.crmContactId;
      payload[p.mapped.whoField] = inCrm ?? p.mapped.participantEmails.map((e) => contacts.get(e)?.[0]).find(Boolean) ?? null;
    }
    if (p.decision.action === 'update') return { ...p, payload };
    // The key goes with the create only: an existing record is matched by its link, and its key field (perhaps
    // filled by someone else) is left as it is.
    if (p.mapped.externalIdField !== 'Id') payload[p.mapped.externalIdField] = hubRecordKey(entity, p.record.id);
    return { ...p, payload: withCreateDefaults(payload, p.crmParentId!) };
  });
  return { planned, stamps, settled };
}

export interface OutboundPageDeps {
  pool: Pool;
  session: CrmSession;
  lookups: EmailLookupCache;
}

/**
 * Syncs one page of hub records. `pageNo` identifies the page within the run: if it was committed already (a
 * retried activity), its stored outcome is returned and nothing is sent twice.
 */
export async function syncOutboundPage(
  deps: OutboundPageDeps,
  job: OutboundJob,
  run: { runId: number | null; pageNo: number; statsBefore: RunStats; advanceCursor: boolean; now: Date },
  records: HubRecordForOutbound[],
  cursor: SyncCursor,
): Promise<PageOutcome> {
  const { pool, session } = deps;
  const { config } = job;
  const entity = JOB_KIND_INFO[config.kind].entity as OutboundEntity;
  const last = records[records.length - 1];
  const nextCursor = run.advanceCursor && last ? { modifiedAt: last.cursorKey, lastId: String(last.id) } : cursor;
  if (run.runId !== null) {
    const done = await committedPage(pool, run.runId, run.pageNo);
    if (done) return done;
  }

  const pending = await pendingStamps(pool, job, session.limits.idsPerRead);
  const { planned, stamps, settled } = await planOutboundPage(deps, job, records, run.now, pending);

  // The writes: creates (upserts when there is a key field) and updates, 200 records a call. A record the CRM
  // refuses becomes a rejection with the CRM's own code and message (T28).
  const outcome = new Map<number, Decision>();
  const written: Written[] = [];
  const send = async (items: PlannedOutbound[], operation: 'create' | 'update') => {
    const batchSize = session.limits.writeBatchSize;
    for (let i = 0; i < items.length; i += batchSize) {
      const batch = items.slice(i, i + batchSize);
      const keyField = batch[0]!.mapped.externalIdField;
      const results = await writeWithLockRetries(
        (some) => (operation === 'create' && keyField !== 'Id' ? session.upsertBatch(config.crmObject, keyField, some) : session.writeBatch(config.crmObject, operation, some)),
        batch.map((p) => ({ ...(operation === 'update' ? { id: p.link!.crmId } : {}), fields: p.payload! })),
      );
      batch.forEach((p, j) => {
        const result = results[j]!;
        const crmId = result.id ?? p.link?.crmId;
        if (result.ok && crmId) written.push({ hubId: p.record.id, crmId, hubUpdatedAt: p.record.updatedAt, hash: p.mapped.hash, created: operation === 'create' });
        else {
          const reason = result.errors.map((e) => `${e.code}: ${e.message}${e.fields.length ? ` (${e.fields.join(', ')})` : ''}`).join('; ');
          outcome.set(p.record.id, { action: 'reject', code: result.errors[0]?.code ?? 'UNKNOWN', reason: reason || 'the CRM refused the record without a reason' });
        }
      });
    }
  };
  await send(planned.filter((p) => p.payload && p.decision.action === 'create'), 'create');
  await send(planned.filter((p) => p.payload && p.decision.action === 'update'), 'update');
  const final = planned.map((p) => ({ ...p, decision: outcome.get(p.record.id) ?? p.decision }));

  const stats = emptyStats();
  stats.pages = 1;
  const notCounted: number[] = [];
  for (const { record, decision: d } of final) {
    if (d.action === 'create') stats.created++;
    else if (d.action === 'update') stats.updated++;
    else if (d.action === 'unchanged') stats.unchanged++;
    else if (d.action === 'reject') count(stats.rejected, d.code);
    else if (d.code === 'NO_CRM_PARENT') notCounted.push(record.id);
    else count(stats.skipped, d.code);
  }
  // T11: records whose account has no CRM match are not counted at all (their reason is kept, parked).
  stats.read = records.length - notCounted.length;

  await withTransaction(pool, async (client) => {
    await settleStamps(client, job, new Map(settled.map((id) => [id, stamps.get(id) ?? { exists: false, modifiedAt: null }])));
    await writeLinks(client, job, entity, written);
    await recordOutcomes(client, job, run.runId, final);
    if (last && run.advanceCursor) await advanceCursor(client, job.jobId, nextCursor);
    if (run.runId !== null) await recordPage(client, run.runId, { job, pageNo: run.pageNo, nextCursor, stats, runStats: addStats(run.statsBefore, stats) });
  });
  return { stats, nextCursor };
}

/**
 * The links of what the page wrote: the hash and hub stamp of what was sent (a later run sends only a new
 * change, T29), and the CRM stamp marked pending until it is read back. A created record's hub row takes the
 * CRM Id as its external ID (T13), so the inbound job recognises it.
 */
async function writeLinks(client: PoolClient, job: OutboundJob, entity: OutboundEntity, written: Written[]): Promise<void> {
  if (written.length === 0) return;
  await client.query(
    `INSERT INTO record_links (connection_id, crm_object, crm_id, hub_type, hub_id, hub_modified_at, last_outbound_hash, crm_stamp_pending, last_synced_at)
     SELECT $1, $2, c, $3, h, u::timestamptz, x, true, now() FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[]) AS t(c, h, u, x)
     ON CONFLICT (connection_id, crm_object, crm_id) DO UPDATE
       SET hub_modified_at = EXCLUDED.hub_modified_at, last_outbound_hash = EXCLUDED.last_outbound_hash, crm_stamp_pending = true, last_synced_at = now()`,
    [job.connectionId, job.config.crmObject, entity, written.map((w) => w.crmId), written.map((w) => w.hubId), written.map((w) => w.hubUpdatedAt), written.map((w) => w.hash)],
  );
  const created = written.filter((w) => w.created);
  if (created.length) {
    await client.query(
      `UPDATE ${ENTITY_TABLE[entity]} t SET external_id = lower(c.crm) FROM unnest($1::bigint[], $2::text[]) AS c(hub, crm)
        WHERE t.id = c.hub AND t.external_id IS NULL`,
      [created.map((w) => w.hubId), created.map((w) => w.crmId)],
    );
  }
}

/**
 * Rejected records (T28) kept with the CRM's reason until a run writes them; records without a CRM parent
 * (T11) parked with theirs, until their account is matched. Any other outcome clears both.
 */
async function recordOutcomes(client: PoolClient, job: OutboundJob, runId: number | null, planned: PlannedOutbound[]): Promise<void> {
  const isParked = (d: Decision) => d.action === 'skip' && d.code === 'NO_CRM_PARENT';
  await forgetKept(client, job.jobId, planned.filter((p) => p.decision.action !== 'reject' && !isParked(p.decision)).map((p) => String(p.record.id)));
  await park(client, job.jobId, 'NO_CRM_PARENT', planned.filter((p) => isParked(p.decision)).map((p) => ({ sourceId: String(p.record.id), parentCrmId: null })));
  await keepRejected(client, job.jobId, runId, planned.flatMap((p) => (p.decision.action === 'reject' ? [{ sourceId: String(p.record.id), code: p.decision.code, reason: p.decision.reason }] : [])));
}
