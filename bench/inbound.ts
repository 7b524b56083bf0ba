/**
 * Benchmark of inbound runs at volume: `npm run bench:inbound` (= `npx tsx bench/inbound.ts [--sizes 10000,100000]
 * [--quick] [--calls-per-execution K] [--hubspot-companies N] [--hubspot-only] [--dynamics-accounts N] [--dynamics-only]`).
 *
 * After the Salesforce sizes below, the HubSpot section (bench/inbound-hubspot.ts): accounts-inbound over N
 * HubSpot companies (default 20,000), the workflow against the same plain loop, in a HubSpot sandbox process of
 * its own; `--hubspot-companies 0` leaves it out, `--hubspot-only` runs it alone. Then the Dataverse section
 * (bench/inbound-dynamics.ts), the same over N Dataverse accounts (default 20,000) in a Dataverse sandbox process;
 * `--dynamics-accounts 0` leaves it out, `--dynamics-only` runs it alone. Both are bench/inbound-crm.ts's.
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
import os from 'node:os';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { SALESFORCE_LIMITS } from '../activities/crm/salesforce/session';
import { configFromTemplate } from '../activities/mapping/job-config';
import { HubsyncClient, type JobRunHandle } from '../client/hubsync-client';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import { type RunStats } from '../kernel/stats';
import { CALLS_PER_EXECUTION, PAGES_PER_ACTIVITY as PAGES_PER_CALL } from '../workflows/job-run';
import { BaselineProcess, type BaselineDone, type BaselineLoaded } from './inbound-ipc';
import { DEFAULT_HUBSPOT_COMPANIES, measureHubSpot, QUICK_HUBSPOT_COMPANIES, reportHubSpot } from './inbound-hubspot';
import { DEFAULT_DYNAMICS_ACCOUNTS, measureDynamics, QUICK_DYNAMICS_ACCOUNTS, reportDynamics } from './inbound-dynamics';
import {
  activityBreakdown,
  benchSizes,
  clearRequestLog,
  cpuMeter,
  callsOf,
  countApiCalls,
  describeStats,
  historyBound,
  int,
  isQuery,
  logger,
  mb,
  measured,
  parseSizeOptions,
  perPage,
  rate,
  ratioText,
  readProcStatus,
  requestLog,
  rssByFifth,
  rssTargetRow,
  RSS_GROWTH_TOLERANCE,
  secs,
  serverMsOf,
  signed,
  soqlOf,
  table,
  usPerRecord,
  verdict,
  walkChain,
  type ChainInfo,
  type CpuUse,
  type RssSample,
  type SizeOptions,
} from './measure';
import { resultOrWorkerExit, type Cleanup, type Sandbox, type WorkerProcess } from './processes';
import { ACCOUNTS_JOB, baselineEnv, CONNECTION_ID, createHub, importAccounts, runBench, startWorker, type Stack } from './stack';

/** Pages per activity call of the job's direction. */
const PAGES_PER_ACTIVITY = PAGES_PER_CALL.inbound;

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
 * Activities besides the syncInboundPages calls in one execution: beginRun, countRunSource,
 * retryParkedAndRejected (incremental runs) and finishRun (historyBound, bench/measure.ts).
 */
const OTHER_ACTIVITIES = 4;

/** Salesforce's page size: one page is one API call. */
const PAGE_SIZE = SALESFORCE_LIMITS.pageSize;

const TASKS_JOB = 'bench-tasks-inbound';

// ---------------------------------------------------------------------------------------------- helpers

const log = logger('bench:inbound');

// ---------------------------------------------------------------------------------------------- the stack

