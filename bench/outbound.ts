/**
 * Benchmark of outbound runs at volume: `npm run bench:outbound` (= `npx tsx bench/outbound.ts [--sizes
 * 10000,100000] [--quick] [--calls-per-execution K] [--no-analyze]`).
 *
 * For each size N it creates N hub tasks and syncs them to a Salesforce sandbox with the tasks-outbound job,
 * two ways, in the same run and in alternating order from one size to the next:
 *
 * - workflow: a real job run (HubsyncClient.startRun → outboundJobWorkflow) on a real `hubsync worker`
 *   process, against a Temporal dev server, the sandbox and PostgreSQL;
 * - baseline: the same work without Temporal, in a process of its own (bench/outbound-baseline.ts): the page
 *   functions the activities call, in one plain loop: readOutboundRecords page after page (keyset order, 200
 *   records) with syncOutboundPage (no run: runId null), then settlePendingStamps.
 *
 * The job is the tasks-outbound template with its external-ID key row on an External ID field of Task
 * (Hubsync_External_Id__c, added through the sandbox's admin API), so creates are sObject Collections upserts
 * keyed by the hub record's key (`task-12`), and a hub filter on the owner's email (hubFilter.ownerEmails);
 * Assigned To resolves to a CRM User created with that email. Every page: one hub read, the hub look-ups
 * around it, one SOQL read by ID (the conflict read, which also reads back the stamps of the previous page's
 * writes; the first page has nothing to read), the owner from the lookup cache (one User query per run), one
 * upsert of 200 records, one hub transaction; at the end one read of the last page's stamps. Hence the
 * minimum: ceil(N/200) writes + ceil(N/200) reads.
 *
 * Fair set-up. Each side has an org and a hub of its own, prepared the same way: two sandbox processes
 * (bench/inbound-sandbox.ts, on the same pod), each reset for the size, seeded with the same accounts (N/100,
 * at least 20; the seed generator is deterministic, so both orgs get the same Account IDs), the same External
 * ID field and the same owner User (the same User ID; the table says whether the orgs came out identical);
 * and two empty hub databases on one PostgreSQL server, each with the connection to its own org, the accounts-
 * inbound job and the tasks-outbound job. Each side imports its accounts with a run of its own (not measured:
 * the worker through a workflow, the baseline in its loop), so hub accounts are linked to their CRM accounts;
 * then the same SQL inserts the same N tasks into each hub (generate_series: the same IDs, titles,
 * descriptions, statuses, priorities, due dates, accounts and owner), and ANALYZE gives the planner the new
 * table's statistics, as autovacuum would within a minute or so of a bulk insert (with `--no-analyze` the
 * measured runs start on an unanalyzed table, which shows that the page read does not depend on statistics:
 * readOutboundRecords rules out a sort, so each page walks the (updated_at, id) index instead of a scan of every
 * remaining row and a sort, O(N) a page, that the planner chose there before). Before the measured runs, each
 * side syncs WARM_UP_TASKS tasks of another owner with a job of its own (not measured, and left out of the
 * checks), so that both compare warm code, as in a worker that has run jobs before. Neither side then finds the
 * other's records in its org or its hub, and neither writes into tables the other has already grown. Separate orgs
 * rather than one org reset between the runs: the second run would otherwise start on a sandbox whose heap
 * already held the first run's records. Each sandbox runs in a child process, so it shares an event loop with
 * neither side; the worker and the baseline are both separate processes, each with one Salesforce session
 * opened before the measured run (the worker's by the accounts import: it caches sessions per connection), a
 * fresh owner lookup cache, and each measured run starts after a CHECKPOINT.
 *
 * Reported per size: records/s of both and their ratio, CPU time per record (from /proc: the worker or
 * baseline process, and its sandbox's) and per thread of the process, data API calls during the measured run (from that side's sandbox's
 * request log, `/services/data/` only; OAuth token requests apart) against the minimum 2 × ceil(N/200), with
 * what each call beyond it was, the sandbox's time answering the writes and the reads, the mean time from one
 * collection write to the next (within an activity call, across its boundary, early and late in the run), the
 * executions of the
 * run's continue-as-new chain and the longest history (events and bytes), the peak RSS of the worker (and of
 * the baseline process) sampled from /proc every 100 ms during the measured run, and what Salesforce holds
 * afterwards. Then PASS/MISS per target: workflow ≥ 0.8 × the plain loop, data API calls ≤ 2 × ceil(N/200) +
 * API_CALL_SLACK, history bounded (the longest under the per-execution bound continue-as-new keeps, which does
 * not depend on N, and far under Temporal's own limit), worker RSS flat in N. Timing never fails the run: the
 * exit code is 1 only if a run did not leave exactly N Tasks in its org (counted, with no Hubsync_External_Id__c
 * twice and each one a hub task's key) or the benchmark itself failed.
 */
