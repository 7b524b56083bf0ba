/**
 * The activities of an outbound run (T3, T5, T6, T19, T28; P1): hub records go to the CRM inside the
 * activity; only cursors and counters come back. Like the inbound pages, the page loop heartbeats after
 * every committed page and a retried attempt resumes from the last heartbeat, or from the pages the store
 * says are committed, so a worker killed mid-run loses and duplicates nothing.
 */
import { Context } from '@temporalio/activity';
import type { SyncCursor } from '../../kernel/cursors';
import { START_CURSOR } from '../../kernel/cursors';
import type { PagesInput, PagesResult } from '../../kernel/runs';
import { HubsyncError } from '../../kernel/errors';
import { addStats, emptyStats, type RunStats } from '../../kernel/stats';
import type { SessionSource } from '../sessions';
import { getJobForRun } from '../hub/jobs';
import { forgetKept, keepRejected, type KeptRecord } from '../hub/outcomes';
import { committedPage, recordPage } from '../hub/runs';
import { withTransaction, type Pool } from '../hub/store';
import { ENTITY_TABLE, linkedTombstones, readOutboundRecords } from '../hub/sync-lookups';
import { DEFAULT_UPDATE_WINDOW_DAYS, type JobConfig } from '../mapping/job-config';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';
import { budgetGate } from './budget-gate';
import { EmailLookupCache, OUTBOUND_PAGE_SIZE, settlePendingStamps, syncOutboundPage, type OutboundEntity, type OutboundJob } from './outbound-page';

export interface OutboundRunDeps {
  pool: Pool;
  session: SessionSource;
  /** Hub records per page; at most the CRM's write batch (one collection call per operation). */
  pageSize?: number;
}

interface PagesHeartbeat {
  cursor: SyncCursor;
  pageNo: number;
  stats: RunStats;
}

type StepInput = Omit<PagesInput, 'cursor' | 'maxPages'>;

/** The oldest hub change an outbound run of `config` considers (T15). */
export function windowStart(config: JobConfig, now: Date): string {
  return new Date(now.getTime() - (config.updateWindowDays ?? DEFAULT_UPDATE_WINDOW_DAYS) * 86_400_000).toISOString();
}

/** API calls a page is counted as against the budget: the read of the linked records and the write. */
const OUTBOUND_CALLS_PER_PAGE = 2;
/** CRM errors that mean a record to delete is gone already: the deletion has happened. */
const ALREADY_GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'NOT_FOUND']);

