/**
 * Benchmark of inbound runs at volume: `npm run bench:inbound` (= `npx tsx bench/inbound.ts [--sizes 10000,100000]
 * [--quick] [--calls-per-execution K]`).
 *
 * For each size N it seeds N Tasks and their Accounts (N/100, at least 20) in a Salesforce sandbox and runs the
 * tasks-inbound job two ways, in the same run and in alternating order from one size to the next:
 *
 * - workflow: a real job run (HubsyncClient.startRun → inboundJobWorkflow) on a real `hubsync worker` process, against a
 *   Temporal dev server, the sandbox and PostgreSQL;
 * - baseline: the same work without Temporal, in a process of its own (bench/inbound-baseline.ts): the
 *   page functions the activity calls (the connector's readPage, writeInboundPage) in one plain loop.
 *
 * Then, for the same size, the two floors, each half of the work alone (after both runs, the worker stopped):
 *
 * - paging floor: the sandbox's paging rate, in the baseline process: the same SOQL through jsforce
 *   (`session.readPage(inboundReadSpec(config), cursor, { pageSize, includeDeleted: true })`, page after page
 *   with cursorAfter), nothing written or kept;
 * - hub write floor: the hub's write rate, in another process of the baseline's kind on a third empty
 *   database (created like the other two, its accounts imported first, unmeasured, so parents match): all N
 *   records' pages are read into memory first (not timed), then only the writeInboundPage calls (map, match
 *   parents, batched upsert, links, cursor, one transaction a page) are timed, page after page.
 *
 * No run that reads and writes every record can beat the lower of the two floors; the table prints each
 * side's throughput as a fraction of it, and the rate of both floors in series (1 / (1/paging + 1/write)),
 * the best a loop that overlaps reading and writing in no way can do (the activity reads the next page while
 * it writes the current one; the baseline does not).
 *
 * Fair setup. Both sides page the same sandbox (same records, same Salesforce IDs, same SOQL) through the same
 * connection settings and job configuration, and each writes into an empty hub of its own: databases
 * created for the size on one PostgreSQL server (hub tasks have an external_id unique across the hub, so two
 * runs cannot write the same Salesforce IDs into one database). Separate databases rather than two sandboxes
 * on different pods: the Salesforce side is then identical, not just equivalent, and neither run writes into
 * tables the other has already grown. Each side first runs its own accounts-inbound job (not measured), so
 * parent accounts match. The sandbox runs in a child process (bench/inbound-sandbox.ts), so it shares an event
 * loop with neither side; the worker and the baseline are both separate processes, each with one Salesforce
 * session opened before the measured run (the worker caches sessions per connection), and each measured run
 * (and the write floor) starts after a CHECKPOINT.
 *
 * Reported per size: records/s of both and their ratio, their fraction of the lower floor, CPU time per
 * record (from /proc: the worker or baseline process, and the sandbox's), data API calls during the measured
 * run (from the sandbox's request log, `/services/data/` only; OAuth token requests apart) against the minimum
 * ceil(N/2000), with what each call beyond it was, the executions of the run's continue-as-new chain and the
 * longest history, and the peak RSS of the worker (and of the baseline process) sampled from /proc every
 * 100 ms during the measured run; then both floors (records/s, wall clock, CPU per record). Then PASS/MISS per
 * target: the issue's "no regression" (workflow ≥ 1.0 × the plain loop, data API calls ≤ ceil(N/2000) + 4),
 * history bounded, worker RSS flat in N. Timing never fails the run: the exit code is 1 only if a run (or a
 * floor) did not read and write exactly N tasks or the benchmark itself failed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import { addConnection } from '../activities/hub/connections';
import { SecretBox } from '../activities/hub/secrets';
import { createPool, migrate, type Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { SALESFORCE_LIMITS } from '../activities/crm/salesforce/session';
import { configFromTemplate } from '../activities/mapping/job-config';
import { HubsyncClient, type JobRunHandle } from '../client/hubsync-client';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import { type JobRunResult } from '../kernel/runs';
import { type RunStats } from '../kernel/stats';
import { CALLS_PER_EXECUTION, PAGES_PER_ACTIVITY } from '../workflows/job-run';
import { clearProxyVariables, loadEnv } from '../kernel/env';
import { stopChild } from '../local/processes';
import { freePort } from '../local/ports';
import { startThrowawayPostgres, type PostgresEndpoint } from '../local/postgres';
import { startDevServer } from '../local/temporal-server';
import type { TemporalEndpoint } from '../workers/temporal';
import type { BaselineCommand, BaselineDone, BaselineLoaded, BaselineMessage, BaselinePaged, BaselineWritten } from './inbound-ipc';
import { Cleanup, askToExit, errorText, nextMessage, startSandboxProcess, track, WorkerProcess, type Sandbox } from './processes';

// ---------------------------------------------------------------------------------------------- targets

/** Workflow throughput relative to the baseline: the issue's "no regression" (at least the plain loop's rate). */
const TARGET_RATIO = 1.0;
/**
 * Data API calls a run may make above ceil(N/2000), whatever N: 4, as the request log shows (the table lists
 * them per size): the validation of the job when the run begins makes 2 describes, Task and Group (Owner.Email
 * resolves through Task.Owner, whose first target, Group, has an Email field); the parent object Account was
 * described by the accounts import on the same worker session, which caches describes (on a fresh worker the
 * tasks run would make a third); one COUNT() for progress; and one empty last page when N is a multiple of
 * 2,000 (every size the benchmark runs by default).
 */
const API_CALL_SLACK = 4;
/**
 * The longest history one execution can have: the start (execution started + a workflow task), beginRun,
 * countRunSource, retryParkedAndRejected (incremental runs), CALLS_PER_EXECUTION syncInboundPages calls and
 * finishRun (each an activity's scheduled, started and completed events plus the workflow task that follows:
 * 6), and the closing event. Continue-as-new keeps every execution under it, whatever N.
 */
const historyBound = (calls: number) => 4 + 6 * (calls + 4) + 1;
/**
 * Worker peak RSS at the largest size may exceed the peak at the smallest by at most this fraction. A short
 * run can end before V8's heap has grown to its steady size (a 10,000-record run lasts about a second), so
 * the table also prints the peak per fifth of each run; a larger size (`--sizes 10000,100000,300000`) shows
 * whether the peak levels off or keeps growing with N.
 */
