/**
 * The run tables' one owner: job_runs (one row per run), job_run_pages (each committed page, so a retried
 * activity reuses a page's stored result instead of counting it twice) and sync_cursors (where the next
 * incremental run resumes). Activities, the client and the CLI all go through these functions.
 */
import type { PoolClient } from 'pg';
import type { SyncCursor } from '../../kernel/cursors';
import { ConflictError } from '../../kernel/errors';
import type { RunMode } from '../../kernel/runs';
import type { RunStats } from '../../kernel/stats';
import { pageCommitted, type PageJob } from '../telemetry';
import { afterCommit, type Pool } from './store';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunRecord {
  id: number;
  jobId: string;
  jobVersion: number;
  workflowId: string;
  mode: RunMode;
  status: RunStatus;
  stats: RunStats;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

interface RunRow {
  id: number;
  job_id: string;
  job_version: number;
  workflow_id: string;
  mode: RunMode;
  status: RunStatus;
  stats: RunStats;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  jobId: r.job_id,
  jobVersion: r.job_version,
  workflowId: r.workflow_id,
  mode: r.mode,
  status: r.status,
  stats: r.stats,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Temporal's status name of a workflow (RUNNING, COMPLETED, TERMINATED…), however the caller reaches Temporal. */
export type WorkflowStatusLookup = (workflowId: string) => Promise<string>;

/**
 * The run of a job that is still going, if any. A run recorded as running whose workflow has ended without
 * recording its end (terminated by an operator, timed out) would block the job for ever: it is marked failed
 * here, whoever asks, and does not count.
 */
export async function liveRun(pool: Pool, jobId: string, statusOf: WorkflowStatusLookup): Promise<RunRecord | undefined> {
  const { rows } = await pool.query<RunRow>(`SELECT * FROM job_runs WHERE job_id = $1 AND status = 'running'`, [jobId]);
  const running = rows[0];
  if (!running) return undefined;
  const status = await statusOf(running.workflow_id);
  if (status === 'RUNNING') return toRecord(running);
  await pool.query(`UPDATE job_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND status = 'running'`, [
    running.id,
    `the run's workflow ended (${status}) without recording its end; marked failed when the job was next run`,
  ]);
  return undefined;
}

/**
 * Records the start of a run; idempotent per workflow ID (a retried activity gets the same row). Refused
 * while another run of the job is going: two runs of a job never overlap.
 */
export async function recordRunStart(
  pool: Pool,
  run: { jobId: string; jobVersion: number; workflowId: string; mode: RunMode },
  statusOf: WorkflowStatusLookup,
): Promise<{ id: number; jobVersion: number }> {
  const insert = () =>
    pool.query<{ id: number; job_version: number }>(
      `INSERT INTO job_runs (job_id, job_version, workflow_id, mode, status) VALUES ($1, $2, $3, $4, 'running')
       ON CONFLICT (workflow_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
       RETURNING id, job_version`,
      [run.jobId, run.jobVersion, run.workflowId, run.mode],
    );
  let rows: Array<{ id: number; job_version: number }>;
  try {
    ({ rows } = await insert());
  } catch (err) {
    if ((err as { constraint?: string }).constraint !== 'job_runs_one_running') throw err;
    const other = await liveRun(pool, run.jobId, statusOf);
    if (other) throw alreadyRunning(run.jobId, other.workflowId);
    ({ rows } = await insert());
  }
  const row = rows[0]!;
  return { id: row.id, jobVersion: row.job_version };
}

export function alreadyRunning(jobId: string, workflowId: string): ConflictError {
  return new ConflictError(`Job '${jobId}' is already running (workflow ${workflowId}); runs of a job never overlap. Wait for it, or cancel it in the Temporal UI.`, {
    code: 'JOB_ALREADY_RUNNING',
  });
}

/**
 * Records the end of a run: its status and, for a failure, the reason and its fix. A completed run records
 * its final statistics; a failed or cancelled one keeps those its committed pages recorded (the workflow
 * does not know of the pages an activity committed before it failed).
 */
export async function recordRunEnd(pool: Pool, runId: number, end: { status: Exclude<RunStatus, 'running'>; stats: RunStats; error?: string | undefined }): Promise<void> {
  await pool.query(
    `UPDATE job_runs SET status = $2, stats = CASE WHEN $2 = 'completed' THEN $3::jsonb ELSE stats END, error = $4, finished_at = now() WHERE id = $1`,
    [runId, end.status, end.stats, end.error ?? null],
  );
}

export async function listRuns(pool: Pool, jobId: string, limit: number): Promise<RunRecord[]> {
  const { rows } = await pool.query<RunRow>('SELECT * FROM job_runs WHERE job_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2', [jobId, limit]);
  return rows.map(toRecord);
}

/** A page a run has committed already (by an earlier attempt of the same activity), or undefined. */
export async function committedPage(db: Pool | PoolClient, runId: number, pageNo: number): Promise<{ nextCursor: SyncCursor; stats: RunStats } | undefined> {
  const { rows } = await db.query<{ next_cursor: SyncCursor; result: RunStats }>('SELECT next_cursor, result FROM job_run_pages WHERE run_id = $1 AND page_no = $2', [runId, pageNo]);
  return rows[0] ? { nextCursor: rows[0].next_cursor, stats: rows[0].result } : undefined;
}

/**
 * Inside the page's own transaction (withTransaction): the page, and the run's statistics up to and including
 * it. Once it commits, the page's records are counted (`hubsync_records_total`) and logged with the job's IDs
 * (activities/telemetry.ts): every committed page passes here exactly once.
 */
export async function recordPage(tx: PoolClient, runId: number, page: { job: PageJob; pageNo: number; nextCursor: SyncCursor; stats: RunStats; runStats: RunStats }): Promise<void> {
  await tx.query('INSERT INTO job_run_pages (run_id, page_no, next_cursor, result) VALUES ($1, $2, $3, $4)', [runId, page.pageNo, page.nextCursor, page.stats]);
  await tx.query('UPDATE job_runs SET stats = $2 WHERE id = $1', [runId, page.runStats]);
  afterCommit(tx, () => pageCommitted(page.job, runId, page.pageNo, page.stats));
}

/** Where the job's last run stopped (null members before its first). */
export async function readCursor(pool: Pool, jobId: string): Promise<SyncCursor> {
  const { rows } = await pool.query<{ modified_at: string | null; last_id: string | null; position: string | null }>('SELECT modified_at, last_id, position FROM sync_cursors WHERE job_id = $1', [jobId]);
  const position = rows[0]?.position ?? null;
  return { modifiedAt: rows[0]?.modified_at ?? null, lastId: rows[0]?.last_id ?? null, ...(position ? { position } : {}) };
}

/**
 * Moves the job's cursor forward (never back: a full sync re-reading old pages leaves it in place). A cursor
 * with a CRM position always replaces the stored one: the CRM hands its positions out in order, and a full
 * read's positions end in one that covers everything since that read began.
 */
export async function advanceCursor(tx: PoolClient, jobId: string, cursor: SyncCursor): Promise<void> {
  await tx.query(
    `INSERT INTO sync_cursors (job_id, modified_at, last_id, position) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id) DO UPDATE SET modified_at = EXCLUDED.modified_at, last_id = EXCLUDED.last_id, position = EXCLUDED.position, updated_at = now()
      WHERE EXCLUDED.position IS NOT NULL
         OR sync_cursors.modified_at IS NULL
         OR (EXCLUDED.modified_at, EXCLUDED.last_id COLLATE "C") > (sync_cursors.modified_at, sync_cursors.last_id COLLATE "C")`,
    [jobId, cursor.modifiedAt, cursor.lastId, cursor.position ?? null],
  );
}