import os from 'node:os';
import type { Connection as SfConnection } from 'jsforce';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { OUTBOUND_PAGE_SIZE } from '../activities/jobs/outbound-page';
import { configFromTemplate } from '../activities/mapping/job-config';
import { HubsyncClient, type JobRunHandle } from '../client/hubsync-client';
import type { RunStats } from '../kernel/stats';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import { CALLS_PER_EXECUTION, PAGES_PER_ACTIVITY as PAGES_PER_CALL } from '../workflows/job-run';
import {
  activityBreakdown,
  benchSizes,
  callsOf,
  clearRequestLog,
  countApiCalls,
  describeStats,
  historyBound,
  int,
  isQuery,
  kb,
  logger,
  mb,
  measured,
  parseSizeOptions,
  perPage,
  rate,
  ratioText,
  requestLog,
  rssByFifth,
  rssTargetRow,
  RSS_GROWTH_TOLERANCE,
  secs,
  serverMsOf,
  signed,
  soqlOf,
  table,
  TEMPORAL_HISTORY_EVENT_LIMIT,
  threadCpu,
  usPerRecord,
  verdict,
  walkChain,
  type ApiCalls,
  type ChainInfo,
  type CpuUse,
  type RssSample,
  type SizeOptions,
} from './measure';
import type { OutboundCommand, OutboundDone, OutboundImported, OutboundMessage } from './outbound-ipc';
import { BenchChild, resultOrWorkerExit, type Cleanup, type Sandbox, type WorkerProcess } from './processes';
import { ACCOUNTS_JOB, baselineEnv, CONNECTION_ID, createHub, importAccounts, openSandboxConnection, runBench, startWorker, type Stack } from './stack';

/** Pages per activity call of the job's direction. */
const PAGES_PER_ACTIVITY = PAGES_PER_CALL.outbound;

// ---------------------------------------------------------------------------------------------- targets

/** Workflow throughput relative to the baseline: at least 0.8 × the plain loop's rate. */
const TARGET_RATIO = 0.8;
/**
 * Data API calls a run may make above 2 × ceil(N/200), whatever N: 2, as the request log shows (the table lists
 * them per size): one describe of Task (the worker's: the validation when the run begins, its later pages find
 * it in the session's cache; User and Account, which validation also needs, were described by the accounts
 * import on the same session; the baseline's: its first page), and one User query for the owner's email (the
 * lookup cache keeps it for 5 minutes: a run longer than that asks once more every 5 minutes, which the table
 * would show as another "user lookups"). The first page has no read by ID (nothing written before it); the
 * settle read at the end reads the last page's stamps, so reads = pages.
 */
const API_CALL_SLACK = 2;
/**
 * Activities besides the syncOutboundPages calls in one execution: beginRun, countRunSource,
 * retryOutboundRejected (incremental runs), finishOutboundRun and finishRun (historyBound, bench/measure.ts).
 */
const OTHER_ACTIVITIES = 5;

/** Hub records per page: one sObject Collections call of 200 records, one read by ID. */
const PAGE_SIZE = OUTBOUND_PAGE_SIZE;

const TASKS_JOB = 'bench-tasks-outbound';
const EXTERNAL_ID_FIELD = 'Hubsync_External_Id__c';
const OWNER = 'outbound-owner@hubsync.bench';
/**
 * Before the measured runs each side syncs this many tasks of another owner with a job of its own, not
 * measured: the comparison is then of warm code, as in a worker that has run jobs before, rather than of how
 * long V8 takes to compile a fresh process (the worker, with about 1,400 modules loaded, pays more of that).
 */
const WARM_UP_TASKS = 1_000;
const WARM_UP_JOB = 'bench-tasks-outbound-warm-up';
const WARM_UP_OWNER = 'outbound-warm-up@hubsync.bench';
const NO_ANALYZE = '--no-analyze';

const log = logger('bench:outbound');

// ---------------------------------------------------------------------------------------------- the set-up

/** The baseline process (bench/outbound-baseline.ts). */
class BaselineProcess extends BenchChild<OutboundCommand, OutboundMessage> {
  constructor(env: NodeJS.ProcessEnv) {
    super('outbound-baseline.ts', env, 'the outbound baseline process');
  }

  /** The accounts import (an inbound job in the plain loop). */
  import(jobId: string): Promise<OutboundImported> {
    return this.request({ cmd: 'import', jobId }, 'imported');
  }

  /** The baseline: the outbound job synced in the plain loop. */
  run(jobId: string): Promise<OutboundDone> {
    return this.request({ cmd: 'run', jobId }, 'done');
  }
}

interface Org {
  sandbox: Sandbox;
  conn: SfConnection;
  userId: string;
  /** Every Account ID in order, for comparing the two orgs. */
  accountIds: string[];
}