const RSS_GROWTH_TOLERANCE = 0.2;

/** Salesforce's page size: one page is one API call. */
const PAGE_SIZE = SALESFORCE_LIMITS.pageSize;

const CONNECTION_ID = 'bench-sfdc';
const ACCOUNTS_JOB = 'bench-accounts-inbound';
const TASKS_JOB = 'bench-tasks-inbound';

// ---------------------------------------------------------------------------------------------- helpers

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const rate = (records: number, ms: number) => (records / ms) * 1000;
const signed = (n: number) => (n >= 0 ? `+${int(n)}` : int(n));
const perPage = (ms: number, pages: number) => (pages ? `${(ms / pages).toFixed(0)} ms` : '-');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
/** CPU time per record, in µs (the /proc clock ticks every 10 ms). */
const usPerRecord = (cpuMs: number, records: number) => `${((cpuMs * 1000) / records).toFixed(0)} µs`;
const log = (line: string) => process.stderr.write(`[bench:inbound] ${line}\n`);

interface Options {
  sizes: number[];
  callsPerExecution: number | undefined;
}

function parseArgs(argv: string[]): Options {
  let sizes = [10_000, 100_000];
  let callsPerExecution: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') sizes = [2_000];
    else if (arg === '--sizes') {
      sizes = (argv[++i] ?? '').split(',').map((s) => Number(s.trim()));
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes: expected positive integers separated by commas, e.g. 10000,100000');
    } else if (arg === '--calls-per-execution') {
      callsPerExecution = Number(argv[++i]);
      if (!Number.isInteger(callsPerExecution) || callsPerExecution <= 0) throw new Error('--calls-per-execution: expected a positive integer');
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'npx tsx bench/inbound.ts [--sizes 10000,100000] [--quick] [--calls-per-execution K]\n' +
          '  --sizes                tasks to seed and sync, one measured pair of runs per size (default 10000,100000)\n' +
          '  --quick                one 2,000-task smoke run\n' +
          `  --calls-per-execution  start the workflow with this many activity calls per execution (default: the product's ${CALLS_PER_EXECUTION}, through startJobRun), to exercise continue-as-new\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${String(arg)} (see --help)`);
  }
  return { sizes, callsPerExecution };
}

/** Resident set size of a process, from /proc (Linux). */
function readProcStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (100 clock ticks a second). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time used between start and stop by the measured process and by the sandbox. */
function cpuMeter(pid: number, sandboxPid: number): () => { self: number; sandbox: number } {
  const self = cpuMs(pid);
  const sandbox = cpuMs(sandboxPid);
  return () => ({ self: cpuMs(pid) - self, sandbox: cpuMs(sandboxPid) - sandbox });
}

interface RssSample {
  start: number;
  peak: number;
  end: number;
  /** VmHWM: the process's lifetime peak, start-up (workflow bundling) included. */
  lifetimePeak: number;
  samples: number;
  /** Peak RSS in each fifth of the run's duration: flat at the end when memory does not grow with the records. */
  byFifth: number[];
}

/** Samples a process's RSS every 100 ms until stopped; the peak is what the run needed. */
class RssSampler {
  private readonly started = performance.now();
  private readonly series: Array<{ at: number; rss: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const rss = readProcStatus(this.pid)?.rss;
    if (rss !== undefined) this.series.push({ at: performance.now() - this.started, rss });
  }

  stop(): RssSample {
    clearInterval(this.timer);
    this.sample();
    const duration = Math.max(1, performance.now() - this.started);
    const byFifth = [0, 0, 0, 0, 0];
    for (const { at, rss } of this.series) {
      const i = Math.min(4, Math.floor((at / duration) * 5));
      byFifth[i] = Math.max(byFifth[i] ?? 0, rss);
    }
    return {
      start: this.series[0]?.rss ?? 0,
      peak: Math.max(0, ...this.series.map((s) => s.rss)),
      end: this.series[this.series.length - 1]?.rss ?? 0,
      lifetimePeak: readProcStatus(this.pid)?.hwm ?? 0,
      samples: this.series.length,
      byFifth,
    };
  }
}

// ---------------------------------------------------------------------------------------------- the stack

