/**
 * "Why didn't record X sync?" (T30, issue 14 §4) for outbound jobs: the first rule that stopped one hub task,
 * touchpoint or campaign touch on its way to the CRM, with the facts behind it. Nothing is written, in the hub or
 * in the CRM.
 *
 * The rules are not restated here: the record is read with the run's own read (readOutboundRecords: live, the
 * job's hub filter), and its decision is the planner's, replayed for a page of one (planOutboundPage: the update
 * window T15, the parent account T11, unchanged T29, deleted in the CRM, the CRM's later change T18/T29,
 * allowCreate T14, owners). The CRM is read only where that decision reads it: the conflict read of a linked
 * record the hub changed (which also brings the CRM's current values, to say which fields the next run
 * changes), and the owner lookup of a record about to be written. What runs keep is read from the hub: rejected
 * records with the CRM's message and attempts (T28), parked records (T11), the tombstones a run turns into CRM
 * deletions (T19, linkedTombstones), the record links with their stamps, the job's cursor and runs.
 *
 * The record is named by its hub ID (`12`), its key (`task-12`, as written into an External ID field), the CRM
 * ID it is linked to, or its external ID.
 */
import { START_CURSOR } from '../../kernel/cursors';
import { toIsoDateTime } from '../../kernel/datetime';
import { ConfigurationError } from '../../kernel/errors';
import { JOB_KINDS, JOB_KIND_INFO, type JobKind } from '../../kernel/job-kinds';
import type { CrmSession, CrmWrite } from '../crm/connector';
import type { JobRecord } from '../hub/jobs';
import { readCursor } from '../hub/runs';
import { ENTITY_LABEL } from '../hub/records';
import type { Pool } from '../hub/store';
import { ENTITY_TABLE, linkedTombstones, readOutboundRecords } from '../hub/sync-lookups';
import { DEFAULT_UPDATE_WINDOW_DAYS, type HubFilter } from '../mapping/job-config';
import { EmailLookupCache, hubRecordKey, planOutboundPage, type OutboundEntity, type OutboundJob } from './outbound-page';
import { windowStart } from './outbound-run';
import { HUB_STAMP_LOOKBACK_MS } from './run';

/** A field the next run changes in the CRM: the CRM's value now, and the hub's that replaces it. */
export interface FieldChange {
  field: string;
  crm: unknown;
  hub: unknown;
}

/** Which run sends the record next: any incremental run, or only a full one (it lies before the job's cursor). */
export type NextRun = 'incremental' | 'full';

export type OutboundExplainAnswer =
  | { verdict: 'not-in-hub' }
  | { verdict: 'deleted-in-hub'; deletedAt: string; crmId: string | null }
  | { verdict: 'outside-filter'; hubFilter: HubFilter }
  | { verdict: 'outside-window'; hubUpdatedAt: string; windowDays: number; windowStart: string }
  | { verdict: 'parked'; accountId: number; parked: boolean; parkedAt: string | null; parentMatched: boolean; crmParentId: string | null; accountsJobs: string[] }
  | { verdict: 'create-disabled'; hubUpdatedAt: string }
  | { verdict: 'crm-newer'; crmId: string; crmModifiedAt: string | null; hubUpdatedAt: string; syncedCrmModifiedAt: string | null; lastSyncedAt: string; inboundJobs: string[] }
  | { verdict: 'deleted-in-crm'; crmId: string; lastSyncedAt: string; inboundJobs: string[] }
  | { verdict: 'rejected'; operation: 'create' | 'update' | 'delete'; code: string; reason: string; attempts: number; firstRejectedAt: string | null; lastAttemptAt: string | null; lastRunId: number | null }
  | { verdict: 'not-reached'; hubUpdatedAt: string; lastRunId: number | null; lastRunAt: string | null; nextRun: NextRun }
  | {
      verdict: 'synced';
      crmId: string;
      lastSyncedAt: string;
      /** The run that last wrote the link (this job's, or the inbound job's of the same records), when known. */
      runId: number | null;
      runJobId: string | null;
      crmModifiedAt: string | null;
      hubUpdatedAt: string;
      /** The hub changed the record after the last sync (perhaps in no field the job maps). */
      changedInHubSince: boolean;
      /** What the next run changes in the CRM; empty when it sends nothing. */
      changes: FieldChange[];
      /** The run that sends the changes, when there are any to send. */
      nextRun: NextRun | null;
    }
  | { verdict: 'skipped'; code: string; reason: string };