/** An org for one side: reset, the accounts seeded, the External ID field on Task, the owner User. */
async function prepareOrg(sandbox: Sandbox, accounts: number): Promise<Org> {
  await sandbox.admin('POST', '/__admin/reset', { seed: 'none' });
  await sandbox.admin('POST', '/__admin/seed', { object: 'Account', count: accounts });
  await sandbox.admin('POST', '/__admin/schema/fields', { object: 'Task', name: EXTERNAL_ID_FIELD, type: 'text', label: 'Hubsync External ID', length: 255, externalId: true, unique: true });
  const conn = await openSandboxConnection(sandbox);
  const user = await conn.sobject('User').create({ Username: OWNER, LastName: 'Outbound Owner', Email: OWNER });
  if (!user.success) throw new Error(`creating the owner User failed: ${JSON.stringify(user)}`);
  await conn.sobject('User').create({ Username: WARM_UP_OWNER, LastName: 'Warm-up Owner', Email: WARM_UP_OWNER });
  const { records } = await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id', { autoFetch: true, maxFetch: accounts + 1 });
  return { sandbox, conn, userId: user.id, accountIds: records.map((r) => r.Id) };
}

/** The tasks-outbound template, keyed by the External ID field, for one owner's tasks only. */
function tasksOutboundConfig(owner: string) {
  const tasks = configFromTemplate('tasks-outbound');
  tasks.hubFilter = { ownerEmails: [owner] };
  tasks.mapping = tasks.mapping.map((r) => (r.key && r.hubField === 'Task External Id' ? { ...r, crmField: EXTERNAL_ID_FIELD } : r));
  return tasks;
}

/** One side's hub: an empty database, the connection to its own org, both jobs. */
async function createSideHub(stack: Stack, name: string, sandbox: Sandbox): Promise<{ url: string; pool: Pool }> {
  const hub = await createHub(stack, name, sandbox);
  await createValidatedJob(hub.pool, stack.box, { id: TASKS_JOB, connectionId: CONNECTION_ID, config: tasksOutboundConfig(OWNER) });
  await createValidatedJob(hub.pool, stack.box, { id: WARM_UP_JOB, connectionId: CONNECTION_ID, config: tasksOutboundConfig(WARM_UP_OWNER) });
  return hub;
}

/**
 * The hub's application adds N tasks for `owner`, spread over the linked accounts, as one statement (so all
 * share one updated_at: the keyset order is then by ID). Run on both hubs, it writes the same rows.
 */
async function insertHubTasks(pool: Pool, n: number, owner: string): Promise<void> {
  await pool.query(
    `WITH a AS (SELECT array_agg(hub_id ORDER BY hub_id) AS ids FROM record_links WHERE connection_id = $1 AND hub_type = 'account')
     INSERT INTO tasks (account_id, title, description, status, priority, due_date, assignee_email)
     SELECT a.ids[1 + n % cardinality(a.ids)], 'Bench task ' || n,
            'Outbound benchmark task ' || n || ': call the customer about the renewal and write down what they said.',
            (ARRAY['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'])[1 + n % 5],
            (ARRAY['High', 'Normal', 'Low'])[1 + n % 3],
            DATE '2025-01-01' + (n % 365), $3
       FROM a, generate_series(1, $2::int) AS n`,
    [CONNECTION_ID, n, owner],
  );
}

// ---------------------------------------------------------------------------------------------- measuring