export function createOutboundRunActivities(deps: OutboundRunDeps) {
  const lookups = new EmailLookupCache();
  const open = async (input: { jobId: string; jobVersion: number }) => {
    const job = await getJobForRun(deps.pool, input.jobId, input.jobVersion);
    const session = await deps.session(job.connectionId);
    const outbound: OutboundJob = { jobId: job.jobId, connectionId: job.connectionId, config: job.config };
    return { job: outbound, session, entity: JOB_KIND_INFO[job.config.kind].entity as OutboundEntity, pageDeps: { pool: deps.pool, session, lookups } };
  };

  return {
    /**
     * Rejected records (T28) and records parked for want of a CRM parent whose account is matched now (T11),
     * read again by ID and synced like any page. Page numbers from `pageNo` on; the job's cursor does not move.
     */
    async retryOutboundRejected(input: Omit<PagesInput, 'maxPages'>): Promise<{ pageNo: number; stats: RunStats }> {
      const { job, entity, pageDeps } = await open(input);
      const table = ENTITY_TABLE[entity];
      const { rows } = await deps.pool.query<{ source_id: string }>(
        `SELECT source_id FROM rejected_records WHERE job_id = $1
            AND source_id NOT IN (SELECT hub_id::text FROM hub_tombstones WHERE hub_type = $4)
         UNION
         SELECT p.source_id FROM parked_records p
           JOIN ${table} t ON t.id::text = p.source_id
           JOIN record_links l ON l.connection_id = $2 AND l.crm_object = $3 AND l.hub_type = 'account' AND l.hub_id = t.account_id
          WHERE p.job_id = $1
         ORDER BY 1`,
        [job.jobId, job.connectionId, job.config.parentObject ?? 'Account', entity],
      );
      const ids = rows.map((r) => Number(r.source_id));
      let stats = emptyStats();
      let pageNo = input.pageNo;
      const pageSize = OUTBOUND_PAGE_SIZE;
      for (let i = 0; i < ids.length; i += pageSize) {
        const chunk = ids.slice(i, i + pageSize);
        const all = await readOutboundRecords(deps.pool, entity, job.config.hubFilter, { order: 'keyset', ids: chunk, limit: chunk.length });
        const returned = new Set(all.map((r) => r.id));
        // Those changed since the cursor come again with the pages (once in the run's statistics).
        const records = all.filter((r) => !input.cursor.modifiedAt || Date.parse(r.updatedAt) < Date.parse(input.cursor.modifiedAt));
        // Deleted in the hub, or no longer matching the job's filter: nothing to retry.
        const gone = chunk.filter((id) => !returned.has(id)).map(String);
        await forgetKept(deps.pool, job.jobId, gone);
        const outcome = await syncOutboundPage(pageDeps, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: false, now: new Date() }, records, START_CURSOR);
        stats = addStats(stats, outcome.stats);
        pageNo++;
        Context.current().heartbeat({ pageNo });
      }
      return { pageNo, stats };
    },

    /** Pages through the hub from the cursor, `maxPages` pages, heartbeating after each. */
    async syncOutboundPages(input: PagesInput): Promise<PagesResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as PagesHeartbeat | undefined;
      let { cursor, pageNo } = resumed ?? input;
      let stats = resumed?.stats ?? emptyStats();
      const lastPage = input.pageNo + input.maxPages;
      const { job, entity, session, pageDeps } = await open(input);
      const pageSize = Math.min(deps.pageSize ?? OUTBOUND_PAGE_SIZE, session.limits.writeBatchSize);
      let mayBeCommitted = resumed !== undefined || ctx.info.attempt > 1;
      const budget = budgetGate(deps.pool, job.connectionId, session);
      const firstPage = pageNo;
      while (pageNo < lastPage) {
        ctx.heartbeat({ cursor, pageNo, stats } satisfies PagesHeartbeat);
        let outcome: { stats: RunStats; nextCursor: SyncCursor; size: number } | undefined;
        if (mayBeCommitted) {
          const committed = await committedPage(deps.pool, input.runId, pageNo);
          // Its size is not stored: go on as after a full page (the next read finds out whether more follow).
          if (committed) outcome = { ...committed, size: pageSize };
          else mayBeCommitted = false;
        }
        if (!outcome) {
          const now = new Date();
          const records = await readOutboundRecords(deps.pool, entity, job.config.hubFilter, { order: 'keyset', after: cursor, updatedSince: windowStart(job.config, now), limit: pageSize });
          if (records.length === 0) return { cursor, pageNo, done: true, stats };
          // P6: a page is sent only while the connection's API budget is above the write-back reserve.
          const wait = await budget.beforeCalls(OUTBOUND_CALLS_PER_PAGE);
          if (wait) return { cursor, pageNo, done: false, stats, wait };
          let written: Awaited<ReturnType<typeof syncOutboundPage>>;
          try {
            written = await syncOutboundPage(pageDeps, job, { runId: input.runId, pageNo, statsBefore: addStats(input.statsBefore, stats), advanceCursor: true, now }, records, cursor);
          } catch (err) {
            // A 429 with Retry-After: the run pauses on a timer and sends the page again after it, as a retried activity would.
            const paused = await budget.pausedBy(err);
            if (paused) return { cursor, pageNo, done: false, stats, wait: paused };
            // A transient CRM failure after this call got pages through: the call ends with them and the
            // workflow's next call sends this page again, its retries starting afresh. Thrown instead, it
            // would be one more failed attempt of a call covering up to 25 pages: Temporal's backoff grows
            // with each (to a minute), however many pages went through between, and 20 fail the run.
            if (pageNo > firstPage && err instanceof HubsyncError && (err.kind === 'transient' || err.kind === 'rate-limit') && !(await committedPage(deps.pool, input.runId, pageNo).catch(() => true))) {
              return { cursor, pageNo, done: false, stats };
            }
            throw err;
          }
          await budget.afterCalls();
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

    /**
     * After the last page, in every run: hub deletions reach the CRM (T19): each tombstone of a record this
     * connection's object is linked to deletes the CRM record (200 a call) and then the link, page by page;
     * a refused deletion is kept as rejected and tried again by the next run (T28). Then the CRM stamps of
     * the run's last writes are read back (T29).
     */
    async finishOutboundRun(input: StepInput): Promise<{ pageNo: number; stats: RunStats }> {
      const ctx = Context.current();
      const { job, entity, session } = await open(input);
      let stats = emptyStats();
      let pageNo = input.pageNo;
      const refused: string[] = [];
      for (;;) {
        ctx.heartbeat({ pageNo });
        const committed = await committedPage(deps.pool, input.runId, pageNo);
        if (committed) {
          stats = addStats(stats, committed.stats);
          pageNo++;
          continue;
        }
        const rows = await linkedTombstones(deps.pool, entity, job.connectionId, job.config.crmObject, { except: refused, limit: session.limits.writeBatchSize });
        if (rows.length === 0) break;
        const results = await session.writeBatch(job.config.crmObject, 'delete', rows.map((r) => ({ id: r.crmId, fields: {} })));
        const page = emptyStats();
        page.pages = 1;
        const deleted: string[] = [];
        const rejected: KeptRecord[] = [];
        rows.forEach((row, i) => {
          const result = results[i]!;
          if (result.ok || result.errors.some((e) => ALREADY_GONE.has(e.code))) deleted.push(row.crmId);
          else {
            refused.push(row.crmId);
            const code = result.errors[0]?.code ?? 'UNKNOWN';
            rejected.push({ sourceId: String(row.hubId), code, reason: `deleting ${job.config.crmObject} ${row.crmId}: ${result.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}` });
            page.rejected[code] = (page.rejected[code] ?? 0) + 1;
          }
        });
        page.deleted = deleted.length;
        await withTransaction(deps.pool, async (client) => {
          if (deleted.length) await client.query('DELETE FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND crm_id = ANY($3)', [job.connectionId, job.config.crmObject, deleted]);
          await forgetKept(client, job.jobId, rows.filter((r) => deleted.includes(r.crmId)).map((r) => String(r.hubId)), { rejected: true });
          await keepRejected(client, job.jobId, input.runId, rejected);
          await recordPage(client, input.runId, { job, pageNo, nextCursor: START_CURSOR, stats: page, runStats: addStats(addStats(input.statsBefore, stats), page) });
        });
        stats = addStats(stats, page);
        pageNo++;
      }
      // Tombstones no connection links to any more have done their work.
      await deps.pool.query(
        `DELETE FROM hub_tombstones z WHERE z.hub_type = $1 AND NOT EXISTS (SELECT 1 FROM record_links l WHERE l.hub_type = z.hub_type AND l.hub_id = z.hub_id)`,
        [entity],
      );
      await settlePendingStamps(deps.pool, session, job);
      return { pageNo, stats };
    },
  };
}
