/**
 * "Why didn't record X sync?" (T30) for inbound jobs: the first rule that stopped one CRM record, with the facts
 * behind it, from the hub's own bookkeeping (rejected and parked records, record links, the job's cursor and
 * runs) and one read of the record in the CRM (with the job's filter, then without it). The record is named by
 * its CRM ID, its external ID (the hub record's key) or the hub record's ID.
 *
 * The rules, in the order a run applies them: rejected (T20, T12, T28: with the CRM-side reason and the retry
 * count), parked for an unmatched parent account (T11, T26: and whether the parent has arrived since), gone
 * from the CRM, deleted in the CRM, outside the job's filter (T8), changed in the CRM after the job's last run
 * (not reached yet), and otherwise synced: when, by which run, and whether the hub record changed since.
 *
 * Outbound jobs are explained by explain-outbound.ts; `explainRecord` answers for a job of either direction.
 */
import { JOB_KIND_INFO } from '../../kernel/job-kinds';
import { ConfigurationError } from '../../kernel/errors';
import { toIsoDateTime } from '../../kernel/datetime';
import type { CrmSession } from '../crm/connector';
import { getJob } from '../hub/jobs';
import type { Pool } from '../hub/store';
import { inboundReadSpec } from '../mapping/engine';
import { explainOutbound, type OutboundExplanation } from './explain-outbound';

export type ExplainAnswer =
  | { verdict: 'rejected'; code: string; reason: string; attempts: number; firstRejectedAt: string; lastAttemptAt: string; lastRunId: number | null }
  | { verdict: 'parked'; parentCrmId: string | null; parkedAt: string; parentMatched: boolean }
  | { verdict: 'not-in-crm'; wasLinked: boolean }
  | { verdict: 'deleted-in-crm'; hubId: number | null }
  | { verdict: 'outside-filter'; filter: string }
  | { verdict: 'not-reached'; crmModifiedAt: string | null; lastRunAt: string | null }
  | { verdict: 'synced'; hubId: number; lastSyncedAt: string; crmModifiedAt: string | null; runId: number | null; changedInCrmSince: boolean };

export interface InboundExplanation {
  direction: 'inbound';
  jobId: string;
  crmObject: string;
  crmId: string;
  answer: ExplainAnswer;
  /** The answer in one sentence, with what to do where there is something to do. */
  summary: string;
}

/** The answer for a job of either direction: `direction` tells which shape it is. */
export type Explanation = InboundExplanation | OutboundExplanation;

/**
 * Why a record of a job did or did not sync (T30): the first rule that stopped it, with the facts behind it.
 * Inbound, `record` is the CRM ID, the external ID or the hub record's ID; outbound, the hub record's ID (`12` or
 * `task-12`), the CRM ID it is linked to, or its external ID. Nothing is written.
 */
export async function explainRecord(pool: Pool, session: (connectionId: string) => Promise<CrmSession>, jobId: string, record: string): Promise<Explanation> {
  const job = await getJob(pool, jobId);
  return JOB_KIND_INFO[job.kind].direction === 'inbound' ? explainInbound(pool, session, jobId, record) : explainOutbound(pool, session, job, record);
}

interface Link {
  crm_id: string;
  hub_id: string;
  last_synced_at: string;
  crm_modified_at: string | null;
}

/** The CRM ID `record` names: a hub ID (digits) linked on the job's connection, else the ID or external ID itself. */
async function resolveCrmId(pool: Pool, connectionId: string, crmObject: string, hubType: string, record: string): Promise<{ crmId: string; link: Link | undefined }> {
  const trimmed = record.trim();
  if (!trimmed) throw new ConfigurationError('Name the record: its CRM ID, its external ID or the hub record\'s ID.');
  const byHub = /^\d{1,18}$/.test(trimmed)
    ? (await pool.query<Link>('SELECT crm_id, hub_id, last_synced_at, crm_modified_at FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND hub_type = $3 AND hub_id = $4', [connectionId, crmObject, hubType, trimmed])).rows[0]
    : undefined;
  if (byHub) return { crmId: byHub.crm_id, link: byHub };
  const link = (await pool.query<Link>('SELECT crm_id, hub_id, last_synced_at, crm_modified_at FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND hub_type = $3 AND lower(crm_id) = lower($4)', [connectionId, crmObject, hubType, trimmed])).rows[0];
  return { crmId: link?.crm_id ?? trimmed, link };
}

const iso = (v: unknown) => toIsoDateTime(v) ?? String(v);