/** A collection write (create, update or upsert of up to 200 records: `composite/sobjects...`). */
const isWrite = (r: LoggedRequest) => /\/composite\/sobjects(\/|$)/.test(r.path) && r.method !== 'GET';
/** The conflict/stamp read of a page, or the settle read at the end: `SELECT ... FROM Task WHERE (Id IN (...))`. */
const isStampRead = (r: LoggedRequest) => isQuery(r) && /\bFROM\s+Task\s+WHERE\s+\(?\s*Id\s+IN\s*\(/i.test(soqlOf(r));

function apiUse(requests: LoggedRequest[]): ApiCalls {
  return countApiCalls(requests, (r) => {
    if (isWrite(r)) return 'writes';
    if (isStampRead(r)) return 'reads';
    if (isQuery(r) && /\bFROM\s+User\s+WHERE\s+Email\s+IN\b/i.test(soqlOf(r))) return 'user lookups';
    if (isQuery(r) && /\bFROM\s+Contact\s+WHERE\s+Email\s+IN\b/i.test(soqlOf(r))) return 'contact lookups';
    return undefined;
  });
}

/**
 * Mean gaps between one collection write's arrival and the next: within an activity call and across its
 * boundary, and within calls in the first and the last fifth of the run (warm-up: the JIT, caches).
 */
interface WriteGaps {
  withinMs: number;
  within: number;
  boundaryMs: number;
  boundaries: number;
  firstFifthMs: number;
  lastFifthMs: number;
}

function writeGaps(requests: LoggedRequest[], pagesPerCall: number | undefined): WriteGaps {
  const at = requests
    .filter(isWrite)
    .map((r) => Date.parse(r.timestamp))
    .sort((a, b) => a - b);
  const g: WriteGaps = { withinMs: 0, within: 0, boundaryMs: 0, boundaries: 0, firstFifthMs: 0, lastFifthMs: 0 };
  const within: number[] = [];
  for (let i = 0; i + 1 < at.length; i++) {
    const gap = (at[i + 1] ?? 0) - (at[i] ?? 0);
    if (pagesPerCall && (i + 1) % pagesPerCall === 0) {
      g.boundaryMs += gap;
      g.boundaries++;
    } else within.push(gap);
  }
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length);
  const fifth = Math.max(1, Math.floor(within.length / 5));
  return { ...g, withinMs: mean(within) * within.length, within: within.length, firstFifthMs: mean(within.slice(0, fifth)), lastFifthMs: mean(within.slice(-fifth)) };
}

/** What the org holds after a run: every Task, its key, and whether each key is a hub task's. */
interface CrmCheck {
  tasks: number;
  distinctKeys: number;
  /** Keys that name a task of the hub (`task-<id>`). */
  hubKeys: number;
}

/** The measured owner's Tasks in the org (the warm-up's belong to another owner). */
async function checkCrm(org: Org, pool: Pool, n: number): Promise<CrmCheck> {
  const { records } = await org.conn.query<Record<string, string | null>>(`SELECT Id, ${EXTERNAL_ID_FIELD} FROM Task WHERE OwnerId = '${org.userId}'`, { autoFetch: true, maxFetch: 2 * n + 1000 });
  const keys = new Set(records.map((r) => r[EXTERNAL_ID_FIELD]).filter((k): k is string => Boolean(k)));
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM tasks WHERE assignee_email = $1', [OWNER]);
  const hubKeys = rows.filter((r) => keys.has(`task-${r.id}`)).length;
  return { tasks: records.length, distinctKeys: keys.size, hubKeys };
}

/** The hub after a run: the tasks' links, the stamps still to be read back, the tasks that took their CRM ID. */
interface HubCheck {
  links: number;
  distinctCrmIds: number;
  pendingStamps: number;
  withExternalId: number;
}

async function checkHub(pool: Pool): Promise<HubCheck> {
  const { rows } = await pool.query<HubCheck>(
    `SELECT count(*)::int AS "links", count(DISTINCT crm_id)::int AS "distinctCrmIds", count(*) FILTER (WHERE crm_stamp_pending)::int AS "pendingStamps",
            (SELECT count(*)::int FROM tasks WHERE external_id IS NOT NULL AND assignee_email = $2) AS "withExternalId"
       FROM record_links l JOIN tasks t ON t.id = l.hub_id AND t.assignee_email = $2 WHERE l.connection_id = $1 AND l.hub_type = 'task'`,
    [CONNECTION_ID, OWNER],
  );
  return rows[0] ?? { links: 0, distinctCrmIds: 0, pendingStamps: 0, withExternalId: 0 };
}

interface SideResult {
  ms: number;
  /** CPU time during the run: the worker (or baseline) process, and its sandbox's. */
  cpu: CpuUse;
  stats: RunStats;
  api: ApiCalls;
  gaps: WriteGaps;
  rss: RssSample;
  crm: CrmCheck;
  hub: HubCheck;
}

interface WorkflowSide extends SideResult {
  chain: ChainInfo;
}

interface BaselineSide extends SideResult {
  child: OutboundDone;
}

interface SizeResult {
  n: number;
  accounts: number;
  /** Whether both orgs came out with the same Account and User IDs. */
  identicalOrgs: boolean;
  setupMs: number;
  insertMs: number;
  /** Whether the hub tasks were analyzed after their insert (not with --no-analyze). */
  analyzed: boolean;
  order: Array<'workflow' | 'baseline'>;
  workflow: WorkflowSide;
  baseline: BaselineSide;
  callsPerExecution: number;
}

type Ctx = Stack & { opts: SizeOptions; cleanup: Cleanup };

/** What both sides check after their run: the request log of their org, the org's Tasks, their hub. */
async function afterRun(org: Org, pool: Pool, n: number, pagesPerCall: number | undefined) {
  const requests = await requestLog(org.sandbox);
  return { api: apiUse(requests), gaps: writeGaps(requests, pagesPerCall), crm: await checkCrm(org, pool, n), hub: await checkHub(pool) };
}

async function measureWorkflow(ctx: Ctx, org: Org, pool: Pool, worker: WorkerProcess, n: number): Promise<WorkflowSide> {
  let handle: JobRunHandle | undefined;
  const { value: result, ms, cpu, rss } = await measured(worker.pid, org.sandbox.pid, async () => {
    // With --calls-per-execution, a smaller execution size so continue-as-new happens within the run.
    const run = (handle = await HubsyncClient.over(ctx.client, pool).startRun(TASKS_JOB, 'full', ctx.opts.callsPerExecution ? { callsPerExecution: ctx.opts.callsPerExecution } : {}));
    return resultOrWorkerExit(ctx.client, worker, () => run.result());
  });
  if (!handle) throw new Error('unreachable');
  const chain = await walkChain(ctx.client, handle.workflowId);
  return { ms, cpu, rss, stats: result.stats, chain, ...(await afterRun(org, pool, n, PAGES_PER_ACTIVITY)) };
}

async function measureBaseline(org: Org, pool: Pool, baseline: BaselineProcess, n: number): Promise<BaselineSide> {
  const { value: child, ms, cpu, rss } = await measured(baseline.pid, org.sandbox.pid, () => baseline.run(TASKS_JOB));
  return { ms, cpu, rss, stats: child.stats, child, ...(await afterRun(org, pool, n, undefined)) };
}

async function benchSize(ctx: Ctx, n: number, index: number): Promise<SizeResult> {
  const { cleanup } = ctx;
  const [wfSandbox, blSandbox] = ctx.sandboxes;
  if (!wfSandbox || !blSandbox) throw new Error('unreachable: the stack has two sandboxes');
  const accounts = Math.max(20, Math.floor(n / 100));
  log(`N = ${int(n)}: preparing both orgs (${int(accounts)} accounts, the ${EXTERNAL_ID_FIELD} field, the owner User)...`);
  const setupStarted = performance.now();
  const wfOrg = await prepareOrg(wfSandbox, accounts);
  const blOrg = await prepareOrg(blSandbox, accounts);
  const identicalOrgs = wfOrg.userId === blOrg.userId && wfOrg.accountIds.join() === blOrg.accountIds.join();

  log(`N = ${int(n)}: creating the two hubs (databases: workflow, baseline), their connections and jobs...`);
  const wfHub = await createSideHub(ctx, `bench_outbound_workflow_${n}`, wfSandbox);
  const closeWfPool = cleanup.defer('a hub pool', () => wfHub.pool.end());
  const blHub = await createSideHub(ctx, `bench_outbound_baseline_${n}`, blSandbox);
  const closeBlPool = cleanup.defer('a hub pool', () => blHub.pool.end());

  log(`N = ${int(n)}: starting the worker (bundles the workflows) and the baseline process...`);
  const worker = startWorker(ctx, wfHub.url);
  const stopWorker = cleanup.defer('the worker', () => worker.stop());
  const baseline = new BaselineProcess(baselineEnv(ctx, blHub.url));
  const stopBaseline = cleanup.defer('the baseline process', () => baseline.stop());
  await Promise.all([worker.ready(300000), baseline.ready()]);

  log(`N = ${int(n)}: importing the accounts on both sides...`);
  await importAccounts(ctx, { pool: wfHub.pool, worker }, () => baseline.import(ACCOUNTS_JOB), accounts);
  const setupMs = performance.now() - setupStarted;
  log(`N = ${int(n)}: inserting ${int(n)} tasks into each hub...`);
  const insertStarted = performance.now();
  for (const hub of [wfHub, blHub]) {
    await insertHubTasks(hub.pool, WARM_UP_TASKS, WARM_UP_OWNER);
    await insertHubTasks(hub.pool, n, OWNER);
  }
  const analyzed = !ctx.opts.flags.has(NO_ANALYZE);
  if (analyzed) for (const hub of [wfHub, blHub]) await hub.pool.query('ANALYZE tasks');
  const insertMs = performance.now() - insertStarted;
  log(`N = ${int(n)}: warming up both sides (${int(WARM_UP_TASKS)} tasks of another owner each, not measured)...`);
  await HubsyncClient.over(ctx.client, wfHub.pool).runJob(WARM_UP_JOB, 'full');
  await baseline.run(WARM_UP_JOB);

  const order: Array<'workflow' | 'baseline'> = index % 2 === 0 ? ['workflow', 'baseline'] : ['baseline', 'workflow'];
  let workflow: WorkflowSide | undefined;
  let base: BaselineSide | undefined;
  for (const side of order) {
    await ctx.admin.query('CHECKPOINT');
    await clearRequestLog(side === 'workflow' ? wfSandbox : blSandbox);
    log(`N = ${int(n)}: measuring the ${side} run...`);
    if (side === 'workflow') workflow = await measureWorkflow(ctx, wfOrg, wfHub.pool, worker, n);
    else base = await measureBaseline(blOrg, blHub.pool, baseline, n);
  }
  await stopWorker();
  await stopBaseline();
  await closeWfPool();
  await closeBlPool();
  if (!workflow || !base) throw new Error('a side was not measured');
  return { n, accounts, identicalOrgs, setupMs, insertMs, analyzed, order, workflow, baseline: base, callsPerExecution: ctx.opts.callsPerExecution ?? CALLS_PER_EXECUTION };
}

// ---------------------------------------------------------------------------------------------- reporting

/** The minimum data API calls of a run: one collection write and one read by ID per 200 records. */
const minimumCalls = (n: number) => 2 * Math.ceil(n / PAGE_SIZE);

const apiKinds = (a: ApiCalls) =>
  [...a.kinds]
    .sort(([x], [y]) => ['writes', 'reads'].indexOf(y) - ['writes', 'reads'].indexOf(x))
    .map(([kind, k]) => `${int(k.calls)} ${kind}`)
    .join(', ') + (a.errors ? `, ${a.errors} errors` : '');

/** What each data API call beyond the minimum was, from the request log. */
function beyondMinimum(a: ApiCalls, n: number): string {
  const pages = Math.ceil(n / PAGE_SIZE);
  const over = (kind: string, what: string) => {
    const extra = callsOf(a, kind) - pages;
    return extra !== 0 ? `${signed(extra)} ${what} (${int(callsOf(a, kind))} for ${int(pages)} pages)` : '';
  };
  const rest = [...a.kinds].filter(([kind]) => !['writes', 'reads', 'describe', 'other'].includes(kind)).map(([kind, k]) => `${k.calls} ${kind}`);
  return [
    over('writes', 'writes'),
    over('reads', 'reads by ID'),
    ...rest,
    callsOf(a, 'describe') ? `${callsOf(a, 'describe')} describe (${a.described.join(', ')})` : '',
    callsOf(a, 'other') ? `${callsOf(a, 'other')} other (${a.otherPaths.join(', ')})` : '',
    a.errors ? `${a.errors} errors` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The run left exactly N Tasks in its org: N of them, no key twice, each key a hub task's (what fails the benchmark). */
const correct = (s: SideResult, n: number) => s.crm.tasks === n && s.crm.distinctKeys === n && s.crm.hubKeys === n;
const longestHistory = (wf: WorkflowSide) => Math.max(...wf.chain.events);

function reportSize(r: SizeResult): { ok: boolean; text: string } {
  const { n, workflow: wf, baseline: bl } = r;
  const wfRate = rate(n, wf.ms);
  const blRate = rate(n, bl.ms);
  const ratio = wfRate / blRate;
  const minimum = minimumCalls(n);
  const maxEvents = longestHistory(wf);
  const bound = historyBound(r.callsPerExecution, OTHER_ACTIVITIES);
  const b = activityBreakdown(wf.chain, wf.ms, { begin: ['beginRun', 'countRunSource'], pages: 'syncOutboundPages', finish: ['finishOutboundRun', 'finishRun'] });
  const wfPages = wf.stats.pages;
  const blPages = bl.child.pages;
  const crmCell = (s: SideResult) => `${int(s.crm.tasks)} Tasks, ${int(s.crm.distinctKeys)} keys, ${int(s.crm.hubKeys)} hub tasks'`;
  const rows = [
    ['', 'workflow (Temporal)', 'baseline (plain loop)', ''],
    ['wall clock, start → all written', secs(wf.ms), secs(bl.ms), ''],
    ['records/s', int(wfRate), int(blRate), ''],
    ['ratio workflow / baseline', ratioText(ratio, TARGET_RATIO), '', `target ≥ ${TARGET_RATIO.toFixed(1)}: ${verdict(ratio >= TARGET_RATIO)}`],
    ['CPU time of the process', secs(wf.cpu.self), secs(bl.cpu.self), `worker / baseline process; their sandboxes': ${secs(wf.cpu.sandbox)} / ${secs(bl.cpu.sandbox)}`],
    ['CPU time per record', usPerRecord(wf.cpu.self, n), usPerRecord(bl.cpu.self, n), `worker / baseline process; their sandboxes': ${usPerRecord(wf.cpu.sandbox, n)} / ${usPerRecord(bl.cpu.sandbox, n)}`],
    ['data API calls (excl. OAuth)', int(wf.api.data), int(bl.api.data), `minimum 2 × ceil(N/200) = ${int(minimum)} (${int(minimum / 2)} writes + ${int(minimum / 2)} reads by ID)`],
    ['  over the minimum', signed(wf.api.data - minimum), signed(bl.api.data - minimum), `target ≤ +${API_CALL_SLACK}: ${verdict(wf.api.data - minimum <= API_CALL_SLACK)}`],
    ['  by kind', apiKinds(wf.api), apiKinds(bl.api), ''],
    [
      '  the sandbox answering, per page',
      `${perPage(serverMsOf(wf.api, 'writes'), wfPages)} write + ${perPage(serverMsOf(wf.api, 'reads'), wfPages)} read`,
      `${perPage(serverMsOf(bl.api, 'writes'), blPages)} write + ${perPage(serverMsOf(bl.api, 'reads'), blPages)} read`,
      'from its request log (time from request received to response sent)',
    ],
    ['OAuth token requests', int(wf.api.tokens), int(bl.api.tokens), 'sessions opened before the measured run'],
    ['executions in the chain', `${wf.chain.events.length} (listed: ${wf.chain.listed})`, '-', `at most ${r.callsPerExecution} activity call(s) of ${PAGES_PER_ACTIVITY} pages (${int(PAGES_PER_ACTIVITY * PAGE_SIZE)} records) per execution`],
    [
      'longest history',
      `${int(maxEvents)} events, ${kb(Math.max(...wf.chain.bytes))}`,
      '-',
      `bound ${int(bound)} events: ${verdict(maxEvents <= bound)} (per execution: ${wf.chain.events.join(', ')}; Temporal's limit ${int(TEMPORAL_HISTORY_EVENT_LIMIT)} events, 50 MB)`,
    ],
    ['peak RSS during the run', mb(wf.rss.peak), mb(bl.rss.peak), `at the start ${mb(wf.rss.start)} / ${mb(bl.rss.start)}; ${wf.rss.samples} / ${bl.rss.samples} samples`],
    ['  peak per fifth of the run', rssByFifth(wf.rss), rssByFifth(bl.rss), 'MB'],
    ['lifetime peak RSS (VmHWM)', mb(wf.rss.lifetimePeak), mb(bl.rss.lifetimePeak), 'includes start-up (the worker bundles the workflows)'],
    ['Salesforce after the run', crmCell(wf), crmCell(bl), `Tasks in the org, distinct ${EXTERNAL_ID_FIELD} values, of which hub tasks' keys`],
    [
      'hub after the run',
      `${int(wf.hub.links)} links, ${int(wf.hub.pendingStamps)} pending`,
      `${int(bl.hub.links)} links, ${int(bl.hub.pendingStamps)} pending`,
      `task links (distinct CRM IDs ${int(wf.hub.distinctCrmIds)} / ${int(bl.hub.distinctCrmIds)}), stamps not read back; tasks with their CRM ID ${int(wf.hub.withExternalId)} / ${int(bl.hub.withExternalId)}`,
    ],
    ['exactly N in Salesforce', correct(wf, n) ? 'yes' : 'NO (ERROR)', correct(bl, n) ? 'yes' : 'NO (ERROR)', 'N Tasks, N distinct keys, each a hub task'],
    ['created = N (run statistics)', wf.stats.created === n ? 'yes' : 'no', bl.stats.created === n ? 'yes' : 'no', ''],
  ];
  const fifths = (g: WriteGaps) => `${g.firstFifthMs.toFixed(0)} → ${g.lastFifthMs.toFixed(0)} ms`;
  const gap = (g: WriteGaps, boundary: boolean) => (boundary ? perPage(g.boundaryMs, g.boundaries) : perPage(g.withinMs, g.within));
  const lines = [
    `tasks-outbound, N = ${int(n)} hub tasks (${int(r.accounts)} accounts; orgs ${r.identicalOrgs ? 'identical (same Account and User IDs)' : 'equivalent (IDs differ)'}; ` +
      `set-up ${secs(r.setupMs)}, hub tasks inserted${r.analyzed ? ' and analyzed' : ', NOT analyzed,'} in ${secs(r.insertMs)}); measured ${r.order.join(', then ')}`,
    table(rows),
    `  CPU by thread, worker: ${threadCpu(wf.cpu)}`,
    `                baseline: ${threadCpu(bl.cpu)}`,
    `  beyond the minimum, workflow: ${beyondMinimum(wf.api, n) || 'none'}`,
    `                      baseline: ${beyondMinimum(bl.api, n) || 'none'}`,
    `  workflow stats: ${describeStats(wf.stats)}`,
    `  baseline stats: ${describeStats(bl.stats)}`,
    '  where the time goes:',
    `    workflow: beginRun + countRunSource ${secs(b.beginMs)} (validation); ${b.pageCalls} syncOutboundPages calls ${secs(b.pagesMs)} inside the activity ` +
      `(${perPage(b.pagesMs, wfPages)} a page); schedule-to-start ${secs(b.scheduleToStartMs)} in all; finishOutboundRun + finishRun ${secs(b.finishMs)}; ` +
      `outside activities (workflow tasks, start, result, continue-as-new) ${secs(b.outsideMs)}${b.retries ? `; ${b.retries} retried activities` : ''}`,
    `    baseline: ${int(blPages)} pages: hub reads ${secs(bl.child.readMs)}, syncOutboundPage ${secs(bl.child.syncMs)} (${perPage(bl.child.readMs + bl.child.syncMs, blPages)} a page); ` +
      `settlePendingStamps ${secs(bl.child.settleMs)} (${int(bl.child.settled)} stamps) (as timed inside the baseline process)`,
    table([
      ['  collection write received → the next one, mean', 'workflow', 'baseline', ''],
      ['  within an activity call', gap(wf.gaps, false), gap(bl.gaps, false), 'a page: the sandbox answering, hub transaction, next hub read, look-ups, read by ID'],
      ['    first fifth of the run → last fifth', fifths(wf.gaps), fifths(bl.gaps), 'warm-up'],
      ['  across an activity boundary', gap(wf.gaps, true), '-', `every ${PAGES_PER_ACTIVITY} pages: ${wf.gaps.boundaries} boundaries (activity completed, workflow task, next activity started)`],
    ]),
  ];
  return { ok: correct(wf, n) && correct(bl, n), text: lines.join('\n') };
}

function reportTargets(results: SizeResult[]): string {
  const sizes = results.map((r) => int(r.n)).join(' | ');
  const ratios = results.map((r) => rate(r.n, r.workflow.ms) / rate(r.n, r.baseline.ms));
  const over = results.map((r) => r.workflow.api.data - minimumCalls(r.n));
  const longest = results.map((r) => longestHistory(r.workflow));
  const bounds = results.map((r) => historyBound(r.callsPerExecution, OTHER_ACTIVITIES));
  const rows = [
    [`throughput ≥ ${TARGET_RATIO.toFixed(1)} × baseline (N = ${sizes})`, ratios.map((x) => ratioText(x, TARGET_RATIO)).join(' | '), verdict(ratios.every((x) => x >= TARGET_RATIO))],
    [
      `records/s workflow | baseline (N = ${sizes})`,
      results.map((r) => `${int(rate(r.n, r.workflow.ms))} | ${int(rate(r.n, r.baseline.ms))}`).join('; '),
      'info',
    ],
    [
      `worker CPU per record (N = ${sizes})`,
      `${results.map((r) => usPerRecord(r.workflow.cpu.self, r.n)).join(' | ')}; baseline process ${results.map((r) => usPerRecord(r.baseline.cpu.self, r.n)).join(' | ')}`,
      'info',
    ],
    [
      `API calls ≤ 2 × ceil(N/200) + ${API_CALL_SLACK} (N = ${sizes})`,
      `${over.map(signed).join(' | ')} (minimum ${results.map((r) => int(minimumCalls(r.n))).join(' | ')}; baseline ${results.map((r) => signed(r.baseline.api.data - minimumCalls(r.n))).join(' | ')})`,
      verdict(over.every((x) => x <= API_CALL_SLACK)),
    ],
    [
      `history bounded by continue-as-new (N = ${sizes})`,
      `${longest.map((e) => `${int(e)} events`).join(' | ')} (bound ${bounds.map(int).join(' | ')}, whatever N; executions ${results.map((r) => r.workflow.chain.events.length).join(' | ')}; ` +
        `Temporal's limit ${int(TEMPORAL_HISTORY_EVENT_LIMIT)})`,
      verdict(longest.every((e, i) => e <= (bounds[i] ?? 0))),
    ],
    rssTargetRow(
      results.map((r) => ({ n: r.n, worker: r.workflow.rss.peak, baseline: r.baseline.rss.peak })),
      RSS_GROWTH_TOLERANCE,
    ),
  ];
  return `Targets\n${table(rows)}`;
}

// ---------------------------------------------------------------------------------------------- main

runBench(log, { name: 'outbound', sandboxes: 2 }, async (stack, cleanup) => {
  const opts = parseSizeOptions(process.argv.slice(2), {
    command: 'npx tsx bench/outbound.ts',
    records: 'hub tasks to create and sync',
    quick: 2_000,
    flags: { [NO_ANALYZE]: "leave the hub's tasks table unanalyzed after the insert, as right after a bulk load (see ANALYZE in the header)" },
  });
  const ctx: Ctx = { ...stack, opts, cleanup };
  await benchSizes(
    opts.sizes,
    `Outbound run benchmark: tasks-outbound, workflow vs baseline (Node ${process.version}, ${os.cpus().length} CPUs; page size ${int(PAGE_SIZE)}, ` +
      `${PAGES_PER_ACTIVITY} pages per activity call; sizes ${opts.sizes.map(int).join(', ')})`,
    { measure: (n, i) => benchSize(ctx, n, i), report: reportSize, targets: reportTargets, failure: 'a run did not leave exactly N Tasks in Salesforce (see "exactly N in Salesforce" above)' },
  );
});
