/**
 * Activities of an inbound run (T1, T2, T4; P1). Each returns only cursors and counters; records go from
 * the CRM to the hub store inside the activity. The page loop heartbeats after every committed page and a
 * retried attempt resumes from the last heartbeat (or, finer still, from the pages the store says are
 * committed), so a worker killed mid-run loses and duplicates nothing.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { JobRecord } from '../hub/jobs';
import { getJob, getJobVersion } from '../hub/jobs';
import type { SecretBox } from '../hub/secrets';
import type { Pool } from '../hub/store';
import { JOB_KIND_INFO } from '../mapping/job-kinds';
import { addStats, emptyStats, START_CURSOR, type RunMode, type RunStats, type SyncCursor } from '../../workflows/definitions';
import type { CrmRecord } from '../mapping/engine';
import { countInbound, cursorAfter, fetchInboundByIds, fetchInboundPage, PAGE_SIZE, writeInboundPage, type InboundJob } from './inbound-page';
import { openSalesforceSession, type SalesforceSession } from './salesforce-session';
import { validateJob } from './validate-job';

export interface InboundRunDeps {
  pool: Pool;
  secretBox: () => SecretBox;
  /** Records per page (one API call each); Salesforce's maximum, 2,000, unless a deployment wants less. */
  pageSize?: number;
}

/** IDs per "WHERE Id IN (...)" query when fetching parked and rejected records back. */
const RETRY_CHUNK = 200;

/**
 * An incremental run starts this long before the stored cursor (T29). Salesforce stamps SystemModstamp to
 * the second and when a transaction starts, not when it commits: a record can become visible with a stamp
 * at or before the last one a run saw. Re-read records already synced are recognised as unchanged by their
 * stamp (decide.ts), so the look-back costs a few reads, never a duplicate.
 */
export const INCREMENTAL_LOOKBACK_MS = 60_000;

/** Sessions are kept per connection for the worker's lifetime (jsforce refreshes the token on 401), so a
 *  run costs one token request, not one per activity. */
function sessionCache(deps: InboundRunDeps) {
  const sessions = new Map<string, Promise<SalesforceSession>>();
  return (connectionId: string): Promise<SalesforceSession> => {
    let session = sessions.get(connectionId);
    if (!session) {
      session = openSalesforceSession(deps.pool, deps.secretBox(), connectionId);
      session.catch(() => sessions.delete(connectionId));
      sessions.set(connectionId, session);
    }
    return session;
  };
}

export interface BeginRunInput {
  jobId: string;
  mode: RunMode;
  workflowId: string;
}

export interface BeginRunResult {
  runId: number;
  jobVersion: number;
  connectionId: string;
  cursor: SyncCursor;
  /** Records the CRM has from the cursor on, counted when the run began (for progress). */
  expectedRecords: number;
}

export interface PagesInput {
  runId: number;
  jobId: string;
  jobVersion: number;
  cursor: SyncCursor;
  pageNo: number;
  statsBefore: RunStats;
  maxPages: number;
}

export interface PagesResult {
  cursor: SyncCursor;
  pageNo: number;
  done: boolean;
  /** Statistics of the pages this call covered. */
  stats: RunStats;
}

interface PagesHeartbeat {
  cursor: SyncCursor;
  pageNo: number;
  stats: RunStats;
}

