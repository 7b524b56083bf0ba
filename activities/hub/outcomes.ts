/**
 * The records a job keeps because it could not sync them yet, for both directions: rejected records with the
 * reason, retried by every later run until they pass (T28), and parked records waiting for their parent
 * account (T11, T26). `source_id` is the record's ID in the job's source (the CRM inbound, the hub outbound).
 */
import type { PoolClient } from 'pg';
import type { Pool } from './store';

export interface KeptRecord {
  sourceId: string;
  code: string;
  reason: string;
}

/** Records rejected (again) by run `runId`: their latest reason, and one more attempt. */
export async function keepRejected(db: Pool | PoolClient, jobId: string, runId: number | null, rejected: KeptRecord[]): Promise<void> {
  if (rejected.length === 0) return;
  await db.query(
    `INSERT INTO rejected_records (job_id, source_id, reason_code, reason, last_run_id)
     SELECT $1, s, c, r, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(s, c, r)
     ON CONFLICT (job_id, source_id) DO UPDATE
       SET reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, attempts = rejected_records.attempts + 1,
           last_attempt_at = now(), last_run_id = EXCLUDED.last_run_id`,
    [jobId, rejected.map((r) => r.sourceId), rejected.map((r) => r.code), rejected.map((r) => r.reason), runId],
  );
}

/** Records parked with `code`, and the CRM parent they wait for when there is one. */
export async function park(db: Pool | PoolClient, jobId: string, code: string, parked: Array<{ sourceId: string; parentCrmId: string | null }>): Promise<void> {
  if (parked.length === 0) return;
  await db.query(
    `INSERT INTO parked_records (job_id, source_id, parent_crm_id, reason_code)
     SELECT $1, s, p, $4 FROM unnest($2::text[], $3::text[]) AS t(s, p)
     ON CONFLICT (job_id, source_id) DO UPDATE SET parent_crm_id = EXCLUDED.parent_crm_id, reason_code = EXCLUDED.reason_code, parked_at = now()`,
    [jobId, parked.map((p) => p.sourceId), parked.map((p) => p.parentCrmId), code],
  );
}

/** Records that need neither retry nor parking any more (written, gone, or settled otherwise). */
export async function forgetKept(db: Pool | PoolClient, jobId: string, sourceIds: string[], which: { rejected?: boolean; parked?: boolean } = { rejected: true, parked: true }): Promise<void> {
  if (sourceIds.length === 0) return;
  if (which.rejected) await db.query('DELETE FROM rejected_records WHERE job_id = $1 AND source_id = ANY($2)', [jobId, sourceIds]);
  if (which.parked) await db.query('DELETE FROM parked_records WHERE job_id = $1 AND source_id = ANY($2)', [jobId, sourceIds]);
}
