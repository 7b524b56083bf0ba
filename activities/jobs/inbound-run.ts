/**
 * The paging activities of an inbound run (T1, T2, T4; P1). Records go from the CRM to the hub store inside
 * the activity; only cursors and counters come back. The page loop heartbeats after every committed page and
 * a retried attempt resumes from the last heartbeat (or, finer still, from the pages the store says are
 * committed), so a worker killed mid-run loses and duplicates nothing.
 */
import { Context } from '@temporalio/activity';
import type { SyncCursor } from '../../kernel/cursors';
import { START_CURSOR } from '../../kernel/cursors';
import type { BudgetWait } from '../../kernel/budget';
import type { PagesInput, PagesResult } from '../../kernel/runs';
import { addStats, emptyStats, type RunStats } from '../../kernel/stats';
import type { CrmPage } from '../crm/connector';
import type { SessionSource } from '../sessions';
import { getJobForRun } from '../hub/jobs';
import { forgetKept } from '../hub/outcomes';
import { committedPage } from '../hub/runs';
import type { Pool } from '../hub/store';
import { inboundReadSpec } from '../mapping/engine';
import { budgetGate } from './budget-gate';
import { heartbeating } from './heartbeating';
import { writeInboundDeletions, writeInboundPage } from './inbound-page';

/** API calls a page read is counted as against the budget (its own query; lookups are few and cached). */
const INBOUND_CALLS_PER_PAGE = 1;
/** Deleted IDs per transaction when a connector reports deletions apart from its pages. */
const DELETIONS_PER_PAGE = 500;

export interface InboundRunDeps {
  pool: Pool;
  session: SessionSource;
  /** Records per page (one API call each); the CRM's maximum unless a deployment wants less. */
  pageSize?: number;
}

interface PagesHeartbeat {
  cursor: SyncCursor;
  pageNo: number;
  stats: RunStats;
}

