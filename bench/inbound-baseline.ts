/**
 * Child process of bench/inbound.ts: the baseline, an inbound run without Temporal. The same page functions
 * the syncInboundPages activity calls (activities/jobs/inbound-page.ts), in one plain loop: fetch the page
 * after the cursor (the connector's readPage: queryAll, 2,000 records), write it (map, match parents, batched upsert in one
 * transaction, cursor), until a page has fewer than 2,000 records. No run record, no page journal, no
 * heartbeats, no workflow.
 *
 * The same process measures the two floors (inbound-ipc.ts): `page` is the loop's reads alone (nothing
 * written), and `load` then `write` are its writes alone (every page read into memory first, unmeasured, then
 * only the writeInboundPage calls; bench/inbound.ts starts a process of its own on a third database for that).
 *
 * It is a process of its own, like the worker, so each side runs on its own event loop and has its own RSS.
 * Environment: BENCH_DATABASE_URL, HUBSYNC_SECRET_KEY (base64), BENCH_CONNECTION_ID. The Salesforce session
 * is opened once at start-up (one token request, before anything is measured), as the worker keeps one
 * session per connection for its lifetime.
 */
import { getJob } from '../activities/hub/jobs';
import { SecretBox } from '../activities/hub/secrets';
import { createPool } from '../activities/hub/store';
import { openSession } from '../activities/sessions';
import { cursorAfter, writeInboundPage } from '../activities/jobs/inbound-page';
import type { InboundJob } from '../activities/jobs/page-plan';
import { inboundReadSpec } from '../activities/mapping/engine';
import { addStats, emptyStats } from '../kernel/stats';
import { START_CURSOR, type SyncCursor } from '../kernel/cursors';
import type { CrmRecord } from '../activities/crm/connector';
import type { BaselineCommand, BaselineDone, BaselineLoaded, BaselineMessage, BaselinePaged, BaselineWritten } from './inbound-ipc';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (bench/inbound-baseline.ts is started by bench/inbound.ts)`);
  return value;
}

const send = (message: BaselineMessage) => process.send?.(message);

async function main(): Promise<void> {
  const pool = createPool(env('BENCH_DATABASE_URL'), { applicationName: 'hubsync-bench-baseline' });
  const box = new SecretBox(Buffer.from(env('HUBSYNC_SECRET_KEY'), 'base64'));
  const session = await openSession(pool, box, env('BENCH_CONNECTION_ID'));
  const pageSize = session.limits.pageSize;

  const loadJob = async (jobId: string): Promise<InboundJob> => {
    const record = await getJob(pool, jobId);
    return { jobId, connectionId: record.connectionId, config: record.config };
  };

  const run = async (jobId: string): Promise<BaselineDone> => {
    const started = performance.now();
    const job = await loadJob(jobId);
    let cursor = START_CURSOR;
    let stats = emptyStats();
    let fetches = 0;
    let fetchMs = 0;
    let writeMs = 0;
    for (let pageNo = 0; ; pageNo++) {
      const t0 = performance.now();
      const records = await session.readPage(inboundReadSpec(job.config), cursor, { pageSize, includeDeleted: true });
      const t1 = performance.now();
      fetches++;
      fetchMs += t1 - t0;
      if (records.length === 0) break;
      const outcome = await writeInboundPage(pool, job, { runId: null, pageNo, statsBefore: emptyStats(), advanceCursor: true }, records, cursor);
      writeMs += performance.now() - t1;
      stats = addStats(stats, outcome.stats);
      cursor = outcome.nextCursor;
      if (records.length < pageSize) break;
    }
    return { type: 'done', jobId, ms: performance.now() - started, stats, fetches, fetchMs, writeMs };
  };

  /** The job's pages as `run` reads them, each with the cursor it was read after (the empty last one too). */
  async function* pagesOf(job: InboundJob): AsyncGenerator<{ records: CrmRecord[]; cursor: SyncCursor }> {
    const spec = inboundReadSpec(job.config);
    for (let cursor = START_CURSOR; ; ) {
      const records = await session.readPage(spec, cursor, { pageSize, includeDeleted: true });
      yield { records, cursor };
      if (records.length < pageSize) return;
      cursor = cursorAfter(records, cursor);
    }
  }

  /** The paging floor: the same reads as `run`, page after page, nothing written or kept. */
  const page = async (jobId: string): Promise<BaselinePaged> => {
    const started = performance.now();
    let records = 0;
    let fetches = 0;
    for await (const batch of pagesOf(await loadJob(jobId))) {
      fetches++;
      records += batch.records.length;
    }
    return { type: 'paged', jobId, ms: performance.now() - started, records, fetches };
  };

  /** Pages held for `write`: each with the cursor it was read after, as writeInboundPage takes it. */
  let loaded: { job: InboundJob; pages: Array<{ records: CrmRecord[]; cursor: SyncCursor } | undefined> } | undefined;

  const load = async (jobId: string): Promise<BaselineLoaded> => {
    const started = performance.now();
    const job = await loadJob(jobId);
    const pages: Array<{ records: CrmRecord[]; cursor: SyncCursor }> = [];
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
      const outcome = await writeInboundPage(pool, job, { runId: null, pageNo, statsBefore: emptyStats(), advanceCursor: true }, held.records, held.cursor);
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

  let busy = Promise.resolve();
  process.on('message', (m: BaselineCommand) => {
    if (m.cmd === 'exit') {
      busy = busy.then(async () => {
        await pool.end();
        process.exit(0);
      });
      return;
    }
    busy = busy.then(async () => {
      try {
        send(await answer(m));
      } catch (err) {
        send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    });
  });
  // The parent went away: nothing left to measure for.
  process.on('disconnect', () => process.exit(1));
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.stderr.write(`bench baseline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