/** The baseline process (bench/inbound-baseline.ts). */
class BaselineProcess {
  readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv, nodeOptions: string[] = []) {
    this.child = track(
      fork(path.join(__dirname, 'inbound-baseline.ts'), [], {
        execArgv: [...nodeOptions, '--require', 'tsx/cjs'],
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the baseline process did not start');
    return this.child.pid;
  }

  private async answer<T extends BaselineMessage['type']>(type: T): Promise<Extract<BaselineMessage, { type: T }>> {
    const m = await nextMessage<BaselineMessage>(this.child, 'the baseline process');
    if (m.type === 'error') throw new Error(`baseline: ${m.message}`);
    if (m.type !== type) throw new Error(`baseline: expected '${type}', got '${m.type}'`);
    return m as Extract<BaselineMessage, { type: T }>;
  }

  async ready(): Promise<void> {
    await this.answer('ready');
  }

  private async request<T extends BaselineMessage['type']>(command: BaselineCommand, type: T): Promise<Extract<BaselineMessage, { type: T }>> {
    const answer = this.answer(type);
    this.child.send(command);
    return answer;
  }

  /** Pages the job through and writes it: the baseline (and the accounts imports). */
  run(jobId: string): Promise<BaselineDone> {
    return this.request({ cmd: 'run', jobId }, 'done');
  }

  /** The paging floor: the same reads, nothing written. */
  page(jobId: string): Promise<BaselinePaged> {
    return this.request({ cmd: 'page', jobId }, 'paged');
  }

  /** Reads all the job's pages into the child's memory, for write(). */
  load(jobId: string): Promise<BaselineLoaded> {
    return this.request({ cmd: 'load', jobId }, 'loaded');
  }

  /** The hub write floor: the loaded pages written, nothing read from the CRM. */
  write(): Promise<BaselineWritten> {
    return this.request({ cmd: 'write' }, 'written');
  }

  stop(): Promise<void> {
    return stopChild(this.child, { ask: askToExit, graceMs: 10000 });
  }
}

/** One empty, migrated hub database on the shared server, with the bench connection and both jobs. */
async function createHub(admin: pg.Client, serverUrl: string, name: string, box: SecretBox, sandbox: Sandbox): Promise<{ url: string; pool: Pool }> {
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrate(url);
  const pool = createPool(url, { max: 4, applicationName: 'hubsync-bench' });
  await addConnection(pool, box, { id: CONNECTION_ID, kind: 'salesforce', baseUrl: sandbox.url, ...sandbox.credentials });
  // A `seed: 'none'` org has no custom fields: the accounts job maps the account key, name and owner only.
  const accounts = configFromTemplate('accounts-inbound');
  accounts.mapping = accounts.mapping.filter((r) => ['Id', 'Name', 'Owner.Email'].includes(r.crmField));
  await createValidatedJob(pool, box, { id: ACCOUNTS_JOB, connectionId: CONNECTION_ID, config: accounts });
  await createValidatedJob(pool, box, { id: TASKS_JOB, connectionId: CONNECTION_ID, config: configFromTemplate('tasks-inbound') });
  return { url, pool };
}

// ---------------------------------------------------------------------------------------------- measuring

interface ApiUse {
  /** `/services/data/` requests: what counts as API calls. */
  data: number;
  pages: number;
  count: number;
  describe: number;
  other: number;
  errors: number;
  /** `/services/oauth2/` requests (token, revoke), apart. */
  tokens: number;
  /** Sandbox-side time spent answering the page queries. */
  pageServerMs: number;
  /** The objects described, in request order (what the describes beyond the minimum are). */
  described: string[];
  /** Method and path of the requests counted as `other`. */
  otherPaths: string[];
}

/** A page query of an inbound run: `ORDER BY SystemModstamp, Id LIMIT n` through query/queryAll. */
function isPageQuery(r: LoggedRequest): boolean {
  return /^\/services\/data\/[^/]+\/query(All)?$/.test(r.path) && /ORDER BY SystemModstamp/i.test(new URLSearchParams(r.query).get('q') ?? '');
}

function apiUse(requests: LoggedRequest[]): ApiUse {
  const use: ApiUse = { data: 0, pages: 0, count: 0, describe: 0, other: 0, errors: 0, tokens: 0, pageServerMs: 0, described: [], otherPaths: [] };
  const other = (r: LoggedRequest) => {
    use.other++;
    use.otherPaths.push(`${r.method} ${r.path.replace(/^\/services\/data\/[^/]+/, '')}`);
  };
  for (const r of requests) {
    if (r.path.startsWith('/services/oauth2/')) {
      use.tokens++;
      continue;
    }
    if (!r.path.startsWith('/services/data/')) continue;
    use.data++;
    if (r.status >= 400) use.errors++;
    if (/\/query(All)?$/.test(r.path)) {
      const soql = new URLSearchParams(r.query).get('q') ?? '';
      if (/SELECT\s+COUNT\(\)/i.test(soql)) use.count++;
      else if (isPageQuery(r)) {
        use.pages++;
        use.pageServerMs += r.durationMs;
      } else other(r);
    } else {
      const described = /\/sobjects\/([^/]+)(\/describe)?$/.exec(r.path);
      if (described) {
        use.describe++;
        use.described.push(described[1] ?? '?');
      } else other(r);
    }
  }
  return use;
}

/**
 * Where a page's time goes, the same way on both sides, from two clocks of this machine: when the sandbox
 * received each page query (its request log) and when the page's write transaction began (the created_at of
 * the hub tasks it inserted: now(), the transaction's start). Read = request received → transaction begins
 * (sandbox answer, transfer, JSON, mapping, parent and existing-record look-ups); write = transaction begins →
 * next page query received (upsert, links, outcomes, cursor, commit; on the workflow side also the page
 * journal, heartbeats, and every PAGES_PER_ACTIVITY pages the end of one activity call and the start of the
 * next, which is counted apart as "boundary").
 */
interface PageTimeline {
  pages: number;
  readMs: number;
  serverMs: number;
  writeMs: number;
  writePages: number;
  boundaryMs: number;
  boundaryPages: number;
}

async function pageTimeline(pool: Pool, requests: LoggedRequest[], pagesPerCall: number | undefined): Promise<PageTimeline> {
  const fetches = requests
    .filter(isPageQuery)
    .map((r) => ({ at: Date.parse(r.timestamp), serverMs: r.durationMs }))
    .sort((a, b) => a.at - b.at);
  const { rows } = await pool.query<{ began: string }>('SELECT created_at AS began FROM tasks GROUP BY created_at ORDER BY created_at');
  const t: PageTimeline = { pages: rows.length, readMs: 0, serverMs: 0, writeMs: 0, writePages: 0, boundaryMs: 0, boundaryPages: 0 };
  rows.forEach((row, i) => {
    const began = Date.parse(row.began);
    const fetch = fetches[i];
    if (!fetch) return;
    t.readMs += began - fetch.at;
    t.serverMs += fetch.serverMs;
    const next = fetches[i + 1];
    if (!next) return;
    if (pagesPerCall && (i + 1) % pagesPerCall === 0) {
      t.boundaryMs += next.at - began;
      t.boundaryPages++;
    } else {
      t.writeMs += next.at - began;
      t.writePages++;
    }
  });
  return t;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const eventMs = (e: HistoryEvent) => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

interface ActivityTiming {
  type: string;
  scheduledMs: number;
  startedMs: number | undefined;
  closedMs: number | undefined;
  attempt: number;
}

interface ChainInfo {
  workflowId: string;
  /** Events per execution, in chain order. */
  events: number[];
  /** Executions the visibility store lists for the workflow ID (a cross-check of the walk). */
  listed: number;
  activities: ActivityTiming[];
}

/**
 * Walks the run's continue-as-new chain back from its latest execution (the one that completed): each
 * execution's WorkflowExecutionStarted event names the run it continued from. Reads every execution's events.
 */
async function walkChain(client: Client, workflowId: string): Promise<ChainInfo> {
  const executions: HistoryEvent[][] = [];
  for (let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId; runId; ) {
    const list: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    executions.unshift(list);
    runId = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  const activities: ActivityTiming[] = [];
  for (const list of executions) {
    const byScheduledId = new Map<string, ActivityTiming>();
    for (const e of list) {
      if (e.activityTaskScheduledEventAttributes) {
        const timing: ActivityTiming = { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduledMs: eventMs(e), startedMs: undefined, closedMs: undefined, attempt: 1 };
        byScheduledId.set(String(e.eventId), timing);
        activities.push(timing);
      } else if (e.activityTaskStartedEventAttributes) {
        const timing = byScheduledId.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (timing) {
          timing.startedMs = eventMs(e);
          timing.attempt = e.activityTaskStartedEventAttributes.attempt ?? 1;
        }
      } else {
        const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
        const timing = closed ? byScheduledId.get(String(closed.scheduledEventId)) : undefined;
        if (timing) timing.closedMs = eventMs(e);
      }
    }
  }
  const events = executions.map((list) => list.length);
  // Visibility is eventually consistent: give the listing a moment to catch up with the walk.
  let listed = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    listed = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed++;
    if (listed >= events.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { workflowId, events, listed, activities };
}

interface SideResult {
  ms: number;
  /** CPU time during the run: the worker (or baseline) process, and the sandbox process. */
  cpu: { self: number; sandbox: number };
  timeline: PageTimeline;
  stats: RunStats;
  api: ApiUse;
  rss: RssSample;
  hubTasks: number;
  hubTaskAccounts: number;
}

interface WorkflowSide extends SideResult {
  chain: ChainInfo;
}

interface BaselineSide extends SideResult {
  child: BaselineDone;
}

/** The paging floor: the job's pages read by the baseline process, nothing written. */
interface PagingFloor {
  /** Wall clock seen from here, command sent → answer received, as for the baseline. */
  ms: number;
  records: number;
  fetches: number;
  cpu: { self: number; sandbox: number };
  api: ApiUse;
}

/** The hub write floor: the job's pages, read into memory first, written into a third empty hub. */
interface WriteFloor {
  /** Wall clock of the writes only, command sent → answer received. */
  ms: number;
  stats: RunStats;
  pages: number;
  cpu: { self: number; sandbox: number };
  /** Data API calls during the writes: 0, nothing is read from the CRM. */
  apiCalls: number;
  /** Reading the pages into memory (not part of the floor) and the RSS of the process holding them. */
  load: BaselineLoaded;
  loadedRss: number;
  hubTasks: number;
  hubTaskAccounts: number;
}

interface SizeResult {
  n: number;
  accounts: number;
  seedMs: number;
  order: Array<'workflow' | 'baseline'>;
  workflow: WorkflowSide;
  baseline: BaselineSide;
  floors: { paging: PagingFloor; write: WriteFloor };
  callsPerExecution: number;
}

async function hubCounts(pool: Pool): Promise<{ tasks: number; accounts: number }> {
  const { rows } = await pool.query<{ tasks: number; accounts: number }>('SELECT count(*)::int AS tasks, count(DISTINCT account_id)::int AS accounts FROM tasks');
  return rows[0] ?? { tasks: 0, accounts: 0 };
}

async function requestLog(sandbox: Sandbox): Promise<LoggedRequest[]> {
  return (await sandbox.admin<{ requests: LoggedRequest[] }>('GET', '/__admin/requests')).requests;
}

interface Ctx {
  opts: Options;
  cleanup: Cleanup;
  sandbox: Sandbox;
  postgres: PostgresEndpoint;
  temporal: TemporalEndpoint;
  admin: pg.Client;
  client: Client;
  box: SecretBox;
  secretKey: string;
  workDir: string;
}

/**
 * A workflow's result, or a failure if the worker process ends first (a run with no worker would wait
 * forever). Either way the pending long poll for the result is cancelled, so nothing retries it afterwards.
 */
async function resultOrWorkerExit<T>(client: Client, worker: WorkerProcess, result: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  // The client adds an abort listener to the signal for every call it makes under it (each long poll of a
  // result that takes minutes) and never removes them: no leak worth a warning for one run.
  setMaxListeners(0, abort.signal);
  try {
    return await Promise.race([client.withAbortSignal(abort.signal, result), worker.exited()]);
  } finally {
    abort.abort();
  }
}

async function startTasksRun(ctx: Ctx, pool: Pool): Promise<JobRunHandle> {
  // With --calls-per-execution, a smaller execution size so continue-as-new happens within the run.
  return HubsyncClient.over(ctx.client, pool).startRun(TASKS_JOB, 'full', ctx.opts.callsPerExecution ? { callsPerExecution: ctx.opts.callsPerExecution } : {});
}

async function measureWorkflow(ctx: Ctx, pool: Pool, worker: WorkerProcess): Promise<WorkflowSide> {
  const sampler = new RssSampler(worker.pid);
  const cpu = cpuMeter(worker.pid, ctx.sandbox.pid);
  const started = performance.now();
  let result: JobRunResult;
  let handle: JobRunHandle;
  let rss: RssSample;
  let ms: number;
  let cpuUsed: SideResult['cpu'];
  try {
    handle = await startTasksRun(ctx, pool);
    const run = handle;
    result = await resultOrWorkerExit(ctx.client, worker, () => run.result());
    ms = performance.now() - started;
    cpuUsed = cpu();
  } finally {
    rss = sampler.stop();
  }
  const requests = await requestLog(ctx.sandbox);
  const chain = await walkChain(ctx.client, handle.workflowId);
  const hub = await hubCounts(pool);
  const timeline = await pageTimeline(pool, requests, PAGES_PER_ACTIVITY);
  return { ms, cpu: cpuUsed, stats: result.stats, api: apiUse(requests), rss, chain, timeline, hubTasks: hub.tasks, hubTaskAccounts: hub.accounts };
}

async function measureBaseline(ctx: Ctx, pool: Pool, baseline: BaselineProcess): Promise<BaselineSide> {
  const sampler = new RssSampler(baseline.pid);
  const cpu = cpuMeter(baseline.pid, ctx.sandbox.pid);
  const started = performance.now();
  let child: BaselineDone;
  let rss: RssSample;
  let ms: number;
  let cpuUsed: SideResult['cpu'];
  try {
    child = await baseline.run(TASKS_JOB);
    ms = performance.now() - started;
    cpuUsed = cpu();
  } finally {
    rss = sampler.stop();
  }
  const requests = await requestLog(ctx.sandbox);
  const hub = await hubCounts(pool);
  const timeline = await pageTimeline(pool, requests, undefined);
  return { ms, cpu: cpuUsed, stats: child.stats, api: apiUse(requests), rss, child, timeline, hubTasks: hub.tasks, hubTaskAccounts: hub.accounts };
}

async function measurePagingFloor(ctx: Ctx, baseline: BaselineProcess): Promise<PagingFloor> {
  await ctx.sandbox.admin('DELETE', '/__admin/requests');
  const cpu = cpuMeter(baseline.pid, ctx.sandbox.pid);
  const started = performance.now();
  const paged = await baseline.page(TASKS_JOB);
  const ms = performance.now() - started;
  const cpuUsed = cpu();
  return { ms, records: paged.records, fetches: paged.fetches, cpu: cpuUsed, api: apiUse(await requestLog(ctx.sandbox)) };
}

async function measureWriteFloor(ctx: Ctx, pool: Pool, floor: BaselineProcess): Promise<WriteFloor> {
  const load = await floor.load(TASKS_JOB);
  const loadedRss = readProcStatus(floor.pid)?.rss ?? 0;
  await ctx.admin.query('CHECKPOINT');
  await ctx.sandbox.admin('DELETE', '/__admin/requests');
  const cpu = cpuMeter(floor.pid, ctx.sandbox.pid);
  const started = performance.now();
  const written = await floor.write();
  const ms = performance.now() - started;
  const cpuUsed = cpu();
  const apiCalls = apiUse(await requestLog(ctx.sandbox)).data;
  const hub = await hubCounts(pool);
  return { ms, stats: written.stats, pages: written.pages, cpu: cpuUsed, apiCalls, load, loadedRss, hubTasks: hub.tasks, hubTaskAccounts: hub.accounts };
}

async function benchSize(ctx: Ctx, n: number, index: number): Promise<SizeResult> {
  const { sandbox, cleanup } = ctx;
  const accounts = Math.max(20, Math.floor(n / 100));
  log(`N = ${int(n)}: seeding ${int(accounts)} accounts and ${int(n)} tasks...`);
  await sandbox.admin('POST', '/__admin/reset', { seed: 'none' });
  const seedStarted = performance.now();
  await sandbox.admin('POST', '/__admin/seed', { object: 'Account', count: accounts });
  await sandbox.admin('POST', '/__admin/seed', { object: 'Task', count: n });
  const seedMs = performance.now() - seedStarted;

  log(`N = ${int(n)}: creating the three hubs (databases: workflow, baseline, write floor), the connection and the jobs...`);
  const wfHub = await createHub(ctx.admin, ctx.postgres.url, `bench_workflow_${n}`, ctx.box, sandbox);
  const closeWfPool = cleanup.defer('a hub pool', () => wfHub.pool.end());
  const blHub = await createHub(ctx.admin, ctx.postgres.url, `bench_baseline_${n}`, ctx.box, sandbox);
  const closeBlPool = cleanup.defer('a hub pool', () => blHub.pool.end());
  const flHub = await createHub(ctx.admin, ctx.postgres.url, `bench_floor_${n}`, ctx.box, sandbox);
  const closeFlPool = cleanup.defer('a hub pool', () => flHub.pool.end());

  log(`N = ${int(n)}: starting the worker (bundles the workflows) and the baseline process...`);
  const worker = new WorkerProcess({
    TEMPORAL_ADDRESS: ctx.temporal.address,
    DATABASE_URL: wfHub.url,
    HUBSYNC_SECRET_KEY: ctx.secretKey,
    HUBSYNC_HOME: path.join(ctx.workDir, 'hubsync-home'),
    HUBSYNC_LOG_LEVEL: 'warn',
  });
  const stopWorker = cleanup.defer('the worker', () => worker.stop());
  const baseline = new BaselineProcess({ BENCH_DATABASE_URL: blHub.url, HUBSYNC_SECRET_KEY: ctx.secretKey, BENCH_CONNECTION_ID: CONNECTION_ID });
  const stopBaseline = cleanup.defer('the baseline process', () => baseline.stop());
  await Promise.all([worker.ready(300000), baseline.ready()]);

  // Not measured: each side imports the accounts (parents for the tasks) with its own run.
  log(`N = ${int(n)}: importing the accounts on both sides...`);
  const accountsRun = await HubsyncClient.over(ctx.client, wfHub.pool).startRun(ACCOUNTS_JOB, 'full');
  const wfAccounts = await resultOrWorkerExit(ctx.client, worker, () => accountsRun.result());
  const blAccounts = await baseline.run(ACCOUNTS_JOB);
  if (wfAccounts.stats.created !== accounts || blAccounts.stats.created !== accounts) {
    throw new Error(`accounts import: created ${wfAccounts.stats.created} (workflow) and ${blAccounts.stats.created} (baseline), expected ${accounts}`);
  }

  const order: Array<'workflow' | 'baseline'> = index % 2 === 0 ? ['workflow', 'baseline'] : ['baseline', 'workflow'];
  let workflow: WorkflowSide | undefined;
  let base: BaselineSide | undefined;
  for (const side of order) {
    await ctx.admin.query('CHECKPOINT');
    await sandbox.admin('DELETE', '/__admin/requests');
    log(`N = ${int(n)}: measuring the ${side} run...`);
    if (side === 'workflow') workflow = await measureWorkflow(ctx, wfHub.pool, worker);
    else base = await measureBaseline(ctx, blHub.pool, baseline);
  }
  await stopWorker();

  // The floors, after both sides (the sandbox has served these pages twice already): reads alone in the
  // baseline process, then writes alone in a process of the same kind on the third hub.
  log(`N = ${int(n)}: measuring the paging floor (reads only, in the baseline process)...`);
  const paging = await measurePagingFloor(ctx, baseline);
  await stopBaseline();
  log(`N = ${int(n)}: importing the accounts into the write-floor hub, reading the ${int(n)} tasks into memory, measuring the hub write floor...`);
  // Holds all N records at once: room for them beyond V8's default heap limit (about 4 GB here).
  const floor = new BaselineProcess({ BENCH_DATABASE_URL: flHub.url, HUBSYNC_SECRET_KEY: ctx.secretKey, BENCH_CONNECTION_ID: CONNECTION_ID }, ['--max-old-space-size=12288']);
  const stopFloor = cleanup.defer('the write-floor process', () => floor.stop());
  await floor.ready();
  const flAccounts = await floor.run(ACCOUNTS_JOB);
  if (flAccounts.stats.created !== accounts) throw new Error(`accounts import (write floor): created ${flAccounts.stats.created}, expected ${accounts}`);
  const write = await measureWriteFloor(ctx, flHub.pool, floor);
  await stopFloor();
  await closeWfPool();
  await closeBlPool();
  await closeFlPool();
  if (!workflow || !base) throw new Error('a side was not measured');
  return { n, accounts, seedMs, order, workflow, baseline: base, floors: { paging, write }, callsPerExecution: ctx.opts.callsPerExecution ?? CALLS_PER_EXECUTION };
}

// ---------------------------------------------------------------------------------------------- reporting

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n');
}

const describeStats = (s: RunStats) => {
  const skipped = Object.entries(s.skipped).map(([k, v]) => `${k} ${int(v)}`);
  const rejected = Object.entries(s.rejected).map(([k, v]) => `${k} ${int(v)}`);
  return `read ${int(s.read)}, created ${int(s.created)}, updated ${int(s.updated)}, unchanged ${int(s.unchanged)}, deleted ${int(s.deleted)}, pages ${int(s.pages)}` +
    `, skipped ${skipped.length ? skipped.join(', ') : 0}, rejected ${rejected.length ? rejected.join(', ') : 0}`;
};

const apiKinds = (a: ApiUse) =>
  [`${a.pages} pages`, a.count ? `${a.count} COUNT()` : '', a.describe ? `${a.describe} describe` : '', a.other ? `${a.other} other` : '', a.errors ? `${a.errors} errors` : ''].filter(Boolean).join(', ');

/** What each data API call beyond ceil(N/2000) was, from the request log. */
function beyondMinimum(a: ApiUse, n: number): string {
  const overPages = a.pages - Math.ceil(n / PAGE_SIZE);
  const pages = overPages === 1 && n % PAGE_SIZE === 0 ? '1 empty last page (N is a multiple of 2,000)' : overPages !== 0 ? `${signed(overPages)} pages` : '';
  return [
    pages,
    a.count ? `${a.count} COUNT()` : '',
    a.describe ? `${a.describe} describe (${a.described.join(', ')})` : '',
    a.other ? `${a.other} other (${a.otherPaths.join(', ')})` : '',
    a.errors ? `${a.errors} errors` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

interface Breakdown {
  beginMs: number;
  pagesMs: number;
  pageCalls: number;
  scheduleToStartMs: number;
  finishMs: number;
  outsideMs: number;
  retries: number;
}

function breakdown(side: WorkflowSide): Breakdown {
  const b: Breakdown = { beginMs: 0, pagesMs: 0, pageCalls: 0, scheduleToStartMs: 0, finishMs: 0, outsideMs: 0, retries: 0 };
  let inActivities = 0;
  for (const a of side.chain.activities) {
    if (a.startedMs === undefined || a.closedMs === undefined) continue;
    const span = a.closedMs - a.scheduledMs;
    inActivities += span;
    b.scheduleToStartMs += a.startedMs - a.scheduledMs;
    if (a.attempt > 1) b.retries++;
    if (a.type === 'beginRun' || a.type === 'countRunSource') b.beginMs += span;
    else if (a.type === 'finishRun') b.finishMs += span;
    else if (a.type === 'syncInboundPages') {
      b.pagesMs += a.closedMs - a.startedMs;
      b.pageCalls++;
    }
  }
  b.outsideMs = side.ms - inActivities;
  return b;
}

interface FloorRates {
  paging: number;
  write: number;
  /** The lower of the two: no run that reads and writes every record can be faster. */
  lower: number;
  lowerName: string;
  /** Reading and writing one after the other, overlapping nothing: 1 / (1/paging + 1/write). */
  serial: number;
}

function floorRates(r: SizeResult): FloorRates {
  const paging = rate(r.n, r.floors.paging.ms);
  const write = rate(r.n, r.floors.write.ms);
  return { paging, write, lower: Math.min(paging, write), lowerName: paging <= write ? 'paging' : 'hub write', serial: 1 / (1 / paging + 1 / write) };
}

function reportSize(r: SizeResult): { ok: boolean; text: string } {
  const { n, workflow: wf, baseline: bl } = r;
  const { paging, write } = r.floors;
  const wfRate = rate(n, wf.ms);
  const blRate = rate(n, bl.ms);
  const ratio = wfRate / blRate;
  const floors = floorRates(r);
  const minimum = Math.ceil(n / PAGE_SIZE);
  const maxEvents = Math.max(...wf.chain.events);
  const bound = historyBound(r.callsPerExecution);
  const correct = (s: SideResult) => s.stats.created === n && s.hubTasks === n;
  const floorsCorrect = paging.records === n && write.stats.created === n && write.hubTasks === n;
  const b = breakdown(wf);
  const blPages = bl.child.fetches;
  const rows = [
    ['', 'workflow (Temporal)', 'baseline (plain loop)', ''],
    ['wall clock, start → all written', secs(wf.ms), secs(bl.ms), ''],
    ['records/s', int(wfRate), int(blRate), ''],
    ['CPU time of the process', secs(wf.cpu.self), secs(bl.cpu.self), `worker / baseline process; the sandbox's: ${secs(wf.cpu.sandbox)} / ${secs(bl.cpu.sandbox)}`],
    ['ratio workflow / baseline', ratio.toFixed(2), '', `target ≥ ${TARGET_RATIO.toFixed(1)}: ${verdict(ratio >= TARGET_RATIO)}`],
    ['fraction of the lower floor', (wfRate / floors.lower).toFixed(2), (blRate / floors.lower).toFixed(2), `the ${floors.lowerName} floor, ${int(floors.lower)} records/s (floors below)`],
    ['CPU time per record', usPerRecord(wf.cpu.self, n), usPerRecord(bl.cpu.self, n), `worker / baseline process; the sandbox's: ${usPerRecord(wf.cpu.sandbox, n)} / ${usPerRecord(bl.cpu.sandbox, n)}`],
    ['data API calls (excl. OAuth)', int(wf.api.data), int(bl.api.data), `minimum ceil(N/2000) = ${int(minimum)}`],
    ['  over the minimum', signed(wf.api.data - minimum), signed(bl.api.data - minimum), `target ≤ +${API_CALL_SLACK}: ${verdict(wf.api.data - minimum <= API_CALL_SLACK)}`],
    ['  by kind', apiKinds(wf.api), apiKinds(bl.api), `workflow, beyond the minimum: ${beyondMinimum(wf.api, n) || 'none'}`],
    ['OAuth token requests', int(wf.api.tokens), int(bl.api.tokens), 'sessions opened before the measured run'],
    ['executions in the chain', `${wf.chain.events.length} (listed: ${wf.chain.listed})`, '-', `at most ${r.callsPerExecution} activity call(s) of ${PAGES_PER_ACTIVITY} pages per execution`],
    ['longest history', `${int(maxEvents)} events`, '-', `bound ${int(bound)}: ${verdict(maxEvents <= bound)} (per execution: ${wf.chain.events.join(', ')})`],
    ['peak RSS during the run', mb(wf.rss.peak), mb(bl.rss.peak), `at the start ${mb(wf.rss.start)} / ${mb(bl.rss.start)}; ${wf.rss.samples} / ${bl.rss.samples} samples`],
    ['  peak per fifth of the run', wf.rss.byFifth.map((b) => (b / 1024 ** 2).toFixed(0)).join(' '), bl.rss.byFifth.map((b) => (b / 1024 ** 2).toFixed(0)).join(' '), 'MB'],
    ['lifetime peak RSS (VmHWM)', mb(wf.rss.lifetimePeak), mb(bl.rss.lifetimePeak), 'includes start-up (the worker bundles the workflows)'],
    ['hub tasks after the run', int(wf.hubTasks), int(bl.hubTasks), `parents: ${int(wf.hubTaskAccounts)} / ${int(bl.hubTaskAccounts)} of ${int(r.accounts)} accounts`],
    ['created = N', wf.stats.created === n ? 'yes' : 'NO (ERROR)', bl.stats.created === n ? 'yes' : 'NO (ERROR)', ''],
  ];
  const lines = [
    `tasks-inbound, N = ${int(n)} tasks (${int(r.accounts)} accounts; seeded in ${secs(r.seedMs)}); measured ${r.order.join(', then ')}`,
    table(rows),
    `  workflow stats: ${describeStats(wf.stats)}`,
    `  baseline stats: ${describeStats(bl.stats)}`,
    '  floors: each half of the work alone, on the same sandbox and records',
    table([
      ['  floor', 'records/s', 'wall clock', 'CPU per record', ''],
      [
        '  paging: readPage page after page, nothing written',
        int(floors.paging),
        secs(paging.ms),
        usPerRecord(paging.cpu.self, n),
        `baseline process; ${int(paging.fetches)} pages, ${int(paging.records)} records; data API calls ${int(paging.api.data)}; the sandbox's CPU ${usPerRecord(paging.cpu.sandbox, n)}`,
      ],
      [
        '  hub write: writeInboundPage page after page, no CRM',
        int(floors.write),
        secs(write.ms),
        usPerRecord(write.cpu.self, n),
        `a third empty hub (accounts imported first); ${int(write.pages)} pages read into memory beforehand, not timed (${secs(write.load.ms)}, RSS ${mb(write.loadedRss)}); ` +
          `data API calls ${int(write.apiCalls)}; hub tasks ${int(write.hubTasks)}, parents ${int(write.hubTaskAccounts)} of ${int(r.accounts)}`,
      ],
      ['  both in series, overlapping nothing', int(floors.serial), '-', '-', '1 / (1/paging + 1/hub write): what a loop that waits for each read and each write can reach at best'],
    ]),
    `  floor stats: ${describeStats(write.stats)}`,
    '  where the time goes:',
    `    workflow: beginRun + countRunSource ${secs(b.beginMs)} (validation, COUNT); ${b.pageCalls} syncInboundPages calls ${secs(b.pagesMs)} inside the activity; ` +
      `schedule-to-start ${secs(b.scheduleToStartMs)} in all; finishRun ${secs(b.finishMs)}; outside activities (workflow tasks, start, result, continue-as-new) ` +
      `${secs(b.outsideMs)}${b.retries ? `; ${b.retries} retried activities` : ''}`,
    `    baseline: ${blPages} page fetches ${secs(bl.child.fetchMs)}, writes ${secs(bl.child.writeMs)} (as timed inside the baseline process)`,
    table([
      ['  per page, mean', 'workflow', 'baseline', ''],
      ['  read: query received → write transaction begins', perPage(wf.timeline.readMs, wf.timeline.pages), perPage(bl.timeline.readMs, bl.timeline.pages), 'sandbox answer, transfer, JSON, mapping, look-ups'],
      ['    of which the sandbox answering', perPage(wf.timeline.serverMs, wf.timeline.pages), perPage(bl.timeline.serverMs, bl.timeline.pages), ''],
      ['  write: transaction begins → next query received', perPage(wf.timeline.writeMs, wf.timeline.writePages), perPage(bl.timeline.writeMs, bl.timeline.writePages), 'upsert, links, cursor, commit (workflow: + page journal, heartbeat)'],
      ['  activity boundary instead of the above', perPage(wf.timeline.boundaryMs, wf.timeline.boundaryPages), '-', `every ${PAGES_PER_ACTIVITY} pages: ${wf.timeline.boundaryPages} boundaries`],
    ]),
  ];
  if (!floorsCorrect) lines.push(`  ERROR: the floors did not read (${int(paging.records)}) or write (${int(write.stats.created)} created, ${int(write.hubTasks)} in the hub) exactly N tasks`);
  return { ok: correct(wf) && correct(bl) && floorsCorrect, text: lines.join('\n') };
}

function reportTargets(results: SizeResult[]): string {
  const sizes = results.map((r) => int(r.n)).join(' | ');
  const ratios = results.map((r) => rate(r.n, r.workflow.ms) / rate(r.n, r.baseline.ms));
  const over = results.map((r) => r.workflow.api.data - Math.ceil(r.n / PAGE_SIZE));
  const longest = results.map((r) => Math.max(...r.workflow.chain.events));
  const bounds = results.map((r) => historyBound(r.callsPerExecution));
  const peaks = results.map((r) => r.workflow.rss.peak);
  const first = results[0];
  const last = results[results.length - 1];
  const rssRows: string[] =
    first && last && results.length > 1
      ? (() => {
          const growth = last.workflow.rss.peak / first.workflow.rss.peak - 1;
          const baselineGrowth = last.baseline.rss.peak / first.baseline.rss.peak - 1;
          const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
          return [
            `worker peak RSS flat in N (N = ${sizes})`,
            `${peaks.map(mb).join(' | ')} (${pct(growth)} from ${int(first.n)} to ${int(last.n)}, tolerance +${RSS_GROWTH_TOLERANCE * 100}%; ` +
              `baseline process ${results.map((r) => mb(r.baseline.rss.peak)).join(' | ')}, ${pct(baselineGrowth)})`,
            verdict(growth <= RSS_GROWTH_TOLERANCE),
          ];
        })()
      : [`worker peak RSS flat in N (N = ${sizes})`, `${peaks.map(mb).join(' | ')} (needs two sizes to compare)`, 'n/a'];
  const rows = [
    [`throughput ≥ ${TARGET_RATIO.toFixed(1)} × baseline (N = ${sizes})`, ratios.map((x) => x.toFixed(2)).join(' | '), verdict(ratios.every((x) => x >= TARGET_RATIO))],
    [
      `throughput / lower floor (N = ${sizes})`,
      results
        .map((r) => {
          const f = floorRates(r);
          return `${(rate(r.n, r.workflow.ms) / f.lower).toFixed(2)} of ${int(f.lower)} (${f.lowerName})`;
        })
        .join(' | ') + `; baseline ${results.map((r) => (rate(r.n, r.baseline.ms) / floorRates(r).lower).toFixed(2)).join(' | ')}`,
      'info',
    ],
    [
      `worker CPU per record (N = ${sizes})`,
      `${results.map((r) => usPerRecord(r.workflow.cpu.self, r.n)).join(' | ')}; baseline process ${results.map((r) => usPerRecord(r.baseline.cpu.self, r.n)).join(' | ')}`,
      'info',
    ],
    [`API calls ≤ ceil(N/2000) + ${API_CALL_SLACK} (N = ${sizes})`, over.map(signed).join(' | '), verdict(over.every((x) => x <= API_CALL_SLACK))],
    [
      `history bounded by continue-as-new (N = ${sizes})`,
      `${longest.map((e) => `${int(e)} events`).join(' | ')} (bound ${bounds.map(int).join(' | ')}; executions ${results.map((r) => r.workflow.chain.events.length).join(' | ')})`,
      verdict(longest.every((e, i) => e <= (bounds[i] ?? 0))),
    ],
    rssRows,
  ];
  return `Targets\n${table(rows)}`;
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  clearProxyVariables();
  const opts = parseArgs(process.argv.slice(2));
  const env = loadEnv();
  const cleanup = new Cleanup(log);
  cleanup.onSignals();

  try {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-bench-inbound-'));
    cleanup.defer('the work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
    log('starting PostgreSQL, the Temporal dev server and the Salesforce sandbox...');
    const [pgStarted, temporalStarted, sandboxStarted] = await Promise.allSettled([
      freePort().then((port) => startThrowawayPostgres(port)),
      startDevServer({ cacheDir: env.cacheDir, cliPath: env.TEMPORAL_CLI_PATH, log, logFile: path.join(workDir, 'temporal.log') }),
      startSandboxProcess(cleanup, 'none'),
    ]);
    if (pgStarted.status === 'fulfilled') cleanup.defer('PostgreSQL', () => pgStarted.value.stop());
    if (temporalStarted.status === 'fulfilled') cleanup.defer('Temporal', () => temporalStarted.value.stop());
    for (const started of [pgStarted, temporalStarted, sandboxStarted]) if (started.status === 'rejected') throw started.reason;
    if (pgStarted.status !== 'fulfilled' || temporalStarted.status !== 'fulfilled' || sandboxStarted.status !== 'fulfilled') throw new Error('unreachable');
    const postgres = pgStarted.value;
    const temporal = temporalStarted.value;

    const serverUrl = new URL(postgres.url);
    serverUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: serverUrl.toString() });
    // A Ctrl-C reaches PostgreSQL too, which then ends this connection: not a crash, the cleanup follows.
    admin.on('error', () => undefined);
    await admin.connect();
    cleanup.defer('the admin connection', () => admin.end());
    const connection = await Connection.connect({ address: temporal.address });
    cleanup.defer('the Temporal client', () => connection.close());
    const secretKey = randomBytes(32).toString('base64');
    const ctx: Ctx = {
      opts,
      cleanup,
      sandbox: sandboxStarted.value,
      postgres,
      temporal,
      admin,
      client: new Client({ connection }),
      box: new SecretBox(Buffer.from(secretKey, 'base64')),
      secretKey,
      workDir,
    };

    process.stdout.write(
      `Inbound run benchmark: tasks-inbound, workflow vs baseline (Node ${process.version}, ${os.cpus().length} CPUs; page size ${int(PAGE_SIZE)}, ` +
        `${PAGES_PER_ACTIVITY} pages per activity call; sizes ${opts.sizes.map(int).join(', ')})\n`,
    );
    const results: SizeResult[] = [];
    let allCorrect = true;
    for (const [i, n] of opts.sizes.entries()) {
      const result = await benchSize(ctx, n, i);
      results.push(result);
      const report = reportSize(result);
      allCorrect &&= report.ok;
      process.stdout.write(`\n${report.text}\n`);
    }
    process.stdout.write(`\n${reportTargets(results)}\n`);
    if (!allCorrect) {
      process.stdout.write('ERROR: a run did not create exactly N tasks (see "created = N" above)\n');
      process.exitCode = 1;
    }
  } finally {
    if (!cleanup.interrupted) await cleanup.runAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exitCode = 1;
});
