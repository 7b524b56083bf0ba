/**
 * Child process of bench/outbound.ts: the baseline, an outbound run without Temporal. The same functions the
 * syncOutboundPages and finishOutboundRun activities call (activities/jobs/outbound-page.ts), in one plain
 * loop: read the next page of hub records after the cursor (readOutboundRecords, keyset order, the job's
 * window, 200 records), sync it (syncOutboundPage with no run: map, decide, one conflict/stamp read, owners
 * through the same EmailLookupCache, one sObject Collections upsert or create per 200 records, one hub
 * transaction with links, outcomes and the cursor), until a page has fewer than 200 records; then the stamps
 * of the last page's writes read back (settlePendingStamps). No run record, no page journal, no heartbeats, no
 * deletions step (the hub has no tombstones here), no workflow.
 *
 * It also imports the accounts before the measured run (`import`, runInboundLoop), as the worker side does
 * with a run of the accounts-inbound job. It is a process of its own, like the worker, so each side runs on
 * its own event loop and has its own RSS; its environment, session and command loop are
 * bench/baseline-child.ts's.
 */
import { readOutboundRecords } from '../activities/hub/sync-lookups';
import { EmailLookupCache, OUTBOUND_PAGE_SIZE, settlePendingStamps, syncOutboundPage, type OutboundEntity } from '../activities/jobs/outbound-page';
import { windowStart } from '../activities/jobs/outbound-run';
import { START_CURSOR } from '../kernel/cursors';
import { JOB_KIND_INFO } from '../kernel/job-kinds';
import { addStats, emptyStats } from '../kernel/stats';
import { loadJob, openBaseline, runInboundLoop, serveCommands } from './baseline-child';
import type { OutboundCommand, OutboundDone, OutboundMessage } from './outbound-ipc';

serveCommands<OutboundCommand>('bench outbound baseline', async () => {
  const deps = await openBaseline('hubsync-bench-outbound-baseline');
  const { pool, session } = deps;

  const run = async (jobId: string): Promise<OutboundDone> => {
    const started = performance.now();
    const job = await loadJob(pool, jobId);
    const entity = JOB_KIND_INFO[job.config.kind].entity as OutboundEntity;
    // As the activities: a cache of owners by email for the process, pages of at most one collection call.
    const pageDeps = { pool, session, lookups: new EmailLookupCache() };
    const pageSize = Math.min(OUTBOUND_PAGE_SIZE, session.limits.writeBatchSize);
    let cursor = START_CURSOR;
    let stats = emptyStats();
    let pages = 0;
    let readMs = 0;
    let syncMs = 0;
    for (let pageNo = 0; ; pageNo++) {
      const now = new Date();
      const t0 = performance.now();
      const records = await readOutboundRecords(pool, entity, job.config.hubFilter, { order: 'keyset', after: cursor, updatedSince: windowStart(job.config, now), limit: pageSize });
      const t1 = performance.now();
      readMs += t1 - t0;
      if (records.length === 0) break;
      const outcome = await syncOutboundPage(pageDeps, job, { runId: null, pageNo, statsBefore: emptyStats(), advanceCursor: true, now }, records, cursor);
      syncMs += performance.now() - t1;
      pages++;
      stats = addStats(stats, outcome.stats);
      cursor = outcome.nextCursor;
      if (records.length < pageSize) break;
    }
    const t2 = performance.now();
    const settled = await settlePendingStamps(pool, session, job);
    const settleMs = performance.now() - t2;
    return { type: 'done', jobId, ms: performance.now() - started, stats, pages, readMs, syncMs, settleMs, settled };
  };

  const answer = async (m: Exclude<OutboundCommand, { cmd: 'exit' }>): Promise<OutboundMessage> => {
    switch (m.cmd) {
      case 'import':
        return { type: 'imported', jobId: m.jobId, stats: (await runInboundLoop(deps, m.jobId)).stats };
      case 'run':
        return run(m.jobId);
    }
  };
  return { answer, close: () => pool.end() };
});
