/**
 * Child process of bench/inbound.ts: the baseline, an inbound run without Temporal. The same page functions
 * the syncInboundPages activity calls (activities/jobs/inbound-page.ts), in one plain loop (runInboundLoop,
 * bench/baseline-child.ts): fetch the page after the cursor (the connector's readPage: queryAll, 2,000
 * records), write it (map, match parents, batched upsert in one transaction, cursor), until a page has fewer
 * than 2,000 records. No run record, no page journal, no heartbeats, no workflow.
 *
 * The same process measures the two floors (inbound-ipc.ts): `page` is the loop's reads alone (nothing
 * written), and `load` then `write` are its writes alone (every page read into memory first, unmeasured, then
 * only the writeInboundPage calls; bench/inbound.ts starts a process of its own on a third database for that).
 *
 * It is a process of its own, like the worker, so each side runs on its own event loop and has its own RSS;
 * its environment, session and command loop are bench/baseline-child.ts's.
 */
import { writeInboundPage } from '../activities/jobs/inbound-page';
import type { InboundJob } from '../activities/jobs/page-plan';
import { inboundReadSpec } from '../activities/mapping/engine';
import { addStats, emptyStats } from '../kernel/stats';
import { START_CURSOR, type SyncCursor } from '../kernel/cursors';
import type { CrmRecord } from '../activities/crm/connector';
import { loadJob, openBaseline, runInboundLoop, serveCommands } from './baseline-child';
import type { BaselineCommand, BaselineDone, BaselineLoaded, BaselineMessage, BaselinePaged, BaselineWritten } from './inbound-ipc';

serveCommands<BaselineCommand>('bench baseline', async () => {
  const deps = await openBaseline('hubsync-bench-baseline');
  const { pool, session } = deps;
  const pageSize = session.limits.pageSize;

  const run = async (jobId: string): Promise<BaselineDone> => {
    const started = performance.now();
    const loop = await runInboundLoop(deps, jobId);
    return { type: 'done', jobId, ms: performance.now() - started, ...loop };
  };

  /** The job's pages as `run` reads them, each with the cursor after it (the empty last one too). */
  async function* pagesOf(job: InboundJob): AsyncGenerator<{ records: CrmRecord[]; next: SyncCursor }> {
    const spec = inboundReadSpec(job.config);
    for (let cursor = START_CURSOR; ; ) {
      const page = await session.readPage(spec, cursor, { pageSize, includeDeleted: true });
      yield { records: page.records, next: page.next };
      if (page.done) return;
      cursor = page.next;
    }
  }

  /** The paging floor: the same reads as `run`, page after page, nothing written or kept. */
  const page = async (jobId: string): Promise<BaselinePaged> => {
    const started = performance.now();
    let records = 0;
    let fetches = 0;
    for await (const batch of pagesOf(await loadJob(pool, jobId))) {
      fetches++;
      records += batch.records.length;
    }
    return { type: 'paged', jobId, ms: performance.now() - started, records, fetches };
  };

  /** Pages held for `write`: each with the cursor after it, as writeInboundPage takes it. */
  let loaded: { job: InboundJob; pages: Array<{ records: CrmRecord[]; next: SyncCursor } | undefined> } | undefined;

  const load = async (jobId: string): Promise<BaselineLoaded> => {
    const started = performance.now();
    const job = await loadJob(pool, jobId);
    const pages: Array<{ records: CrmRecord[]; next: SyncCursor }> = [];
    let records = 0;
    for await (const batch of pagesOf(job)) {
      if (batch.records.length > 0) pages.push(batch);
      records += batch.records.length;
    }
    loaded = { job, pages };
    return { type: 'loaded', jobId, ms: performance.now() - started, records, pages: pages.length };
  };

  /** The hub write floor: the loaded pages written in order, as `run` writes them; each dropped once written. */
  const write = async (): Promise<BaselineWritten> => {
    if (!loaded) throw new Error("'write' before 'load'");
    const { job, pages } = loaded;
    loaded = undefined;
    const started = performance.now();
    let stats = emptyStats();
    for (let pageNo = 0; pageNo < pages.length; pageNo++) {
      const held = pages[pageNo];
      if (!held) continue;
      pages[pageNo] = undefined;
      const outcome = await writeInboundPage(pool, job, { runId: null, pageNo, statsBefore: emptyStats(), advanceCursor: true }, held.records, held.next);
      stats = addStats(stats, outcome.stats);
    }
    return { type: 'written', jobId: job.jobId, ms: performance.now() - started, stats, pages: pages.length };
  };

  const answer = (m: Exclude<BaselineCommand, { cmd: 'exit' }>): Promise<BaselineMessage> => {
    switch (m.cmd) {
      case 'run':
        return run(m.jobId);
      case 'page':
        return page(m.jobId);
      case 'load':
        return load(m.jobId);
      case 'write':
        return write();
    }
  };
  return { answer, close: () => pool.end() };
});