export interface OutboundExplanation {
  direction: 'outbound';
  jobId: string;
  crmObject: string;
  hubType: OutboundEntity;
  /** The hub record; null when the name matches none. */
  hubId: number | null;
  /** The CRM record it is linked to; null when it has none (yet). */
  crmId: string | null;
  answer: OutboundExplainAnswer;
  /** The answer in one sentence, with what to do where there is something to do. */
  summary: string;
}

interface LinkRow {
  crm_id: string;
  last_synced_at: string;
  crm_modified_at: string | null;
}

interface KeptRejection {
  reason_code: string;
  reason: string;
  attempts: number;
  first_rejected_at: string;
  last_attempt_at: string;
  last_run_id: number | null;
}

const iso = (v: unknown) => toIsoDateTime(v) ?? String(v);

/** The hub record `record` names in the job: hub ID, key (`task-12`), linked CRM ID, or external ID. */
async function resolveHubId(pool: Pool, job: JobRecord, entity: OutboundEntity, record: string): Promise<number | null> {
  const trimmed = record.trim();
  if (!trimmed) throw new ConfigurationError(`Name the record: the hub record's ID (12 or ${hubRecordKey(entity, 12)}), its CRM ID or its external ID.`);
  const table = ENTITY_TABLE[entity];
  const key = new RegExp(`^(?:${hubRecordKey(entity, 0).slice(0, -1)})?(\\d{1,15})$`, 'i').exec(trimmed);
  if (key) {
    const id = Number(key[1]);
    const known = await pool.query(`SELECT 1 FROM ${table} WHERE id = $1 UNION ALL SELECT 1 FROM hub_tombstones WHERE hub_type = $2 AND hub_id = $1`, [id, entity]);
    if (known.rowCount) return id;
  }
  const linked = await pool.query<{ hub_id: number }>('SELECT hub_id FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND hub_type = $3 AND lower(crm_id) = lower($4)', [job.connectionId, job.config.crmObject, entity, trimmed]);
  if (linked.rows[0]) return linked.rows[0].hub_id;
  const byExternalId = await pool.query<{ id: number }>(`SELECT id FROM ${table} WHERE external_id = lower($1) ORDER BY deleted_at NULLS FIRST, id LIMIT 1`, [trimmed]);
  return byExternalId.rows[0]?.id ?? null;
}

