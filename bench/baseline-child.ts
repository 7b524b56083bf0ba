/**
 * What the baseline processes (bench/inbound-baseline.ts, bench/outbound-baseline.ts) share, their side of
 * BenchChild (bench/processes.ts): the environment they are started with, the hub pool and the Salesforce
 * session opened once at start-up (one token request, before anything is measured, as the worker keeps one
 * session per connection for its lifetime), their command loop (one command at a time, one answer each, an
 * error as `{type: 'error'}`), and the inbound run as a plain loop: the page functions the syncInboundPages
 * activity calls (the connector's readPage, writeInboundPage), page after page, with no run record, page
 * journal, heartbeat or workflow (the inbound baseline's measured run; the outbound baseline's accounts
 * import).
 */
import { getJob } from '../activities/hub/jobs';
import { SecretBox } from '../activities/hub/secrets';
import { createPool, type Pool } from '../activities/hub/store';
import { writeInboundPage } from '../activities/jobs/inbound-page';
import { inboundReadSpec } from '../activities/mapping/engine';
import type { JobConfig } from '../activities/mapping/job-config';
import { openSession } from '../activities/sessions';
import type { CrmSession } from '../activities/crm/connector';
import { START_CURSOR } from '../kernel/cursors';
import { addStats, emptyStats, type RunStats } from '../kernel/stats';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (${process.argv[1] ?? 'a baseline process'} is started by its benchmark)`);
  return value;
}

const errorMessage = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

export interface BaselineDeps {
  pool: Pool;
  session: CrmSession;
}

/** The hub pool (BENCH_DATABASE_URL) and a session of the connection (BENCH_CONNECTION_ID, HUBSYNC_SECRET_KEY). */
export async function openBaseline(applicationName: string): Promise<BaselineDeps> {
  const pool = createPool(env('BENCH_DATABASE_URL'), { applicationName });
  const box = new SecretBox(Buffer.from(env('HUBSYNC_SECRET_KEY'), 'base64'));
  return { pool, session: await openSession(pool, box, env('BENCH_CONNECTION_ID')) };
}

export async function loadJob(pool: Pool, jobId: string): Promise<{ jobId: string; connectionId: string; config: JobConfig }> {
  const record = await getJob(pool, jobId);
  return { jobId, connectionId: record.connectionId, config: record.config };
}

/**
 * Answers the parent's commands, one at a time, until `{cmd: 'exit'}` (then `close`, exit 0) or the parent goes
 * away (exit 1); says `ready` first. `name` prefixes a start-up failure on stderr.
 */
export function serveCommands<Command extends { cmd: string }>(name: string, start: () => Promise<{ answer: (m: Exclude<Command, { cmd: 'exit' }>) => Promise<unknown>; close: () => Promise<void> }>): void {
  const send = (message: unknown) => process.send?.(message);
  const serve = async () => {
    const { answer, close } = await start();
    let busy = Promise.resolve();
    process.on('message', (m: Command) => {
      busy = busy.then(async () => {
        if (m.cmd === 'exit') {
          await close();
          process.exit(0);
        }
        try {
          send(await answer(m as Exclude<Command, { cmd: 'exit' }>));
        } catch (err) {
          send({ type: 'error', message: errorMessage(err) });
        }
      });
    });
    // The parent went away: nothing left to measure for.
    process.on('disconnect', () => process.exit(1));
    send({ type: 'ready' });
  };
  serve().catch((err: unknown) => {
    send({ type: 'error', message: errorMessage(err) });
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    process.exit(1);
  });
}

export interface InboundLoopResult {
  stats: RunStats;
  /** Page fetches (API calls), the empty last one included. */
  fetches: number;
  /** Summed time in readPage (HTTP round trip + JSON) and in writeInboundPage (map, match, transaction). */
  fetchMs: number;
  writeMs: number;
}

/**
 * An inbound run without Temporal: fetch the page after the cursor (queryAll, 2,000 records), write it (map,
 * match parents, batched upsert in one transaction, cursor), until a page has fewer than 2,000 records.
 */
export async function runInboundLoop({ pool, session }: BaselineDeps, jobId: string): Promise<InboundLoopResult> {
  const job = await loadJob(pool, jobId);
  const pageSize = session.limits.pageSize;
  let cursor = START_CURSOR;
  let stats = emptyStats();
  let fetches = 0;
  let fetchMs = 0;
  let writeMs = 0;
  for (let pageNo = 0; ; pageNo++) {
    const t0 = performance.now();
    const { records, next, done } = await session.readPage(inboundReadSpec(job.config), cursor, { pageSize, includeDeleted: true });
    const t1 = performance.now();
    fetches++;
    fetchMs += t1 - t0;
    if (records.length === 0) break;
    const outcome = await writeInboundPage(pool, job, { runId: null, pageNo, statsBefore: emptyStats(), advanceCursor: true }, records, next);
    writeMs += performance.now() - t1;
    stats = addStats(stats, outcome.stats);
    cursor = outcome.nextCursor;
    if (done) break;
  }
  return { stats, fetches, fetchMs, writeMs };
}
