/**
 * Integration jobs in the hub store: the validated configuration and its version. Every change bumps the
 * version and keeps the configuration in integration_job_versions, so a run can record (and an operator
 * can look up) exactly the configuration it used.
 */
import { ConflictError, NotFoundError } from '../../kernel/errors';
import { JOB_ID_PATTERN, parseJobConfig, type JobConfig } from '../mapping/job-config';
import type { JobKind } from '../../kernel/job-kinds';
import { withTransaction, type Pool } from './store';

export interface JobRecord {
  id: string;
  kind: JobKind;
  connectionId: string;
  config: JobConfig;
  version: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** No job by that ID. */
export class JobNotFoundError extends NotFoundError {
  override readonly name = 'JobNotFoundError';
}

/** The job's state refuses the change (an ID taken, a kind that cannot change, a concurrent edit). */
export class JobStateError extends ConflictError {
  override readonly name = 'JobStateError';
}

interface JobRow {
  id: string;
  kind: JobKind;
  connection_id: string;
  config: unknown;
  version: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    connectionId: row.connection_id,
    config: parseJobConfig(row.id, row.config),
    version: row.version,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createJob(pool: Pool, input: { id: string; connectionId: string; config: JobConfig }): Promise<JobRecord> {
  if (!JOB_ID_PATTERN.test(input.id)) {
    throw new JobStateError(`Invalid job ID '${input.id}': use lowercase letters, digits and dashes (e.g. tasks-in), at most 63 characters.`);
  }
  const config = parseJobConfig(input.id, input.config);
  return withTransaction(pool, async (client) => {
    const connection = await client.query('SELECT 1 FROM crm_connections WHERE id = $1', [input.connectionId]);
    if (connection.rowCount === 0) {
      throw new JobStateError(`Job '${input.id}': unknown connection '${input.connectionId}'. List connections with \`hubsync connection list\`, or add one with \`hubsync connection add\`.`);
    }
    const inserted = await client.query<JobRow>(
      `INSERT INTO integration_jobs (id, kind, connection_id, config) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [input.id, config.kind, input.connectionId, config],
    );
    const row = inserted.rows[0];
    if (!row) throw new JobStateError(`A job '${input.id}' exists already. Pick another ID, or edit it with \`hubsync job edit ${input.id}\`.`);
    await client.query('INSERT INTO integration_job_versions (job_id, version, config) VALUES ($1, 1, $2)', [row.id, config]);
    return toRecord(row);
  });
}

export async function listJobs(pool: Pool): Promise<JobRecord[]> {
  const { rows } = await pool.query<JobRow>('SELECT * FROM integration_jobs ORDER BY id');
  return rows.map(toRecord);
}

export async function getJob(pool: Pool, id: string): Promise<JobRecord> {
  const { rows } = await pool.query<JobRow>('SELECT * FROM integration_jobs WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) {
    const known = (await pool.query<{ id: string }>('SELECT id FROM integration_jobs ORDER BY id')).rows.map((r) => r.id);
    throw new JobNotFoundError(`Unknown job '${id}'. ${known.length ? `Known jobs: ${known.join(', ')}.` : 'There are no jobs yet: create one with `hubsync job create`.'}`);
  }
  return toRecord(row);
}

/** The configuration a job had at `version` (what a run used). */
export async function getJobVersion(pool: Pool, id: string, version: number): Promise<JobConfig> {
  const { rows } = await pool.query<{ config: unknown }>('SELECT config FROM integration_job_versions WHERE job_id = $1 AND version = $2', [id, version]);
  if (!rows[0]) throw new JobNotFoundError(`Job '${id}' has no version ${version}.`);
  return parseJobConfig(id, rows[0].config);
}

/** The job as a run uses it: its connection, and the configuration of the version the run began with. */
export async function getJobForRun(pool: Pool, id: string, version: number): Promise<{ jobId: string; connectionId: string; config: JobConfig }> {
  const record = await getJob(pool, id);
  const config = version === record.version ? record.config : await getJobVersion(pool, id, version);
  return { jobId: id, connectionId: record.connectionId, config };
}

/**
 * Replaces a job's configuration with a new version. The kind cannot change (create another job). When
 * `expectedVersion` is given and the job moved on meanwhile, nothing is written.
 */
export async function updateJobConfig(pool: Pool, id: string, config: JobConfig, expectedVersion?: number): Promise<JobRecord> {
  const current = await getJob(pool, id);
  const next = parseJobConfig(id, config);
  if (next.kind !== current.kind) {
    throw new JobStateError(`Job '${id}' is a ${current.kind} job; its kind cannot become ${next.kind}. Create a new job instead.`);
  }
  return withTransaction(pool, async (client) => {
    const updated = await client.query<JobRow>(
      `UPDATE integration_jobs SET config = $2, version = version + 1, updated_at = now()
        WHERE id = $1 AND version = coalesce($3, version) RETURNING *`,
      [id, next, expectedVersion ?? null],
    );
    const row = updated.rows[0];
    if (!row) throw new JobStateError(`Job '${id}' changed meanwhile (now version ${current.version}, expected ${expectedVersion}). Show it again and re-apply your edit.`);
    await client.query('INSERT INTO integration_job_versions (job_id, version, config) VALUES ($1, $2, $3)', [id, row.version, next]);
    return toRecord(row);
  });
}

export async function setJobEnabled(pool: Pool, id: string, enabled: boolean): Promise<JobRecord> {
  await getJob(pool, id);
  const { rows } = await pool.query<JobRow>('UPDATE integration_jobs SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, enabled]);
  return toRecord(rows[0]!);
}

export async function deleteJob(pool: Pool, id: string): Promise<void> {
  await getJob(pool, id);
  await pool.query('DELETE FROM integration_jobs WHERE id = $1', [id]);
}