export async function explainInbound(pool: Pool, session: (connectionId: string) => Promise<CrmSession>, jobId: string, record: string): Promise<InboundExplanation> {
  const job = await getJob(pool, jobId);
  const info = JOB_KIND_INFO[job.kind];
  if (info.direction !== 'inbound') throw new ConfigurationError(`Job '${jobId}' is a ${job.kind} job, not an inbound one (explainRecord answers for both).`, { code: 'WRONG_JOB_KIND' });
  const crmObject = job.config.crmObject;
  const { crmId, link } = await resolveCrmId(pool, job.connectionId, crmObject, info.entity, record);
  const explained = (answer: ExplainAnswer, summary: string): InboundExplanation => ({ direction: 'inbound', jobId, crmObject, crmId, answer, summary });

  const rejected = (await pool.query<{ reason_code: string; reason: string; attempts: number; first_rejected_at: string; last_attempt_at: string; last_run_id: string | null }>(
    'SELECT reason_code, reason, attempts, first_rejected_at, last_attempt_at, last_run_id FROM rejected_records WHERE job_id = $1 AND lower(source_id) = lower($2)',
    [jobId, crmId],
  )).rows[0];
  if (rejected) {
    const answer: ExplainAnswer = { verdict: 'rejected', code: rejected.reason_code, reason: rejected.reason, attempts: rejected.attempts, firstRejectedAt: iso(rejected.first_rejected_at), lastAttemptAt: iso(rejected.last_attempt_at), lastRunId: rejected.last_run_id === null ? null : Number(rejected.last_run_id) };
    return explained(answer, `Rejected (${rejected.reason_code}): ${rejected.reason}. Tried ${rejected.attempts} time(s), last at ${answer.lastAttemptAt}; every run tries it again (fix the record in the CRM).`);
  }
  const parked = (await pool.query<{ parent_crm_id: string | null; parked_at: string }>('SELECT parent_crm_id, parked_at FROM parked_records WHERE job_id = $1 AND lower(source_id) = lower($2)', [jobId, crmId])).rows[0];
  if (parked) {
    const parentMatched = parked.parent_crm_id !== null && (await pool.query("SELECT 1 FROM record_links WHERE connection_id = $1 AND hub_type = 'account' AND lower(crm_id) = lower($2)", [job.connectionId, parked.parent_crm_id])).rowCount === 1;
    return explained(
      { verdict: 'parked', parentCrmId: parked.parent_crm_id, parkedAt: iso(parked.parked_at), parentMatched },
      parentMatched
        ? `Waiting since ${iso(parked.parked_at)} for its account ${parked.parent_crm_id}, which is matched now: the next run imports it.`
        : `Waiting since ${iso(parked.parked_at)} for its account ${parked.parent_crm_id ?? '(none)'}, which no hub account matches yet: run the accounts-inbound job of connection '${job.connectionId}' (or link the account with \`hubsync account link\`).`,
    );
  }

  const crm = await session(job.connectionId);
  const spec = inboundReadSpec(job.config);
  const [filtered] = await crm.readByIds(spec, [crmId]);
  const hubId = link ? Number(link.hub_id) : null;
  if (!filtered || filtered.deleted) {
    const [any] = filtered ? [filtered] : await crm.readByIds({ ...spec, filter: undefined }, [crmId]);
    if (!any) return explained({ verdict: 'not-in-crm', wasLinked: link !== undefined }, link ? `${crmObject} ${crmId} no longer exists in the CRM (emptied from its recycle bin); hub record ${link.hub_id} keeps its last values.` : `The CRM has no ${crmObject} ${crmId}: check the ID (a CRM ID, an external ID, or the hub record's ID).`);
    if (any.deleted) return explained({ verdict: 'deleted-in-crm', hubId }, `Deleted in the CRM${hubId !== null ? `; the next run deletes hub record ${hubId} (T19)` : ''}.`);
    return explained({ verdict: 'outside-filter', filter: job.config.filter ?? '' }, `Outside the job's filter \`${job.config.filter ?? ''}\`: runs do not read it. Change the filter (\`hubsync job edit ${jobId} --filter …\`) to include it.`);
  }
  const lastRun = (await pool.query<{ id: string; started_at: string }>(`SELECT id, started_at FROM job_runs WHERE job_id = $1 AND status = 'completed' ORDER BY id DESC LIMIT 1`, [jobId])).rows[0];
  const crmModifiedAt = filtered.modifiedAt;
  if (!link) {
    return explained(
      { verdict: 'not-reached', crmModifiedAt, lastRunAt: lastRun ? iso(lastRun.started_at) : null },
      lastRun ? `Not imported yet: changed in the CRM at ${crmModifiedAt ?? '?'}, after the last completed run (${lastRun.id}, started ${iso(lastRun.started_at)}); the next run reads it.` : `No run of '${jobId}' has completed yet: start one with \`hubsync job run ${jobId}\`.`,
    );
  }
  const changedInCrmSince = crmModifiedAt !== null && link.crm_modified_at !== null && Date.parse(crmModifiedAt) > Date.parse(iso(link.crm_modified_at));
  const runId = lastRun ? Number(lastRun.id) : null;
  if (changedInCrmSince) {
    return explained({ verdict: 'not-reached', crmModifiedAt, lastRunAt: lastRun ? iso(lastRun.started_at) : null }, `Synced to hub record ${link.hub_id} at ${iso(link.last_synced_at)}, then changed in the CRM at ${crmModifiedAt}: the next run brings the change.`);
  }
  return explained(
    { verdict: 'synced', hubId: Number(link.hub_id), lastSyncedAt: iso(link.last_synced_at), crmModifiedAt: link.crm_modified_at === null ? null : iso(link.crm_modified_at), runId, changedInCrmSince },
    `Synced: hub ${info.entity} ${link.hub_id}, last written at ${iso(link.last_synced_at)} (the CRM's version of ${link.crm_modified_at === null ? '?' : iso(link.crm_modified_at)}); nothing changed in the CRM since.`,
  );
}