export function createInboundRunActivities(deps: InboundRunDeps) {

  return {
    /**
     * Parked records whose parent account is matched now (T26) and rejected records (T28), fetched again by
     * ID and processed like any page. Page numbers from `pageNo` on; the job's cursor does not move.
     */
    retryParkedAndRejected: (input: Omit<PagesInput, 'cursor' | 'maxPages'>): Promise<{ pageNo: number; stats: RunStats }> => heartbeating(async () => {
      const job = await getJobForRun(deps.pool, input.jobId, input.jobVersion);
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
      const session = await deps.session(job.connectionId);
      const spec = inboundReadSpec(job.config);
      for (let i = 0; i < ids.length; i += session.limits.idsPerRead) {
        const chunk = ids.slice(i, i + session.limits.idsPerRead);
        const records = await session.readByIds(spec, chunk);
        const returned = new Set(records.map((r) => r.id));
        const gone = chunk.filter((id) => !returned.has(id));
        // No longer returned (filtered out, or purged from the recycle bin): nothing to wait or retry for.
        await forgetKept(deps.pool, job.jobId, gone);
        const outcome = await writeInboundPage(deps.pool, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: false }, records, START_CURSOR);
        stats = addStats(stats, outcome.stats);
        pageNo++;
        Context.current().heartbeat({ pageNo });
      }
      return { pageNo, stats };
    }),

    /**
     * After the last page: the deletions the connector reports apart from its pages (HubSpot's archived
     * records; Salesforce's come in the pages, so it reports none and makes no call), since the last check minus
     * the connector's look-back, or all of them in a full run (T19, T25).
     */
    syncInboundDeletions: (input: Omit<PagesInput, 'cursor' | 'maxPages'>): Promise<{ pageNo: number; stats: RunStats }> => heartbeating(async () => {
      const job = await getJobForRun(deps.pool, input.jobId, input.jobVersion);
      const session = await deps.session(job.connectionId);
      const { rows } = await deps.pool.query<{ mode: string; checked: string | null }>(
        `SELECT r.mode, c.deletions_checked_at AS checked FROM job_runs r LEFT JOIN sync_cursors c ON c.job_id = r.job_id WHERE r.id = $1`,
        [input.runId],
      );
      const last = rows[0]?.mode === 'incremental' ? rows[0]?.checked : null;
      const since = last ? new Date(Date.parse(last) - session.limits.stampLookbackMs).toISOString() : null;
      const checkedAt = new Date().toISOString();
      const ids = await session.readDeletions(inboundReadSpec(job.config), since);
      let stats = emptyStats();
      let pageNo = input.pageNo;
      for (let i = 0; i === 0 || i < ids.length; i += DELETIONS_PER_PAGE) {
        const chunk = ids.slice(i, i + DELETIONS_PER_PAGE);
        const lastChunk = i + DELETIONS_PER_PAGE >= ids.length;
        const written = await writeInboundDeletions(deps.pool, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats) }, chunk, lastChunk ? checkedAt : null);
        stats = addStats(stats, written);
        pageNo++;
        Context.current().heartbeat({ pageNo });
      }
      return { pageNo, stats };
    }),

    /**
     * Pages through the CRM from the cursor, `maxPages` pages and the one read ahead during the last of them,
     * heartbeating after each.
     */
    async syncInboundPages(input: PagesInput): Promise<PagesResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as PagesHeartbeat | undefined;
      let { cursor, pageNo } = resumed ?? input;
      let stats = resumed?.stats ?? emptyStats();
      const lastPage = input.pageNo + input.maxPages;
      const job = await getJobForRun(deps.pool, input.jobId, input.jobVersion);
      const session = await deps.session(job.connectionId);
      const spec = inboundReadSpec(job.config);
      const pageSize = Math.min(deps.pageSize ?? session.limits.pageSize, session.limits.pageSize);
      const budget = budgetGate(deps.pool, job.connectionId, session);
      const read = async (from: SyncCursor) => {
        const page = await session.readPage(spec, from, { pageSize, includeDeleted: true });
        await budget.afterCalls();
        return page;
      };
      // Only an earlier attempt can have committed pages (heartbeats are throttled, so the last one sent may
      // lag behind): look them up until the first page that is not there, then stop looking.
      let mayBeCommitted = resumed !== undefined || ctx.info.attempt > 1;
      let prefetched: Promise<CrmPage> | undefined;
      /** A wait the gate answered when the next page was to be read ahead. */
      let budgetWait: BudgetWait | undefined;
      // Within the page budget, and then for the page read ahead while the budget's last page was written.
      while (pageNo < lastPage || prefetched) {
        ctx.heartbeat({ cursor, pageNo, stats } satisfies PagesHeartbeat);
        let outcome: { stats: RunStats; nextCursor: SyncCursor; done: boolean } | undefined;
        if (mayBeCommitted) {
          // A committed page does not say whether it was the last: the next read (empty then) does.
          const committed = await committedPage(deps.pool, input.runId, pageNo);
          if (committed) outcome = { ...committed, done: false };
          else mayBeCommitted = false;
        }
        if (!outcome) {
          if (!prefetched) {
            // P6: a page is read only while the connection's API budget is above the write-back reserve.
            const wait = budgetWait ?? (await budget.beforeCalls(INBOUND_CALLS_PER_PAGE));
            if (wait) return { cursor, pageNo, done: false, stats, wait };
          }
          let page: CrmPage;
          try {
            page = await (prefetched ?? read(cursor));
          } catch (err) {
            // A 429 with Retry-After (past what the client waits itself): the run pauses on a timer, not a retry.
            const paused = await budget.pausedBy(err);
            if (paused) return { cursor, pageNo, done: false, stats, wait: paused };
            throw err;
          } finally {
            prefetched = undefined;
          }
          if (page.records.length === 0) return { cursor, pageNo, done: true, stats };
          // The next page's query depends only on this page's cursor: read it while this page is written.
          // After the budget's last page this read-ahead is written by this call too (every page read is a
          // page written), and when it comes back empty the run ends without another call.
          if (!page.done && pageNo < lastPage && !(budgetWait = await budget.beforeCalls(INBOUND_CALLS_PER_PAGE))) {
            prefetched = read(page.next);
            prefetched.catch(() => undefined); // surfaces when awaited on the next page
          }
          const written = await writeInboundPage(deps.pool, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: true }, page.records, page.next);
          outcome = { ...written, done: page.done };
        }
        stats = addStats(stats, outcome.stats);
        cursor = outcome.nextCursor;
        pageNo++;
        ctx.heartbeat({ cursor, pageNo, stats } satisfies PagesHeartbeat);
        if (outcome.done) return { cursor, pageNo, done: true, stats };
      }
      return { cursor, pageNo, done: false, stats };
    },
  };
}