export function createInboundRunActivities(deps: InboundRunDeps) {
  const session = sessionCache(deps);

  /**
   * A run recorded as running whose workflow has ended without recording its end (terminated by an
   * operator, or timed out) would block the job for ever: it is marked failed. True when one was released.
   */
  async function releaseEndedRun(jobId: string): Promise<boolean> {
    const { rows } = await deps.pool.query<{ id: number; workflow_id: string }>(`SELECT id, workflow_id FROM job_runs WHERE job_id = $1 AND status = 'running'`, [jobId]);
    const running = rows[0];
    if (!running) return true;
    const description = await Context.current().client.workflow.getHandle(running.workflow_id).describe();
    if (description.status.name === 'RUNNING') return false;
    await deps.pool.query(
      `UPDATE job_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND status = 'running'`,
      [running.id, `the run's workflow ended (${description.status.name}) without recording its end; marked failed when the next run began`],
    );
    return true;
  }
  const pageSize = deps.pageSize ?? PAGE_SIZE;

  async function runJob(jobId: string, version: number): Promise<InboundJob & { record: JobRecord }> {
    const record = await getJob(deps.pool, jobId);
    const config = version === record.version ? record.config : await getJobVersion(deps.pool, jobId, version);
    return { jobId, connectionId: record.connectionId, config, record };
  }

  return {
    /** Validates the job (T9: a job that does not validate cannot run), records the run, reads the cursor. */
    async beginInboundRun(input: BeginRunInput): Promise<BeginRunResult> {
      const job = await getJob(deps.pool, input.jobId);
      if (JOB_KIND_INFO[job.kind].direction !== 'inbound') {
        throw ApplicationFailure.nonRetryable(`Job '${job.id}' is a ${job.kind} job, not an inbound one.`, 'WrongJobKind');
      }
      const validation = await validateJob(job, await session(job.connectionId));
      if (!validation.ok) {
        const errors = validation.issues.filter((i) => i.severity === 'error').map((i) => `${i.message} (fix: ${i.fix})`);
        throw ApplicationFailure.nonRetryable(`Job '${job.id}' version ${job.version} does not validate, so it cannot run:\n- ${errors.join('\n- ')}`, 'JobValidationError');
      }
      const insertRun = () =>
        deps.pool.query<{ id: number; job_version: number }>(
          `INSERT INTO job_runs (job_id, job_version, workflow_id, mode, status) VALUES ($1, $2, $3, $4, 'running')
           ON CONFLICT (workflow_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
           RETURNING id, job_version`,
          [job.id, job.version, input.workflowId, input.mode],
        );
      let rows: Array<{ id: number; job_version: number }>;
      try {
        ({ rows } = await insertRun());
      } catch (err) {
        if ((err as { constraint?: string }).constraint !== 'job_runs_one_running') throw err;
        if (!(await releaseEndedRun(job.id))) {
          throw ApplicationFailure.nonRetryable(`Job '${job.id}' is already running; two runs of a job never overlap. Wait for it, or cancel it in the Temporal UI.`, 'JobAlreadyRunning');
        }
        ({ rows } = await insertRun());
      }
      const run = rows[0]!;
      let cursor = START_CURSOR;
      if (input.mode === 'incremental') {
        const stored = await deps.pool.query<{ modified_at: string | null; last_id: string | null }>('SELECT modified_at, last_id FROM sync_cursors WHERE job_id = $1', [job.id]);
        const from = stored.rows[0]?.modified_at;
        if (from) cursor = { modifiedAt: new Date(Date.parse(from) - INCREMENTAL_LOOKBACK_MS).toISOString(), lastId: null };
      }
      const expectedRecords = await countInbound((await session(job.connectionId)).conn, job.config, cursor);
      return { runId: run.id, jobVersion: run.job_version, connectionId: job.connectionId, cursor, expectedRecords };
    },

    /**
     * Parked records whose parent account is matched now (T26) and rejected records (T28), fetched again by
     * Id and processed like any page. Page numbers from `pageNo` on; the job's cursor does not move.
     */
    async retryParkedAndRejected(input: Omit<PagesInput, 'cursor' | 'maxPages'>): Promise<{ pageNo: number; stats: RunStats }> {
      const job = await runJob(input.jobId, input.jobVersion);
      const { rows } = await deps.pool.query<{ source_id: string }>(
        `SELECT p.source_id FROM parked_records p
           JOIN record_links l ON l.connection_id = $2 AND l.crm_object = $3 AND l.hub_type = 'account' AND l.crm_id = p.parent_crm_id
          WHERE p.job_id = $1
         UNION
         SELECT source_id FROM rejected_records WHERE job_id = $1
         ORDER BY 1`,
        [job.jobId, job.connectionId, job.config.parentObject ?? 'Account'],
      );
      const ids = rows.map((r) => r.source_id);
      let stats = emptyStats();
      let pageNo = input.pageNo;
      const { conn } = await session(job.connectionId);
      for (let i = 0; i < ids.length; i += RETRY_CHUNK) {
        const chunk = ids.slice(i, i + RETRY_CHUNK);
        const records = await fetchInboundByIds(conn, job.config, chunk);
        const returned = new Set(records.map((r) => String(r['Id'])));
        const gone = chunk.filter((id) => !returned.has(id));
        // No longer returned (filtered out, or purged from the recycle bin): nothing to wait or retry for.
        if (gone.length) {
          await deps.pool.query('DELETE FROM parked_records WHERE job_id = $1 AND source_id = ANY($2)', [job.jobId, gone]);
          await deps.pool.query('DELETE FROM rejected_records WHERE job_id = $1 AND source_id = ANY($2)', [job.jobId, gone]);
        }
        const outcome = await writeInboundPage(deps.pool, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: false }, records, START_CURSOR);
        stats = addStats(stats, outcome.stats);
        pageNo++;
        Context.current().heartbeat({ pageNo });
      }
      return { pageNo, stats };
    },

    /** Pages through the CRM from the cursor, up to `maxPages` pages, heartbeating after each. */
    async syncInboundPages(input: PagesInput): Promise<PagesResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as PagesHeartbeat | undefined;
      let { cursor, pageNo } = resumed ?? input;
      let stats = resumed?.stats ?? emptyStats();
      const lastPage = input.pageNo + input.maxPages;
      const job = await runJob(input.jobId, input.jobVersion);
      const { conn } = await session(job.connectionId);
      // Only an earlier attempt can have committed pages (heartbeats are throttled, so the last one sent may
      // lag behind): look them up until the first page that is not there, then stop looking.
      let mayBeCommitted = resumed !== undefined || ctx.info.attempt > 1;
      let prefetched: Promise<CrmRecord[]> | undefined;
      while (pageNo < lastPage) {
        ctx.heartbeat({ cursor, pageNo, stats } satisfies PagesHeartbeat);
        let outcome: { stats: RunStats; nextCursor: SyncCursor; size: number } | undefined;
        if (mayBeCommitted) {
          const committed = await deps.pool.query<{ next_cursor: SyncCursor; result: RunStats }>('SELECT next_cursor, result FROM job_run_pages WHERE run_id = $1 AND page_no = $2', [input.runId, pageNo]);
          if (committed.rows[0]) outcome = { stats: committed.rows[0].result, nextCursor: committed.rows[0].next_cursor, size: committed.rows[0].result.read };
          else mayBeCommitted = false;
        }
        if (!outcome) {
          const records = await (prefetched ?? fetchInboundPage(conn, job.config, cursor, pageSize));
          prefetched = undefined;
          if (records.length === 0) return { cursor, pageNo, done: true, stats };
          // The next page's query depends only on this page's last record: read it while this page is
          // written, within this call's page budget (so every page read is a page written).
          if (records.length === pageSize && pageNo + 1 < lastPage) {
            prefetched = fetchInboundPage(conn, job.config, cursorAfter(records, cursor), pageSize);
            prefetched.catch(() => undefined); // surfaces when awaited on the next page
          }
          const written = await writeInboundPage(deps.pool, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: true }, records, cursor);
          outcome = { ...written, size: records.length };
        }
        stats = addStats(stats, outcome.stats);
        cursor = outcome.nextCursor;
        pageNo++;
        ctx.heartbeat({ cursor, pageNo, stats } satisfies PagesHeartbeat);
        if (outcome.size < pageSize) return { cursor, pageNo, done: true, stats };
      }
      return { cursor, pageNo, done: false, stats };
    },

    /** Records the run's end: status, final statistics, the failure message. */
    async finishInboundRun(input: { runId: number; status: 'completed' | 'failed' | 'cancelled'; stats: RunStats; error?: string }): Promise<void> {
      await deps.pool.query(`UPDATE job_runs SET status = $2, stats = $3, error = $4, finished_at = now() WHERE id = $1`, [input.runId, input.status, input.stats, input.error ?? null]);
    },
  };
}