/** The jobs of `kinds` on the connection, by ID. */
async function jobsOf(pool: Pool, connectionId: string, kinds: JobKind[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM integration_jobs WHERE connection_id = $1 AND kind = ANY($2) ORDER BY id', [connectionId, kinds]);
  return rows.map((r) => r.id);
}

const blank = (v: unknown) => v === null || v === undefined || v === '';

/** Whether the CRM already holds what an update sends (dates to the day, datetimes to the instant). */
function sameValue(sent: unknown, crm: unknown): boolean {
  if (blank(sent) || blank(crm)) return blank(sent) && blank(crm);
  const dated = /^\d{4}-\d{2}-\d{2}/;
  if (typeof sent === 'string' && typeof crm === 'string' && dated.test(sent) && dated.test(crm)) {
    return sent.length === 10 || crm.length === 10 ? sent.slice(0, 10) === crm.slice(0, 10) : toIsoDateTime(sent) === toIsoDateTime(crm);
  }
  return String(sent) === String(crm);
}

function changesOf(payload: CrmWrite['fields'] | undefined, crm: Record<string, unknown> | undefined): FieldChange[] {
  if (!payload || !crm) return [];
  const crmValue = (field: string) => Object.entries(crm).find(([k]) => k.toLowerCase() === field.toLowerCase())?.[1] ?? null;
  return Object.entries(payload)
    .filter(([field, value]) => !sameValue(value, crmValue(field)))
    .map(([field, value]) => ({ field, crm: crmValue(field), hub: value ?? null }));
}

const shown = (v: unknown) => {
  if (blank(v)) return 'empty';
  const text = String(v);
  return `'${text.length > 60 ? `${text.slice(0, 57)}...` : text}'`;
};

/** What an operator does about a kept rejection, by its code. */
function rejectionFix(code: string, operation: 'create' | 'update' | 'delete'): string {
  if (operation === 'delete') return 'remove what stops the deletion in the CRM (the record is locked or protected there)';
  if (code === 'OWNER_NOT_FOUND') return "add (or activate) a CRM user with that email, or change the record's owner in the hub";
  if (code === 'OWNER_AMBIGUOUS') return 'leave one active CRM user with that email';
  if (code === 'UNABLE_TO_LOCK_ROW') return 'nothing, if the lock is gone by then; else find what holds the record in the CRM';
  return "correct the record's values in the hub (the CRM refused them), or the CRM rule that refuses them";
}

export async function explainOutbound(pool: Pool, session: (connectionId: string) => Promise<CrmSession>, job: JobRecord, record: string, now: Date = new Date()): Promise<OutboundExplanation> {
  const info = JOB_KIND_INFO[job.kind];
  if (info.direction !== 'outbound' || info.entity === 'account') throw new ConfigurationError(`Job '${job.id}' is a ${job.kind} job, not an outbound one.`, { code: 'WRONG_JOB_KIND' });
  const entity = info.entity;
  const { config } = job;
  const crmObject = config.crmObject;
  const label = ENTITY_LABEL[entity].one;
  const hubId = await resolveHubId(pool, job, entity, record);
  const explained = (answer: OutboundExplainAnswer, summary: string, crmId: string | null = null): OutboundExplanation => ({ direction: 'outbound', jobId: job.id, crmObject, hubType: entity, hubId, crmId, answer, summary });
  if (hubId === null) {
    return explained(
      { verdict: 'not-in-hub' },
      `The hub has no ${label} named '${record.trim()}', and no ${crmObject} of connection '${job.connectionId}' is linked to one: check the name (a hub ID such as 12 or ${hubRecordKey(entity, 12)}, a CRM ID, or an external ID).`,
    );
  }
  const hubName = `hub ${label} ${hubId}`;
  const link = (await pool.query<LinkRow>('SELECT crm_id, last_synced_at, crm_modified_at FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND hub_type = $3 AND hub_id = $4', [job.connectionId, crmObject, entity, hubId])).rows[0];
  const kept = (await pool.query<KeptRejection>('SELECT reason_code, reason, attempts, first_rejected_at, last_attempt_at, last_run_id FROM rejected_records WHERE job_id = $1 AND source_id = $2', [job.id, String(hubId)])).rows[0];
  const parkedRow = (await pool.query<{ parked_at: string }>('SELECT parked_at FROM parked_records WHERE job_id = $1 AND source_id = $2', [job.id, String(hubId)])).rows[0];
  const rejected = (operation: 'create' | 'update' | 'delete', current?: { code: string; reason: string }): OutboundExplanation => {
    const code = current?.code ?? kept!.reason_code;
    const reason = current?.reason ?? kept!.reason;
    const attempts = kept?.attempts ?? 0;
    const answer: OutboundExplainAnswer = { verdict: 'rejected', operation, code, reason, attempts, firstRejectedAt: kept ? iso(kept.first_rejected_at) : null, lastAttemptAt: kept ? iso(kept.last_attempt_at) : null, lastRunId: kept?.last_run_id ?? null };
    const tried = kept ? `Tried ${attempts} time(s), last at ${iso(kept.last_attempt_at)}${kept.last_run_id !== null ? ` (run ${kept.last_run_id})` : ''}; every run tries it again` : 'Not tried yet; the next run rejects it';
    return explained(answer, `Rejected (${code}): ${reason}. ${tried}. Fix: ${rejectionFix(code, operation)}.`, link?.crm_id ?? null);
  };

  // Deleted in the hub (T19): the run's deletion step turns a linked tombstone into a CRM deletion.
  const row = (await pool.query<{ deleted_at: string | null }>(`SELECT deleted_at FROM ${ENTITY_TABLE[entity]} WHERE id = $1`, [hubId])).rows[0];
  const tombstone = (await pool.query<{ deleted_at: string }>('SELECT deleted_at FROM hub_tombstones WHERE hub_type = $1 AND hub_id = $2', [entity, hubId])).rows[0];
  if (!row || row.deleted_at !== null) {
    const [toDelete] = await linkedTombstones(pool, entity, job.connectionId, crmObject, { hubIds: [hubId], limit: 1 });
    // A rejection kept since the deletion is the deletion's, refused by the CRM (retried by every run).
    if (toDelete && kept && Date.parse(kept.last_attempt_at) >= Date.parse(toDelete.deletedAt)) return rejected('delete');
    const deletedAt = toDelete?.deletedAt ?? (tombstone ? iso(tombstone.deleted_at) : row?.deleted_at ? iso(row.deleted_at) : null);
    if (toDelete) {
      return explained({ verdict: 'deleted-in-hub', deletedAt: toDelete.deletedAt, crmId: toDelete.crmId }, `Deleted in the hub at ${toDelete.deletedAt}: the next run of '${job.id}' deletes ${crmObject} ${toDelete.crmId} in the CRM (T19).`, toDelete.crmId);
    }
    if (deletedAt) return explained({ verdict: 'deleted-in-hub', deletedAt, crmId: null }, `Deleted in the hub at ${deletedAt}; no ${crmObject} of connection '${job.connectionId}' is linked to it, so there is nothing to delete in the CRM.`);
    return explained({ verdict: 'not-in-hub' }, `The hub has no ${label} ${hubId} (deleted, and its deletion has reached the CRM already, or never created): check the name.`);
  }

  // The run's own read: live and matching the job's hub filter. The window is the planner's rule (T15), below.
  const [hubRecord] = await readOutboundRecords(pool, entity, config.hubFilter, { order: 'recent', ids: [hubId], limit: 1 });
  if (!hubRecord) {
    const hubFilter = config.hubFilter ?? {};
    return explained(
      { verdict: 'outside-filter', hubFilter },
      `Outside the job's hub filter ${JSON.stringify(hubFilter)}: runs do not read ${hubName}. Change the record in the hub, or the job's hubFilter (\`hubsync job edit ${job.id} --file edit.yaml\` with a hubFilter), to include it.`,
      link?.crm_id ?? null,
    );
  }

  // The planner's decision for a page of this one record, as a run would make it now.
  const crm = await session(job.connectionId);
  const outboundJob: OutboundJob = { jobId: job.id, connectionId: job.connectionId, config };
  const { planned, stamps } = await planOutboundPage({ pool, session: crm, lookups: new EmailLookupCache() }, outboundJob, [hubRecord], now, [], true);
  const plan = planned[0]!;
  const decision = plan.decision;
  const hubUpdatedAt = iso(hubRecord.updatedAt);
  const crmId = link?.crm_id ?? null;

  if (decision.action === 'skip') {
    switch (decision.code) {
      case 'OUTSIDE_WINDOW': {
        const windowDays = config.updateWindowDays ?? DEFAULT_UPDATE_WINDOW_DAYS;
        const wider = Math.min(3650, Math.ceil((now.getTime() - Date.parse(hubRecord.updatedAt)) / 86_400_000));
        return explained(
          { verdict: 'outside-window', hubUpdatedAt, windowDays, windowStart: windowStart(config, now) },
          `Last changed in the hub at ${hubUpdatedAt}, before the job's ${windowDays}-day update window (since ${windowStart(config, now)}, T15): runs do not send it. Change the record in the hub, or widen the window (\`hubsync job edit ${job.id} --update-window ${wider}\`), to send it.`,
          crmId,
        );
      }
      case 'NO_CRM_PARENT': {
        const accountsJobs = await jobsOf(pool, job.connectionId, ['accounts-inbound']);
        const fix = `${accountsJobs.length ? `run the accounts-inbound job of connection '${job.connectionId}' (\`hubsync job run ${accountsJobs[0]}\`) if the CRM has the account` : `connection '${job.connectionId}' has no accounts-inbound job: create one (\`hubsync job create --kind accounts-inbound --connection ${job.connectionId} --from-template\`) and run it`}, or link the account by hand (\`hubsync account link ${hubRecord.accountId} ${job.connectionId}:<CRM account ID>\`); the first run after that sends it`;
        return explained(
          { verdict: 'parked', accountId: hubRecord.accountId, parked: Boolean(parkedRow), parkedAt: parkedRow ? iso(parkedRow.parked_at) : null, parentMatched: false, crmParentId: null, accountsJobs },
          `${parkedRow ? `Parked since ${iso(parkedRow.parked_at)}` : 'Not parked yet (no run has reached it; the next one parks it)'}: its hub account ${hubRecord.accountId} has no matched CRM account in connection '${job.connectionId}' (T11). Fix: ${fix}.`,
          crmId,
        );
      }
      case 'CREATE_DISABLED':
        return explained(
          { verdict: 'create-disabled', hubUpdatedAt },
          `${hubName} has no ${crmObject} in the CRM yet, and the job does not create CRM records (allowCreate is off, T14): turn on allowCreate in the job's config (\`hubsync job edit ${job.id} --allow-create true\`) and the next run creates it.`,
        );
      case 'CRM_NEWER': {
        const stamp = stamps.get(crmId!);
        const inboundJobs = await jobsOf(pool, job.connectionId, JOB_KINDS.filter((k) => JOB_KIND_INFO[k].entity === entity && JOB_KIND_INFO[k].direction === 'inbound'));
        const crmModifiedAt = stamp?.modifiedAt ?? null;
        const syncedCrmModifiedAt = link?.crm_modified_at ? iso(link.crm_modified_at) : null;
        return explained(
          { verdict: 'crm-newer', crmId: crmId!, crmModifiedAt, hubUpdatedAt, syncedCrmModifiedAt, lastSyncedAt: iso(link!.last_synced_at), inboundJobs },
          `Conflict the CRM won: ${crmObject} ${crmId} changed in the CRM at ${crmModifiedAt ?? '?'} (${syncedCrmModifiedAt ?? 'unknown'} at the last sync), after the hub changed ${hubName} at ${hubUpdatedAt}; the later change wins (T18, T29), so this job does not send the hub's. ${inboundJobs.length ? `Run the inbound job of connection '${job.connectionId}' (\`hubsync job run ${inboundJobs[0]}\`) to bring the CRM's version to the hub` : `No inbound job of connection '${job.connectionId}' brings the CRM's version to the hub`}; change the record in the hub again to send the hub's instead.`,
          crmId,
        );
      }
      case 'CRM_DELETED': {
        const inboundJobs = await jobsOf(pool, job.connectionId, JOB_KINDS.filter((k) => JOB_KIND_INFO[k].entity === entity && JOB_KIND_INFO[k].direction === 'inbound'));
        return explained(
          { verdict: 'deleted-in-crm', crmId: crmId!, lastSyncedAt: iso(link!.last_synced_at), inboundJobs },
          `${crmObject} ${crmId} was deleted in the CRM: this job does not write it again. ${inboundJobs.length ? `The inbound job deletes ${hubName} too (T19): \`hubsync job run ${inboundJobs[0]}\`` : `No inbound job of connection '${job.connectionId}' deletes ${hubName}: delete it in the hub (\`hubsync hub ${label.replace(' ', '-')} delete ${hubId}\`) or keep it`}.`,
          crmId,
        );
      }
      default:
        return explained({ verdict: 'skipped', code: decision.code, reason: decision.reason }, `Skipped (${decision.code}): ${decision.reason}.`, crmId);
    }
  }
  if (decision.action === 'reject') return rejected(link ? 'update' : 'create', decision);
  // Refused by the CRM when sent (the plan cannot know that without writing): every run sends it again.
  if (kept && (decision.action === 'create' || decision.action === 'update')) return rejected(link ? 'update' : 'create');
  if (parkedRow && (decision.action === 'create' || decision.action === 'update')) {
    return explained(
      { verdict: 'parked', accountId: hubRecord.accountId, parked: true, parkedAt: iso(parkedRow.parked_at), parentMatched: true, crmParentId: plan.crmParentId ?? null, accountsJobs: await jobsOf(pool, job.connectionId, ['accounts-inbound']) },
      `Parked since ${iso(parkedRow.parked_at)} for want of a CRM account; its hub account ${hubRecord.accountId} is matched now (CRM account ${plan.crmParentId ?? '?'}): the next run sends it.`,
      crmId,
    );
  }

  // Would be written: does the next incremental run read it (after the cursor, less the look-back), or only a full one?
  const stored = await readCursor(pool, job.id);
  const after = stored.modifiedAt ? { modifiedAt: new Date(Date.parse(stored.modifiedAt) - HUB_STAMP_LOOKBACK_MS).toISOString(), lastId: null } : START_CURSOR;
  const reached = (await readOutboundRecords(pool, entity, config.hubFilter, { order: 'recent', ids: [hubId], after, updatedSince: windowStart(config, now), limit: 1 })).length === 1;
  const nextRun: NextRun = reached ? 'incremental' : 'full';
  const nextRunName = reached ? 'the next run' : `a full run (\`hubsync job run ${job.id} --full\`: incremental runs start after this record)`;

  if (decision.action === 'create' || !link) {
    const lastRun = (await pool.query<{ id: number; started_at: string }>(`SELECT id, started_at FROM job_runs WHERE job_id = $1 AND status = 'completed' ORDER BY id DESC LIMIT 1`, [job.id])).rows[0];
    const answer: OutboundExplainAnswer = { verdict: 'not-reached', hubUpdatedAt, lastRunId: lastRun?.id ?? null, lastRunAt: lastRun ? iso(lastRun.started_at) : null, nextRun };
    if (!lastRun) return explained(answer, `No run of '${job.id}' has completed yet: start one with \`hubsync job run ${job.id}\`; it creates ${hubName} in the CRM as a ${crmObject}.`);
    return explained(
      answer,
      reached
        ? `Not in the CRM yet: changed in the hub at ${hubUpdatedAt}, after the last completed run (${lastRun.id}, started ${iso(lastRun.started_at)}); the next run creates it.`
        : `Not in the CRM yet, and incremental runs do not read it (changed at ${hubUpdatedAt}, before the job's cursor): ${nextRunName} creates it.`,
    );
  }

  // Linked: synced, and perhaps changed in the hub since.
  const run = (
    await pool.query<{ id: number; job_id: string }>(
      `SELECT r.id, r.job_id FROM job_runs r JOIN integration_jobs j ON j.id = r.job_id
        WHERE j.connection_id = $1 AND j.kind = ANY($2) AND r.started_at <= $3 AND (r.finished_at IS NULL OR r.finished_at >= $3)
        ORDER BY (r.job_id = $4) DESC, r.started_at DESC LIMIT 1`,
      [job.connectionId, JOB_KINDS.filter((k) => JOB_KIND_INFO[k].entity === entity), link.last_synced_at, job.id],
    )
  ).rows[0];
  const lastSyncedAt = iso(link.last_synced_at);
  const hubModifiedAt = plan.link?.hubModifiedAt ?? null;
  const changedInHubSince = hubModifiedAt === null || Date.parse(hubRecord.updatedAt) > Date.parse(hubModifiedAt);
  const changes = decision.action === 'update' ? changesOf(plan.payload, stamps.get(link.crm_id)?.fields) : [];
  const answer: OutboundExplainAnswer = {
    verdict: 'synced',
    crmId: link.crm_id,
    lastSyncedAt,
    runId: run?.id ?? null,
    runJobId: run?.job_id ?? null,
    crmModifiedAt: link.crm_modified_at ? iso(link.crm_modified_at) : null,
    hubUpdatedAt,
    changedInHubSince,
    changes,
    nextRun: decision.action === 'update' ? nextRun : null,
  };
  const synced = `Synced: ${hubName} is ${crmObject} ${link.crm_id}, last synced at ${lastSyncedAt}${run ? ` by run ${run.id}${run.job_id !== job.id ? ` of '${run.job_id}'` : ''}` : ''}`;
  if (decision.action !== 'update') {
    return explained(answer, changedInHubSince ? `${synced}; changed in the hub at ${hubUpdatedAt} since, but in no field the job maps: nothing to send.` : `${synced}; nothing changed in the hub since.`, link.crm_id);
  }
  const what = changes.length ? `updates ${changes.map((c) => `${c.field} (${shown(c.crm)} → ${shown(c.hub)})`).join(', ')}` : "sends it again (its mapped values match the CRM's already)";
  return explained(answer, `${synced}; changed in the hub at ${hubUpdatedAt} since: ${nextRunName} ${what}.`, link.crm_id);
}
