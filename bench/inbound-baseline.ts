/**
 * Child process of bench/inbound.ts: the baseline, an inbound run without Temporal. The same page functions
 * the syncInboundPages activity calls (activities/jobs/inbound-page.ts), in one plain loop: fetch the page
 * after the cursor (the connector's readPage: queryAll, 2,000 records), write it (map, match parents, batched upsert in one
 * transaction, cursor), until a page has fewer than 2,000 records. No run record, no page journal, no
 * heartbeats, no workflow.
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
import { writeInboundPage } from '../activities/jobs/inbound-page';
import type { InboundJob } from '../activities/jobs/page-plan';
import { inboundReadSpec } from '../activities/mapping/engine';
import { addStats, emptyStats } from '../kernel/stats';
import { START_CURSOR } from '../kernel/cursors';
import type { BaselineCommand, BaselineDone, BaselineMessage } from './inbound-ipc';

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

  const run = async (jobId: string): Promise<BaselineDone> => {
    const started = performance.now();
    const record = await getJob(pool, jobId);
    const job: InboundJob = { jobId, connectionId: record.connectionId, config: record.config };
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
        send(await run(m.jobId));
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