/** One empty, migrated hub database with the bench connection and both jobs. */
async function createTasksHub(stack: Stack, name: string, sandbox: Sandbox): Promise<{ url: string; pool: Pool }> {
  const hub = await createHub(stack, name, sandbox);
  await createValidatedJob(hub.pool, stack.box, { id: TASKS_JOB, connectionId: CONNECTION_ID, config: configFromTemplate('tasks-inbound') });
  return hub;
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
const isPageQuery = (r: LoggedRequest) => isQuery(r) && /ORDER BY SystemModstamp/i.test(soqlOf(r));

function apiUse(requests: LoggedRequest[]): ApiUse {
  const calls = countApiCalls(requests, (r) => (isQuery(r) && /SELECT\s+COUNT\(\)/i.test(soqlOf(r)) ? 'count' : isPageQuery(r) ? 'pages' : undefined));
  const { data, errors, tokens, described, otherPaths } = calls;
  return { data, errors, tokens, described, otherPaths, pages: callsOf(calls, 'pages'), count: callsOf(calls, 'count'), describe: callsOf(calls, 'describe'), other: callsOf(calls, 'other'), pageServerMs: serverMsOf(calls, 'pages') };
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

interface SideResult {
  ms: number;
  /** CPU time during the run: the worker (or baseline) process, and the sandbox process. */
  cpu: CpuUse;
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
  cpu: CpuUse;
  api: ApiUse;
}

/** The hub write floor: the job's pages, read into memory first, written into a third empty hub. */
interface WriteFloor {
  /** Wall clock of the writes only, command sent → answer received. */
  ms: number;
  stats: RunStats;
  pages: number;
  cpu: CpuUse;
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

type Ctx = Stack & {
  opts: SizeOptions;
  cleanup: Cleanup;
  sandbox: Sandbox;
};

async function startTasksRun(ctx: Ctx, pool: Pool): Promise<JobRunHandle> {
  // With --calls-per-execution, a smaller execution size so continue-as-new happens within the run.
  return HubsyncClient.over(ctx.client, pool).startRun(TASKS_JOB, 'full', ctx.opts.callsPerExecution ? { callsPerExecution: ctx.opts.callsPerExecution } : {});
}

async function measureWorkflow(ctx: Ctx, pool: Pool, worker: WorkerProcess): Promise<WorkflowSide> {
  let handle: JobRunHandle | undefined;
  const { value: result, ms, cpu, rss } = await measured(worker.pid, ctx.sandbox.pid, async () => {
    const run = (handle = await startTasksRun(ctx, pool));
    return resultOrWorkerExit(ctx.client, worker, () => run.result());
  });
  if (!handle) throw new Error('unreachable');
  const requests = await requestLog(ctx.sandbox);
  const chain = await walkChain(ctx.client, handle.workflowId);
  const hub = await hubCounts(pool);
  const timeline = await pageTimeline(pool, requests, PAGES_PER_ACTIVITY);
  return { ms, cpu, stats: result.stats, api: apiUse(requests), rss, chain, timeline, hubTasks: hub.tasks, hubTaskAccounts: hub.accounts };
}

async function measureBaseline(ctx: Ctx, pool: Pool, baseline: BaselineProcess): Promise<BaselineSide> {
  const { value: child, ms, cpu, rss } = await measured(baseline.pid, ctx.sandbox.pid, () => baseline.run(TASKS_JOB));
  const requests = await requestLog(ctx.sandbox);
  const hub = await hubCounts(pool);
  const timeline = await pageTimeline(pool, requests, undefined);
  return { ms, cpu, stats: child.stats, api: apiUse(requests), rss, child, timeline, hubTasks: hub.tasks, hubTaskAccounts: hub.accounts };
}

async function measurePagingFloor(ctx: Ctx, baseline: BaselineProcess): Promise<PagingFloor> {
  await clearRequestLog(ctx.sandbox);
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
  await clearRequestLog(ctx.sandbox);
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
  const wfHub = await createTasksHub(ctx, `bench_workflow_${n}`, sandbox);
  const closeWfPool = cleanup.defer('a hub pool', () => wfHub.pool.end());
  const blHub = await createTasksHub(ctx, `bench_baseline_${n}`, sandbox);
  const closeBlPool = cleanup.defer('a hub pool', () => blHub.pool.end());
  const flHub = await createTasksHub(ctx, `bench_floor_${n}`, sandbox);
  const closeFlPool = cleanup.defer('a hub pool', () => flHub.pool.end());

  log(`N = ${int(n)}: starting the worker (bundles the workflows) and the baseline process...`);
  const worker = startWorker(ctx, wfHub.url);
  const stopWorker = cleanup.defer('the worker', () => worker.stop());
  const baseline = new BaselineProcess(baselineEnv(ctx, blHub.url));
  const stopBaseline = cleanup.defer('the baseline process', () => baseline.stop());
  await Promise.all([worker.ready(300000), baseline.ready()]);

  // Not measured: each side imports the accounts (parents for the tasks) with its own run.
  log(`N = ${int(n)}: importing the accounts on both sides...`);
  await importAccounts(ctx, { pool: wfHub.pool, worker }, () => baseline.run(ACCOUNTS_JOB), accounts);

  const order: Array<'workflow' | 'baseline'> = index % 2 === 0 ? ['workflow', 'baseline'] : ['baseline', 'workflow'];
  let workflow: WorkflowSide | undefined;
  let base: BaselineSide | undefined;
  for (const side of order) {
    await ctx.admin.query('CHECKPOINT');
    await clearRequestLog(sandbox);
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
  const floor = new BaselineProcess(baselineEnv(ctx, flHub.url), ['--max-old-space-size=12288']);
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

const breakdown = (side: WorkflowSide) => activityBreakdown(side.chain, side.ms, { begin: ['beginRun', 'countRunSource'], pages: 'syncInboundPages', finish: ['finishRun'] });

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
  const bound = historyBound(r.callsPerExecution, OTHER_ACTIVITIES);
  const correct = (s: SideResult) => s.stats.created === n && s.hubTasks === n;
  const floorsCorrect = paging.records === n && write.stats.created === n && write.hubTasks === n;
  const b = breakdown(wf);
  const blPages = bl.child.fetches;
  const rows = [
    ['', 'workflow (Temporal)', 'baseline (plain loop)', ''],
    ['wall clock, start → all written', secs(wf.ms), secs(bl.ms), ''],
    ['records/s', int(wfRate), int(blRate), ''],
    ['CPU time of the process', secs(wf.cpu.self), secs(bl.cpu.self), `worker / baseline process; the sandbox's: ${secs(wf.cpu.sandbox)} / ${secs(bl.cpu.sandbox)}`],
    ['ratio workflow / baseline', ratioText(ratio, TARGET_RATIO), '', `target ≥ ${TARGET_RATIO.toFixed(1)}: ${verdict(ratio >= TARGET_RATIO)}`],
    ['fraction of the lower floor', (wfRate / floors.lower).toFixed(2), (blRate / floors.lower).toFixed(2), `the ${floors.lowerName} floor, ${int(floors.lower)} records/s (floors below)`],
    ['CPU time per record', usPerRecord(wf.cpu.self, n), usPerRecord(bl.cpu.self, n), `worker / baseline process; the sandbox's: ${usPerRecord(wf.cpu.sandbox, n)} / ${usPerRecord(bl.cpu.sandbox, n)}`],
    ['data API calls (excl. OAuth)', int(wf.api.data), int(bl.api.data), `minimum ceil(N/2000) = ${int(minimum)}`],
    ['  over the minimum', signed(wf.api.data - minimum), signed(bl.api.data - minimum), `target ≤ +${API_CALL_SLACK}: ${verdict(wf.api.data - minimum <= API_CALL_SLACK)}`],
    ['  by kind', apiKinds(wf.api), apiKinds(bl.api), `workflow, beyond the minimum: ${beyondMinimum(wf.api, n) || 'none'}`],
    ['OAuth token requests', int(wf.api.tokens), int(bl.api.tokens), 'sessions opened before the measured run'],
    ['executions in the chain', `${wf.chain.events.length} (listed: ${wf.chain.listed})`, '-', `at most ${r.callsPerExecution} activity call(s) of ${PAGES_PER_ACTIVITY} pages per execution`],
    ['longest history', `${int(maxEvents)} events`, '-', `bound ${int(bound)}: ${verdict(maxEvents <= bound)} (per execution: ${wf.chain.events.join(', ')})`],
    ['peak RSS during the run', mb(wf.rss.peak), mb(bl.rss.peak), `at the start ${mb(wf.rss.start)} / ${mb(bl.rss.start)}; ${wf.rss.samples} / ${bl.rss.samples} samples`],
    ['  peak per fifth of the run', rssByFifth(wf.rss), rssByFifth(bl.rss), 'MB'],
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
  const bounds = results.map((r) => historyBound(r.callsPerExecution, OTHER_ACTIVITIES));
  const rssRows = rssTargetRow(
    results.map((r) => ({ n: r.n, worker: r.workflow.rss.peak, baseline: r.baseline.rss.peak })),
    RSS_GROWTH_TOLERANCE,
  );
  const rows = [
    [`throughput ≥ ${TARGET_RATIO.toFixed(1)} × baseline (N = ${sizes})`, ratios.map((x) => ratioText(x, TARGET_RATIO)).join(' | '), verdict(ratios.every((x) => x >= TARGET_RATIO))],
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

runBench(log, { name: 'inbound', sandboxes: 1 }, async (stack, cleanup) => {
  const argv = process.argv.slice(2);
  const opts = parseSizeOptions(argv, {
    command: 'npx tsx bench/inbound.ts',
    records: 'tasks to seed and sync',
    quick: 2_000,
    flags: { '--hubspot-only': 'only the HubSpot section (no Salesforce sizes, no Dataverse section)', '--dynamics-only': 'only the Dataverse section (no Salesforce sizes, no HubSpot section)' },
    numbers: {
      '--hubspot-companies': `companies for the HubSpot section (default ${int(DEFAULT_HUBSPOT_COMPANIES)}, with --quick ${int(QUICK_HUBSPOT_COMPANIES)}; 0 leaves it out)`,
      '--dynamics-accounts': `accounts for the Dataverse section (default ${int(DEFAULT_DYNAMICS_ACCOUNTS)}, with --quick ${int(QUICK_DYNAMICS_ACCOUNTS)}; 0 leaves it out)`,
    },
  });
  const quick = argv.includes('--quick');
  const hubspotOnly = opts.flags.has('--hubspot-only');
  const dynamicsOnly = opts.flags.has('--dynamics-only');
  const hubspotCompanies = dynamicsOnly ? 0 : (opts.numbers.get('--hubspot-companies') ?? (quick ? QUICK_HUBSPOT_COMPANIES : DEFAULT_HUBSPOT_COMPANIES));
  const dynamicsAccounts = hubspotOnly ? 0 : (opts.numbers.get('--dynamics-accounts') ?? (quick ? QUICK_DYNAMICS_ACCOUNTS : DEFAULT_DYNAMICS_ACCOUNTS));
  const [sandbox] = stack.sandboxes;
  if (!sandbox) throw new Error('unreachable');
  const ctx: Ctx = { ...stack, opts, cleanup, sandbox };
  if (!hubspotOnly && !dynamicsOnly) {
    await benchSizes(
      opts.sizes,
      `Inbound run benchmark: tasks-inbound, workflow vs baseline (Node ${process.version}, ${os.cpus().length} CPUs; page size ${int(PAGE_SIZE)}, ` +
        `${PAGES_PER_ACTIVITY} pages per activity call; sizes ${opts.sizes.map(int).join(', ')})`,
      { measure: (n, i) => benchSize(ctx, n, i), report: reportSize, targets: reportTargets, failure: 'a run did not create exactly N tasks (see "created = N" above)' },
    );
  }
  const sections = [
    { n: hubspotCompanies, run: async () => reportHubSpot(await measureHubSpot(stack, cleanup, hubspotCompanies, log)), label: 'HubSpot' },
    { n: dynamicsAccounts, run: async () => reportDynamics(await measureDynamics(stack, cleanup, dynamicsAccounts, log)), label: 'Dataverse' },
  ];
  for (const section of sections) {
    if (section.n <= 0) continue;
    const report = await section.run();
    process.stdout.write(`\n${report.text}\n`);
    if (!report.ok) {
      process.stdout.write(`ERROR: a ${section.label} run did not create exactly N hub accounts (see "created = N" above)\n`);
      process.exitCode = 1;
    }
  }
});
