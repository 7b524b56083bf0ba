/**
 * Benchmark of write-back latency: `npm run bench:writeback` (= `npx tsx bench/writeback.ts [--quick]`).
 *
 * One stack for the whole run: a throwaway PostgreSQL, the Temporal dev server, the Salesforce sandbox seeded
 * with the demo org, the HubSpot sandbox seeded with the demo portal and the Dataverse sandbox seeded with its
 * demo org, each in a child process (bench/inbound-sandbox.ts, BENCH_SANDBOX_SEED=demo), a real `hubsync worker`
 * process, and this process as the caller (HubsyncClient.connect, as service code uses it). Setup, not
 * measured: the connections, an accounts-inbound job for each from its template and one run of each (on HubSpot
 * with `health_score`, a custom number property, and on Dataverse with `numberofemployees`, a number column,
 * mapped to the same Health Score attribute: bench/writeback-hubspot.ts, bench/writeback-dynamics.ts), write-back
 * on for health_score (Health_Score__c, health_score, numberofemployees) and success_manager (Owner.Email,
 * re-point, micro-sync of Owner.Name and Owner.Phone), one write-back on each account (each starts its account's
 * workflow) and a few more, and a few floor iterations. Then, each timed as the caller sees `HubsyncClient.writeBack`:
 *
 * a. sequential single-attribute write-backs (health_score, a new value each time), round robin over 5 accounts;
 * h. the same on 5 HubSpot companies (the HubSpot column);
 * v. the same on 5 Dataverse accounts (the Dataverse column);
 * b. 50 concurrent ones on 50 accounts; c. 20 concurrent ones on one account (applied one after another by
 *    design); d. sequential re-points of success_manager alternating between two active demo users.
 *
 * CRM calls are counted from the sandboxes' request logs (Salesforce: `/services/data/` only; HubSpot: every
 * API request, OAuth apart), cleared before each phase.
 *
 * The floor, in the same run, interleaved with phase (a) iteration by iteration (rotating which goes first),
 * the same number of times: (i) an empty Workflow Update round trip on a running workflow
 * (bench/writeback-floor-workflow.ts, a no-op handler, run by bench/writeback-floor-worker.ts, a worker
 * process of its own on its own task queue with the SDK's default options, like the `hubsync worker`), sent
 * through the same Temporal client; (ii) the read and the conditional PATCH a plain write-back makes, sent
 * directly by this process with a jsforce connection opened as the worker opens its own (openSalesforce), on
 * an Account of the same org that the hub does not hold. A write-back cannot do less than one update round
 * trip and those two CRM calls, one after the other, so floor p50 = p50(i) + p50(ii); the target leaves
 * 15 ms for everything else (checking the request, the activity, the hub's log and values). HubSpot's floor is
 * built the same way, interleaved with phase (h): (i) again, and (iii) the three calls a write-back to HubSpot
 * makes (GET the company, GET its stamp again, PATCH), sent directly with @hubspot/api-client on a company the
 * hub does not hold; floor p50 = p50(i) + p50(iii), the same 15 ms on top. Dataverse's likewise, interleaved with
 * phase (v): (i) again, and (iv) the two calls a write-back to Dataverse makes (GET the row with the column and
 * its versionnumber, PATCH with If-Match on that version), sent directly with dynamics-web-api on an account the
 * hub does not hold; floor p50 = p50(i) + p50(iv), the same 15 ms on top.
 *
 * Timing never fails the run: the exit code is 1 only if an outcome is not `written` (or a check of the
 * written values fails) or the benchmark itself failed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WithStartWorkflowOperation, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Connection as SfConnection } from 'jsforce';
import { addConnection } from '../activities/hub/connections';
import { SecretBox } from '../activities/hub/secrets';
import { createPool, migrate, type Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { openSalesforce } from '../activities/crm/salesforce/client';
import { configFromTemplate } from '../activities/mapping/job-config';
import { HubsyncClient } from '../client/hubsync-client';
import { clearProxyVariables, loadEnv } from '../kernel/env';
import { makeAccountWriteBackWorkflowId, type WriteBackOutcome, type WriteBackRequest } from '../kernel/writeback';
import { freePort } from '../local/ports';
import { startThrowawayPostgres } from '../local/postgres';
import { stopChild } from '../local/processes';
import { startDevServer } from '../local/temporal-server';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import { FLOOR_TASK_QUEUE, floorStopSignal, floorUpdate, writeBackFloorWorkflow } from './writeback-floor-workflow';
import { HUBSPOT_ACCOUNTS_JOB, HUBSPOT_CONNECTION_ID, hubspotClient, hubspotFloor, hubspotHealthScores, setUpHubSpot } from './writeback-hubspot';
import { DYNAMICS_ACCOUNTS_JOB, DYNAMICS_CONNECTION_ID, dynamicsClient, dynamicsFloor, dynamicsHealthScores, setUpDynamics } from './writeback-dynamics';
import { clearRequestLog, requestLog } from './measure';
import { Cleanup, askToExit, errorText, forkTs, nextMessage, startSandboxProcess, WorkerProcess, type Sandbox } from './processes';

// ---------------------------------------------------------------------------------------------- targets

/** p50(a) may exceed the floor's p50 by this much. */
const FLOOR_SLACK_MS = 15;
/** p99(a) ≤ this × p50(a). */
const TAIL_RATIO = 3;
/** A plain write-back: the read and the PATCH. */
const CALLS_PLAIN = 2;
/** A plain write-back to HubSpot: the read, the stamp read again right before the PATCH (no conditional update), the PATCH. */
const CALLS_PLAIN_HUBSPOT = 3;
/** A plain write-back to Dataverse: the read of the row (values and versionnumber), the PATCH with If-Match. */
const CALLS_PLAIN_DYNAMICS = 2;
/** A re-point with micro-sync: the read, the User look-up, the PATCH and the read back. */
const CALLS_REPOINT = 4;

const CONNECTION_ID = 'bench-sfdc';
const ACCOUNTS_JOB = 'bench-accounts-inbound';
const FLOOR_WORKFLOW_ID = 'hubsync-bench-writeback-floor';
/**
 * Updates the floor workflow takes in one execution before the bench starts a fresh one: Temporal refuses more
 * than 2,000 updates in one execution (the server's `history.maxTotalUpdates`; update-with-start
 * then fails with FAILED_PRECONDITION), and three sequential phases of 500 plus the rest pass that.
 */
const FLOOR_UPDATES_PER_EXECUTION = 1000;
/** Updates sent to a fresh floor execution before it is measured, so none of them meets it cold. */
const FLOOR_WARMUP = 5;
/** Phase (a) goes round robin over this many accounts (each stays well under the 200 updates of one execution). */
const SEQUENTIAL_ACCOUNTS = 5;

interface Sizes {
  sequential: number;
  parallel: number;
  oneAccount: number;
  repoints: number;
  warmup: number;
}

const FULL: Sizes = { sequential: 500, parallel: 50, oneAccount: 20, repoints: 50, warmup: 20 };
const QUICK: Sizes = { sequential: 50, parallel: 10, oneAccount: 5, repoints: 10, warmup: 5 };

// ---------------------------------------------------------------------------------------------- helpers

const log = (line: string) => process.stderr.write(`[bench:writeback] ${line}\n`);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function parseArgs(argv: string[]): Sizes {
  let sizes = FULL;
  for (const arg of argv) {
    if (arg === '--quick') sizes = QUICK;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'npx tsx bench/writeback.ts [--quick]\n' +
          `  (default)  ${FULL.sequential} sequential, ${FULL.parallel} concurrent on ${FULL.parallel} accounts, ${FULL.oneAccount} concurrent on one account, ${FULL.repoints} re-points; floor ${FULL.sequential} times\n` +
          `  --quick    a smoke run: ${QUICK.sequential}, ${QUICK.parallel}, ${QUICK.oneAccount}, ${QUICK.repoints}\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  return sizes;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length) };
}

const latencyCells = (l: Latency) => [ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max), ms(l.mean)];

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------------------------- measuring

interface Timed {
  ms: number;
  outcome?: WriteBackOutcome;
  error?: string;
}

interface PhaseResult {
  name: string;
  accounts: string;
  timings: Timed[];
  /** `/services/data/` requests the sandbox logged during the phase (the floor's left out). */
  requests: LoggedRequest[];
  /** Outcomes (or errors) that are not `written`, described. */
  wrong: string[];
  /** Other checks of the phase (last value won, micro-sync refreshes), failed ones described. */
  checks: Array<{ ok: boolean; text: string }>;
}

/** A request that names the record `id`: a segment of its path (Dataverse's `accounts(<id>)` too), or in its SOQL. */
const mentions = (r: LoggedRequest, id: string) =>
  r.path.split('/').some((segment) => segment === id || segment.toLowerCase().endsWith(`(${id.toLowerCase()})`)) || (new URLSearchParams(r.query).get('q') ?? '').includes(id);

function notWritten(t: Timed, what: string): string | undefined {
  if (t.error) return `${what}: threw ${t.error.split('\n')[0]}`;
  if (!t.outcome || t.outcome.sources.length === 0) return `${what}: no outcome`;
  const bad = t.outcome.sources.filter((s) => s.status !== 'written');
  return bad.length ? `${what}: ${bad.map((s) => `${s.attribute} ${s.status}${s.message ? ` (${s.message})` : ''}`).join('; ')}` : undefined;
}

interface Account {
  hubId: number;
  crmId: string;
}

/** One CRM of the benchmark, as the sequential phase and its floor use it. */
interface CrmSide {
  label: 'Salesforce' | 'HubSpot' | 'Dataverse';
  sandbox: Sandbox;
  /** The hub accounts linked to this CRM's connection (each linked to it alone). */
  accounts: Account[];
  /** The floor's own record, which the hub does not hold. */
  floorId: string;
  /** The floor's CRM half: the calls a plain write-back makes, sent directly; their time. */
  floorCalls: () => Promise<number>;
  /** What the floor's CRM half sends, for the report. */
  floorWhat: string;
  /** The health score the CRM holds for each record. */
  healthScores: (crmIds: string[]) => Promise<Map<string, number | null>>;
  /** The requests of the sandbox's log that count as CRM API calls. */
  isApi: (r: LoggedRequest) => boolean;
}

interface Ctx {
  hubsync: HubsyncClient;
  pool: Pool;
  /** jsforce on the Salesforce sandbox, for (c)'s check. */
  conn: SfConnection;
  salesforce: CrmSide;
  hubspot: CrmSide;
  dynamics: CrmSide;
  sizes: Sizes;
  /** The CRM's health score of each account, as this benchmark last wrote it (Salesforce, HubSpot and Dataverse IDs never collide). */
  score: Map<string, number>;
  /** The running floor workflow's execution, and the updates it has taken. */
  floor: { handle: WorkflowHandle; updates: number };
  seq: number;
}

/** The CRM API requests the side's sandbox logged since its log was last cleared. */
const apiRequests = async (side: CrmSide) => (await requestLog(side.sandbox)).filter(side.isApi);

/** A new health score for the account: 1..40 above the current one (modulo 1000: the field is 3 digits). */
function nextScore(ctx: Ctx, crmId: string): number {
  const current = ctx.score.get(crmId) ?? 0;
  const next = (current + 1 + (ctx.seq % 40)) % 1000;
  ctx.score.set(crmId, next);
  return next;
}

function request(ctx: Ctx, account: Account, changes: WriteBackRequest['changes']): WriteBackRequest {
  return { account: account.hubId, changes, origin: 'account-profile', actor: 'bench@hubsync.example', requestId: `bench-wb-${process.pid}-${ctx.seq++}` };
}

async function timedWriteBack(ctx: Ctx, req: WriteBackRequest): Promise<Timed> {
  const started = performance.now();
  try {
    const outcome = await ctx.hubsync.writeBack(req);
    return { ms: performance.now() - started, outcome };
  } catch (err) {
    return { ms: performance.now() - started, error: errorText(err) };
  }
}

const healthScore = (ctx: Ctx, account: Account) => request(ctx, account, { health_score: nextScore(ctx, account.crmId) });

/** (i) of the floor: an empty update on the running floor workflow. */
async function floorUpdateOnce(ctx: Ctx, i: number): Promise<number> {
  const started = performance.now();
  ctx.floor.updates++;
  const answer = await ctx.floor.handle.executeUpdate(floorUpdate, { args: [i] });
  const took = performance.now() - started;
  if (answer !== i) throw new Error(`the floor update answered ${answer}, not ${i}`);
  return took;
}

/** (ii) of the floor on Salesforce: the write-back's read and conditional PATCH of `accountId`, straight from jsforce. */
function salesforceFloorCalls(conn: SfConnection, accountId: string): () => Promise<number> {
  let value = 50;
  return async () => {
    value = (value + 1) % 1000;
    const started = performance.now();
    const read = await conn.query<{ Id: string; LastModifiedDate: string; Health_Score__c: number | null }>(`SELECT Id, LastModifiedDate, Health_Score__c FROM Account WHERE Id = '${accountId}'`, {
      autoFetch: false,
      scanAll: false,
    });
    const lastModified = read.records[0]?.LastModifiedDate;
    if (!lastModified) throw new Error(`the floor account ${accountId} was not found`);
    const written = await conn.sobject('Account').update({ Id: accountId, Health_Score__c: value }, { headers: { 'If-Unmodified-Since': new Date(lastModified).toUTCString() } });
    const took = performance.now() - started;
    if (!written.success) throw new Error(`the floor PATCH failed: ${JSON.stringify(written)}`);
    return took;
  };
}

/** The same empty update sent by update-with-start (USE_EXISTING), as writeBack sends its updates: informational. */
async function floorUpdateWithStartOnce(ctx: Ctx, i: number): Promise<number> {
  const startWorkflowOperation = new WithStartWorkflowOperation(writeBackFloorWorkflow, { workflowId: FLOOR_WORKFLOW_ID, taskQueue: FLOOR_TASK_QUEUE, workflowIdConflictPolicy: 'USE_EXISTING' });
  ctx.floor.updates++;
  const started = performance.now();
  await ctx.hubsync.temporal.workflow.executeUpdateWithStart(floorUpdate, { args: [i], startWorkflowOperation });
  return performance.now() - started;
}

/** A new execution of the floor workflow (the running one terminated), warmed up. */
async function startFloorWorkflow(client: Client): Promise<{ handle: WorkflowHandle; updates: number }> {
  const handle = await client.workflow.start(writeBackFloorWorkflow, { workflowId: FLOOR_WORKFLOW_ID, taskQueue: FLOOR_TASK_QUEUE, workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
  for (let i = 0; i < FLOOR_WARMUP; i++) await handle.executeUpdate(floorUpdate, { args: [i] });
  return { handle, updates: FLOOR_WARMUP };
}

/** Before `updates` more floor updates: a fresh execution when the running one would pass FLOOR_UPDATES_PER_EXECUTION. */
async function floorRoomFor(ctx: Ctx, updates: number): Promise<void> {
  if (ctx.floor.updates + updates > FLOOR_UPDATES_PER_EXECUTION) ctx.floor = await startFloorWorkflow(ctx.hubsync.temporal);
}

interface Floor {
  /** (i): the empty update. */
  update: number[];
  /** (ii) or (iii): the CRM calls. */
  crm: number[];
  /** The CRM API requests of the CRM half, from the sandbox log. */
  crmRequests: LoggedRequest[];
}

/**
 * A sequential phase on one CRM ((a) Salesforce, (h) HubSpot), with the floor interleaved: each iteration one
 * write-back, one empty update, one round of the floor's CRM calls, in rotating order.
 */
async function phaseSequential(ctx: Ctx, side: CrmSide, name: string): Promise<{ phase: PhaseResult; floor: Floor }> {
  const targets = side.accounts.slice(0, SEQUENTIAL_ACCOUNTS);
  const timings: Timed[] = [];
  const floor: Floor = { update: [], crm: [], crmRequests: [] };
  await floorRoomFor(ctx, ctx.sizes.sequential);
  await clearRequestLog(side.sandbox);
  for (let i = 0; i < ctx.sizes.sequential; i++) {
    const steps = [
      async () => void timings.push(await timedWriteBack(ctx, healthScore(ctx, targets[i % targets.length] as Account))),
      async () => void floor.update.push(await floorUpdateOnce(ctx, i)),
      async () => void floor.crm.push(await side.floorCalls()),
    ];
    for (let k = 0; k < steps.length; k++) await (steps[(i + k) % steps.length] as () => Promise<void>)();
  }
  const all = await apiRequests(side);
  floor.crmRequests = all.filter((r) => mentions(r, side.floorId));
  const wrong = timings.map((t, i) => notWritten(t, `write-back ${i}`)).filter((w): w is string => w !== undefined);
  const checks = await lastValuesHeld(ctx, side, targets);
  return {
    phase: { name: `${name}. ${ctx.sizes.sequential} sequential, ${side.label}`, accounts: `round robin over ${targets.length} accounts`, timings, requests: all.filter((r) => !mentions(r, side.floorId)), wrong, checks },
    floor,
  };
}

/** The CRM holds the value each account was last written. */
async function lastValuesHeld(ctx: Ctx, side: CrmSide, accounts: Account[]): Promise<Array<{ ok: boolean; text: string }>> {
  const held = await side.healthScores(accounts.map((a) => a.crmId));
  const off = accounts.filter((a) => held.get(a.crmId) !== ctx.score.get(a.crmId)).map((a) => `${a.crmId} holds ${String(held.get(a.crmId))}, expected ${String(ctx.score.get(a.crmId))}`);
  return [{ ok: off.length === 0 && held.size === accounts.length, text: off.length ? `last values in the CRM: ${off.join('; ')}` : `the CRM holds each account's last value (${held.size} accounts)` }];
}

/** Phase (b): one write-back per account, all at once. */
async function phaseParallel(ctx: Ctx): Promise<PhaseResult> {
  const sf = ctx.salesforce;
  const targets = sf.accounts.slice(0, ctx.sizes.parallel);
  const requests = targets.map((a) => healthScore(ctx, a));
  await clearRequestLog(sf.sandbox);
  const timings = await Promise.all(requests.map((r) => timedWriteBack(ctx, r)));
  const all = await apiRequests(sf);
  const wrong = timings.map((t, i) => notWritten(t, `write-back ${i}`)).filter((w): w is string => w !== undefined);
  return { name: `b. ${targets.length} concurrent`, accounts: `${targets.length} different accounts`, timings, requests: all, wrong, checks: await lastValuesHeld(ctx, sf, targets) };
}

/** Phase (c): several write-backs to one account at once; the workflow applies them one after another. */
async function phaseOneAccount(ctx: Ctx, target: Account): Promise<PhaseResult> {
  const requests = Array.from({ length: ctx.sizes.oneAccount }, () => healthScore(ctx, target));
  await clearRequestLog(ctx.salesforce.sandbox);
  const timings = await Promise.all(requests.map((r) => timedWriteBack(ctx, r)));
  const all = await apiRequests(ctx.salesforce);
  const wrong = timings.map((t, i) => notWritten(t, `write-back ${i}`)).filter((w): w is string => w !== undefined);
  // Applied in sequence: each one's value before is the previous one's value after; the last applied won.
  const { rows } = await ctx.pool.query<{ request_id: string; previous_value: number; value_after: number }>(
    'SELECT request_id, previous_value, value_after FROM write_back_log WHERE request_id = ANY($1) ORDER BY completed_at, id',
    [requests.map((r) => r.requestId)],
  );
  const chained = rows.every((r, i) => i === 0 || r.previous_value === rows[i - 1]?.value_after);
  const last = rows[rows.length - 1];
  const { records } = await ctx.conn.query<{ Health_Score__c: number | null }>(`SELECT Health_Score__c FROM Account WHERE Id = '${target.crmId}'`);
  const held = records[0]?.Health_Score__c;
  if (held !== undefined && held !== null) ctx.score.set(target.crmId, held);
  const lastRequested = requests.find((r) => r.requestId === last?.request_id)?.changes['health_score'];
  return {
    name: `c. ${requests.length} concurrent, one account`,
    accounts: `account ${target.crmId}`,
    timings,
    requests: all,
    wrong,
    checks: [
      { ok: rows.length === requests.length && chained, text: `applied one after another: ${rows.length} log rows, each one's value before = the previous one's value after: ${chained ? 'yes' : 'NO'}` },
      { ok: last !== undefined && held === last.value_after && held === lastRequested, text: `the last applied won: the CRM holds ${String(held)}, the last applied request wrote ${String(last?.value_after)} (requested ${String(lastRequested)})` },
    ],
  };
}

/** Phase (d): re-points of the account's owner, alternating between two users, with micro-sync. */
async function phaseRepoint(ctx: Ctx, target: Account, emails: [string, string]): Promise<PhaseResult> {
  const timings: Timed[] = [];
  await clearRequestLog(ctx.salesforce.sandbox);
  for (let i = 0; i < ctx.sizes.repoints; i++) timings.push(await timedWriteBack(ctx, request(ctx, target, { success_manager: emails[i % 2] as string })));
  const all = await apiRequests(ctx.salesforce);
  const wrong = timings.map((t, i) => notWritten(t, `re-point ${i}`)).filter((w): w is string => w !== undefined);
  const refreshed = timings.filter((t) => {
    const keys = (t.outcome?.sources[0]?.refreshed ?? []).map((r) => r.attribute);
    return keys.includes('success_manager_name') && keys.includes('success_manager_phone');
  }).length;
  const example = timings[0]?.outcome?.sources[0]?.refreshed.map((r) => `${r.attribute}: ${JSON.stringify(r.before)} → ${JSON.stringify(r.after)}`).join(', ');
  return {
    name: `d. ${timings.length} re-points`,
    accounts: `account ${target.crmId}, Owner.Email alternating ${emails.join(' / ')}`,
    timings,
    requests: all,
    wrong,
    checks: [{ ok: refreshed === timings.length, text: `micro-sync refreshes (success_manager_name, success_manager_phone) returned by ${refreshed} of ${timings.length}; first: ${example ?? '-'}` }],
  };
}

// ---------------------------------------------------------------------------------------------- reporting

interface Summary {
  latency: Latency;
  callsPerWriteBack: number;
  outcomeCallsPerWriteBack: number;
}

function summarize(p: PhaseResult): Summary {
  const crmCalls = p.timings.reduce((s, t) => s + (t.outcome?.sources ?? []).reduce((x, o) => x + o.crmCalls, 0), 0);
  return { latency: latency(p.timings.map((t) => t.ms)), callsPerWriteBack: p.requests.length / Math.max(1, p.timings.length), outcomeCallsPerWriteBack: crmCalls / Math.max(1, p.timings.length) };
}

function callKinds(requests: LoggedRequest[]): string {
  const kinds = new Map<string, number>();
  for (const r of requests) {
    const q = new URLSearchParams(r.query).get('q') ?? '';
    // Record IDs as {id}: Salesforce's 15 or 18 characters, HubSpot's digits, Dataverse's GUIDs in parentheses.
    const path = r.path
      .replace(/^\/(services\/data|api\/data)\/[^/]+/, '')
      .replace(/\/([0-9A-Za-z]{15,18}|\d+)$/, '/{id}')
      .replace(/\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)/i, '({id})');
    const what = r.method === 'GET' && /\/query$/.test(r.path) ? `SOQL ${/FROM\s+(\w+)/i.exec(q)?.[1] ?? '?'}` : `${r.method} ${path}`;
    const key = `${what}${r.status >= 400 ? ` (${r.status})` : ''}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** Where the time of a phase's write-backs goes, from their outcomes and the sandbox's log. */
function breakdown(p: PhaseResult): string[][] {
  const ok = p.timings.filter((t) => t.outcome);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const caller = mean(ok.map((t) => t.ms));
  const accepted = mean(ok.map((t) => t.outcome?.durationMs ?? 0));
  const sources = mean(ok.map((t) => (t.outcome?.sources ?? []).reduce((s, o) => s + o.durationMs, 0)));
  const crmServer = p.requests.reduce((s, r) => s + r.durationMs, 0) / Math.max(1, ok.length);
  return [
    ['  mean per write-back', 'ms', ''],
    ['  as the caller sees it', caller.toFixed(1), 'HubsyncClient.writeBack'],
    ['  request accepted → activity done', accepted.toFixed(1), "outcome.durationMs: the client's checks, the update reaching the workflow, the activity"],
    ['    of which applying the source(s)', sources.toFixed(1), "sources[].durationMs: the hub reads, the CRM calls, the pending row, the final transaction"],
    ['      of which the sandbox answering', crmServer.toFixed(1), 'its request log, server side'],
    ['  activity done → caller has it', (caller - accepted).toFixed(1), 'the request row completed, the activity result, a workflow task, the update result'],
  ];
}

interface UpdateTimeline {
  updates: number;
  acceptedToScheduled: number;
  scheduledToStarted: number;
  startedToCompleted: number;
  completedToUpdateDone: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
const eventMs = (e: HistoryEvent) => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/**
 * Per update of a phase, from the server's timestamps in the accounts' histories: accepted → activity
 * scheduled → started → completed → update completed (medians).
 */
async function updateTimeline(ctx: Ctx, p: PhaseResult, accounts: Account[]): Promise<UpdateTimeline> {
  const wanted = new Set(p.timings.map((t) => t.outcome?.requestId).filter((id): id is string => id !== undefined));
  const parts: Array<[number, number, number, number]> = [];
  for (const account of accounts) {
    const events = (await ctx.hubsync.temporal.workflow.getHandle(makeAccountWriteBackWorkflowId(account.hubId)).fetchHistory()).events ?? [];
    const accepted = new Map<string, number>();
    let current: { id: string; accepted: number; scheduled?: number; started?: number; completed?: number } | undefined;
    for (const e of events) {
      const acceptedId = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
      if (acceptedId) {
        accepted.set(acceptedId, eventMs(e));
        current = { id: acceptedId, accepted: eventMs(e) };
      } else if (e.activityTaskScheduledEventAttributes && current) current.scheduled = eventMs(e);
      else if (e.activityTaskStartedEventAttributes && current) current.started = eventMs(e);
      else if (e.activityTaskCompletedEventAttributes && current) current.completed = eventMs(e);
      else if (e.workflowExecutionUpdateCompletedEventAttributes) {
        const id = e.workflowExecutionUpdateCompletedEventAttributes.meta?.updateId;
        if (current && id === current.id && wanted.has(id) && current.scheduled !== undefined && current.started !== undefined && current.completed !== undefined) {
          parts.push([current.scheduled - current.accepted, current.started - current.scheduled, current.completed - current.started, eventMs(e) - current.completed]);
        }
        current = undefined;
      }
    }
  }
  const median = (i: number) => percentile(parts.map((x) => x[i] as number).sort((a, b) => a - b), 50);
  return { updates: parts.length, acceptedToScheduled: median(0), scheduledToStarted: median(1), startedToCompleted: median(2), completedToUpdateDone: median(3) };
}

function reportPhase(p: PhaseResult, s: Summary): string {
  const lines = [
    `${p.name} (${p.accounts})`,
    table([
      ['  latency', 'p50', 'p95', 'p99', 'max', 'mean'],
      ['  HubsyncClient.writeBack', ...latencyCells(s.latency)],
    ]),
    `  CRM API calls: ${p.requests.length} for ${p.timings.length} write-backs = ${s.callsPerWriteBack.toFixed(2)} per write-back (sandbox log); outcomes' crmCalls: ${s.outcomeCallsPerWriteBack.toFixed(2)} per write-back`,
    `  by kind: ${callKinds(p.requests) || 'none'}`,
    `  outcomes: ${p.timings.length - p.wrong.length} of ${p.timings.length} written${p.wrong.length ? `; NOT WRITTEN (${p.wrong.length}):\n${p.wrong.slice(0, 10).map((w) => `    ${w}`).join('\n')}` : ''}`,
    ...p.checks.map((c) => `  ${c.ok ? 'ok' : 'ERROR'}: ${c.text}`),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------- main

/** The accounts linked to a connection, by CRM ID. */
async function linkedAccounts(pool: Pool, connectionId: string): Promise<Account[]> {
  const { rows } = await pool.query<{ hub_id: string; crm_id: string }>(`SELECT hub_id, crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id`, [connectionId]);
  return rows.map((r) => ({ hubId: Number(r.hub_id), crmId: r.crm_id }));
}

async function main(): Promise<void> {
  clearProxyVariables();
  const sizes = parseArgs(process.argv.slice(2));
  const env = loadEnv();
  const cleanup = new Cleanup(log);
  cleanup.onSignals();

  try {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-bench-writeback-'));
    cleanup.defer('the work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
    log('starting PostgreSQL, the Temporal dev server, the Salesforce sandbox (demo org), the HubSpot sandbox (demo portal) and the Dataverse sandbox (demo org)...');
    const [pgStarted, temporalStarted, sandboxStarted, hsSandboxStarted, dvSandboxStarted] = await Promise.allSettled([
      freePort().then((port) => startThrowawayPostgres(port)),
      startDevServer({ cacheDir: env.cacheDir, cliPath: env.TEMPORAL_CLI_PATH, log, logFile: path.join(workDir, 'temporal.log') }),
      startSandboxProcess(cleanup, 'demo'),
      startSandboxProcess(cleanup, 'demo', 'hubspot'),
      startSandboxProcess(cleanup, 'demo', 'dynamics'),
    ]);
    if (pgStarted.status === 'fulfilled') cleanup.defer('PostgreSQL', () => pgStarted.value.stop());
    if (temporalStarted.status === 'fulfilled') cleanup.defer('Temporal', () => temporalStarted.value.stop());
    for (const started of [pgStarted, temporalStarted, sandboxStarted, hsSandboxStarted, dvSandboxStarted]) if (started.status === 'rejected') throw started.reason;
    if (pgStarted.status !== 'fulfilled' || temporalStarted.status !== 'fulfilled' || sandboxStarted.status !== 'fulfilled' || hsSandboxStarted.status !== 'fulfilled' || dvSandboxStarted.status !== 'fulfilled') {
      throw new Error('unreachable');
    }
    const databaseUrl = pgStarted.value.url;
    const temporal = temporalStarted.value;
    const sandbox = sandboxStarted.value;
    const hsSandbox = hsSandboxStarted.value;
    const dvSandbox = dvSandboxStarted.value;

    await migrate(databaseUrl);
    const pool = createPool(databaseUrl, { max: 2, applicationName: 'hubsync-bench' });
    cleanup.defer('the bench pool', () => pool.end());
    const secretKey = randomBytes(32).toString('base64');
    const box = new SecretBox(Buffer.from(secretKey, 'base64'));
    await addConnection(pool, box, { id: CONNECTION_ID, kind: 'salesforce', baseUrl: sandbox.url, ...sandbox.credentials });
    await createValidatedJob(pool, box, { id: ACCOUNTS_JOB, connectionId: CONNECTION_ID, config: configFromTemplate('accounts-inbound') });
    await setUpHubSpot(pool, box, hsSandbox);
    await setUpDynamics(pool, box, dvSandbox);

    log('starting the hubsync worker (it bundles the workflows) and the floor worker...');
    const worker = new WorkerProcess({ TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: databaseUrl, HUBSYNC_SECRET_KEY: secretKey, HUBSYNC_HOME: path.join(workDir, 'hubsync-home'), HUBSYNC_LOG_LEVEL: 'warn' });
    cleanup.defer('the worker', () => worker.stop());
    const workerExited = worker.exited();
    workerExited.catch(() => undefined);
    const floorWorker = forkTs('writeback-floor-worker.ts', { TEMPORAL_ADDRESS: temporal.address });
    cleanup.defer('the floor worker', () => stopChild(floorWorker, { ask: askToExit, graceMs: 20000 }));
    await Promise.all([worker.ready(300000), nextMessage<{ type: string }>(floorWorker, 'the floor worker')]);

    const hubsync = await HubsyncClient.connect({ temporalAddress: temporal.address, databaseUrl, secretBox: () => box });
    cleanup.defer('the hubsync client', () => hubsync.close());
    const temporalClient: Client = hubsync.temporal;

    log('importing the demo accounts, the demo companies and the Dataverse demo accounts (one accounts-inbound run each) and switching write-back on...');
    const imported = await Promise.race([hubsync.runJob(ACCOUNTS_JOB, 'full'), workerExited]);
    const hsImported = await Promise.race([hubsync.runJob(HUBSPOT_ACCOUNTS_JOB, 'full'), workerExited]);
    const dvImported = await Promise.race([hubsync.runJob(DYNAMICS_ACCOUNTS_JOB, 'full'), workerExited]);
    await hubsync.setAttributeWriteBack('health_score', { on: true });
    await hubsync.setAttributeWriteBack('success_manager', { on: true });
    const accounts = await linkedAccounts(pool, CONNECTION_ID);
    const hsAccounts = await linkedAccounts(pool, HUBSPOT_CONNECTION_ID);
    const dvAccounts = await linkedAccounts(pool, DYNAMICS_CONNECTION_ID);
    const needed = Math.max(sizes.parallel, SEQUENTIAL_ACCOUNTS + 2);
    if (accounts.length < needed) throw new Error(`the import linked ${accounts.length} accounts; the benchmark needs ${needed}`);
    if (hsAccounts.length < SEQUENTIAL_ACCOUNTS) throw new Error(`the HubSpot import linked ${hsAccounts.length} accounts; the benchmark needs ${SEQUENTIAL_ACCOUNTS}`);
    if (dvAccounts.length < SEQUENTIAL_ACCOUNTS) throw new Error(`the Dataverse import linked ${dvAccounts.length} accounts; the benchmark needs ${SEQUENTIAL_ACCOUNTS}`);

    const conn = await openSalesforce({ id: CONNECTION_ID, baseUrl: sandbox.url, settings: { loginUrl: sandbox.url, clientId: sandbox.credentials.clientId }, secrets: { clientSecret: sandbox.credentials.clientSecret, refreshToken: sandbox.credentials.refreshToken } });
    const { records: scores } = await conn.query<{ Id: string; Health_Score__c: number | null }>('SELECT Id, Health_Score__c FROM Account');
    // The floor's own Account: same object and fields, created after the import, so the hub never holds it
    // (its direct PATCHes would otherwise make the hub's last-seen value stale).
    const floorAccount = await conn.sobject('Account').create({ Name: 'Bench floor account', Health_Score__c: 50, Tier__c: 'Tier 2', Products__c: 'Platform' });
    if (!floorAccount.success) throw new Error(`creating the floor account failed: ${JSON.stringify(floorAccount)}`);
    const hs = hubspotClient(hsSandbox);
    const hsFloor = await hubspotFloor(hs);
    const dv = dynamicsClient(dvSandbox);
    const dvFloor = await dynamicsFloor(dv);
    const floorWorkflow = await startFloorWorkflow(temporalClient);

    const salesforce: CrmSide = {
      label: 'Salesforce',
      sandbox,
      accounts,
      floorId: floorAccount.id,
      floorCalls: salesforceFloorCalls(conn, floorAccount.id),
      floorWhat: 'jsforce SOQL read + conditional PATCH',
      healthScores: async (ids) => {
        const { records } = await conn.query<{ Id: string; Health_Score__c: number | null }>(`SELECT Id, Health_Score__c FROM Account WHERE Id IN (${ids.map((id) => `'${id}'`).join(', ')})`);
        return new Map(records.map((r) => [r.Id, r.Health_Score__c]));
      },
      isApi: (r) => r.path.startsWith('/services/data/'),
    };
    const hubspot: CrmSide = {
      label: 'HubSpot',
      sandbox: hsSandbox,
      accounts: hsAccounts,
      floorId: hsFloor.id,
      floorCalls: hsFloor.once,
      floorWhat: '@hubspot/api-client GET + GET + PATCH',
      healthScores: (ids) => hubspotHealthScores(hs, ids),
      isApi: (r) => !r.path.startsWith('/oauth/'),
    };
    const dynamics: CrmSide = {
      label: 'Dataverse',
      sandbox: dvSandbox,
      accounts: dvAccounts,
      floorId: dvFloor.id,
      floorCalls: dvFloor.once,
      floorWhat: 'dynamics-web-api GET + PATCH with If-Match',
      healthScores: (ids) => dynamicsHealthScores(dv, ids),
      isApi: (r) => r.path.startsWith('/api/data/'),
    };
    const hsScores = await hubspotHealthScores(hs, hsAccounts.map((a) => a.crmId));
    const dvScores = await dynamicsHealthScores(dv, dvAccounts.map((a) => a.crmId));
    const ctx: Ctx = {
      hubsync,
      pool,
      conn,
      salesforce,
      hubspot,
      dynamics,
      sizes,
      score: new Map([...scores.map((r): [string, number] => [r.Id, r.Health_Score__c ?? 0]), ...[...hsScores, ...dvScores].map(([id, v]): [string, number] => [id, v ?? 0])]),
      floor: floorWorkflow,
      seq: 0,
    };
    cleanup.defer('the floor workflow', () => ctx.floor.handle.signal(floorStopSignal));
    const oneAccount = accounts[SEQUENTIAL_ACCOUNTS] as Account;
    const repointAccount = accounts[SEQUENTIAL_ACCOUNTS + 1] as Account;

    // Two active demo users for the re-points, hub users (the import made one of each account owner), the
    // first one not the account's owner now.
    const { records: users } = await conn.query<{ Email: string }>('SELECT Email FROM User WHERE IsActive = true ORDER BY Email');
    const { rows: hubUsers } = await pool.query<{ email: string }>('SELECT lower(email) AS email FROM hub_users');
    const known = new Set(hubUsers.map((u) => u.email));
    const candidates = users.map((u) => u.Email.toLowerCase()).filter((e) => known.has(e));
    const { records: owner } = await conn.query<{ Owner: { Email: string } }>(`SELECT Owner.Email FROM Account WHERE Id = '${repointAccount.crmId}'`);
    const ownerEmail = owner[0]?.Owner.Email.toLowerCase();
    const pair = candidates.filter((e) => e !== ownerEmail).slice(0, 2);
    if (pair.length < 2) throw new Error(`need two active Users that are hub users and not the owner of ${repointAccount.crmId}; found ${pair.join(', ') || 'none'}`);
    const emails = pair as [string, string];

    log(
      `warming up: one write-back on each of the ${accounts.length} Salesforce, ${hsAccounts.length} HubSpot and ${dvAccounts.length} Dataverse accounts (starting their workflows), ` +
        `${sizes.warmup} more on each CRM, ${sizes.warmup} floor iterations, 2 re-points...`,
    );
    const coldStarts: Timed[] = [];
    for (const account of [...accounts, ...hsAccounts, ...dvAccounts]) coldStarts.push(await timedWriteBack(ctx, healthScore(ctx, account)));
    for (let i = 0; i < sizes.warmup; i++) {
      for (const side of [salesforce, hubspot, dynamics]) {
        coldStarts.push(await timedWriteBack(ctx, healthScore(ctx, side.accounts[i % SEQUENTIAL_ACCOUNTS] as Account)));
        await side.floorCalls();
      }
      await floorUpdateOnce(ctx, i);
      await floorUpdateWithStartOnce(ctx, i);
    }
    // The worker's first re-point describes User once (its session caches describes).
    for (const email of [emails[0], emails[1]]) coldStarts.push(await timedWriteBack(ctx, request(ctx, repointAccount, { success_manager: email })));
    const warmupWrong = coldStarts.map((t, i) => notWritten(t, `warm-up ${i}`)).filter((w): w is string => w !== undefined);
    const firstOfAccount = latency(coldStarts.slice(0, accounts.length).map((t) => t.ms));
    const firstOfHsAccount = latency(coldStarts.slice(accounts.length, accounts.length + hsAccounts.length).map((t) => t.ms));
    const firstOfDvAccount = latency(coldStarts.slice(accounts.length + hsAccounts.length, accounts.length + hsAccounts.length + dvAccounts.length).map((t) => t.ms));

    const loadAtStart = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    log(`phase a: ${sizes.sequential} sequential write-backs to Salesforce, the floor interleaved...`);
    const { phase: a, floor } = await phaseSequential(ctx, salesforce, 'a');
    log(`phase h: ${sizes.sequential} sequential write-backs to HubSpot, the floor interleaved...`);
    const { phase: h, floor: hsFloorTimes } = await phaseSequential(ctx, hubspot, 'h');
    log(`phase v: ${sizes.sequential} sequential write-backs to Dataverse, the floor interleaved...`);
    const { phase: v, floor: dvFloorTimes } = await phaseSequential(ctx, dynamics, 'v');
    // Informational, after the rest: the same empty update sent as writeBack sends its own.
    const updateWithStart: number[] = [];
    await floorRoomFor(ctx, sizes.sequential);
    for (let i = 0; i < sizes.sequential; i++) updateWithStart.push(await floorUpdateWithStartOnce(ctx, i));
    log(`phase b: ${sizes.parallel} concurrent write-backs on ${sizes.parallel} accounts...`);
    const b = await phaseParallel(ctx);
    log(`phase c: ${sizes.oneAccount} concurrent write-backs on one account...`);
    const c = await phaseOneAccount(ctx, oneAccount);
    log(`phase d: ${sizes.repoints} re-points...`);
    const d = await phaseRepoint(ctx, repointAccount, emails);
    const timelines = {
      a: await updateTimeline(ctx, a, accounts.slice(0, SEQUENTIAL_ACCOUNTS)),
      h: await updateTimeline(ctx, h, hsAccounts.slice(0, SEQUENTIAL_ACCOUNTS)),
      v: await updateTimeline(ctx, v, dvAccounts.slice(0, SEQUENTIAL_ACCOUNTS)),
      b: await updateTimeline(ctx, b, accounts.slice(0, sizes.parallel)),
      d: await updateTimeline(ctx, d, [repointAccount]),
    };

    // ------------------------------------------------------------------------------------------ report
    const [sa, sh, sv, sb, sc, sd] = [a, h, v, b, c, d].map(summarize) as [Summary, Summary, Summary, Summary, Summary, Summary];
    const fu = latency(floor.update);
    const fc = latency(floor.crm);
    const hu = latency(hsFloorTimes.update);
    const hc = latency(hsFloorTimes.crm);
    const vu = latency(dvFloorTimes.update);
    const vc = latency(dvFloorTimes.crm);
    const fw = latency(updateWithStart);
    const floorP50 = fu.p50 + fc.p50;
    const hsFloorP50 = hu.p50 + hc.p50;
    const dvFloorP50 = vu.p50 + vc.p50;
    const out: string[] = [];
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    out.push(
      `Write-back benchmark (Node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model.trim() ?? '?'}; load average ${loadAtStart} at the start, ${load(os.loadavg())} at the end; ` +
        `${imported.stats.created} demo accounts, ${hsImported.stats.created} demo companies and ${dvImported.stats.created} Dataverse demo accounts imported; ` +
        'PostgreSQL, Temporal dev server, the three sandboxes, hubsync worker, floor worker and this client on this machine)',
    );
    out.push(
      `\nwarm-up: the first write-back of each account (update-with-start starts its workflow): ${accounts.length} Salesforce accounts p50 ${ms(firstOfAccount.p50)}, p95 ${ms(firstOfAccount.p95)}, max ${ms(firstOfAccount.max)}; ` +
        `${hsAccounts.length} HubSpot accounts p50 ${ms(firstOfHsAccount.p50)}, max ${ms(firstOfHsAccount.max)}; ` +
        `${dvAccounts.length} Dataverse accounts p50 ${ms(firstOfDvAccount.p50)}, max ${ms(firstOfDvAccount.max)}` +
        (warmupWrong.length ? `; NOT WRITTEN: ${warmupWrong.join('; ')}` : ''),
    );
    for (const [p, s] of [[a, sa], [h, sh], [v, sv], [b, sb], [c, sc], [d, sd]] as const) out.push(`\n${reportPhase(p, s)}`);
    for (const [key, p] of [['a', a], ['h', h], ['v', v], ['b', b], ['d', d]] as const) {
      const t = timelines[key];
      out.push(`\n  where the time of (${key}) goes\n${table(breakdown(p))}`);
      out.push(
        `  (${key}) per update, server timestamps, medians of ${t.updates}: update accepted → activity scheduled ${ms(t.acceptedToScheduled)}, ` +
          `scheduled → started ${ms(t.scheduledToStarted)}, started → completed ${ms(t.startedToCompleted)}, activity completed → update completed ${ms(t.completedToUpdateDone)}`,
      );
    }
    out.push(
      `\nfloor (${floor.update.length} iterations interleaved with (a), ${hsFloorTimes.update.length} with (h), ${dvFloorTimes.update.length} with (v))\n` +
        table([
          ['  ', 'p50', 'p95', 'p99', 'max', 'mean'],
          ['  (i) empty Workflow Update, running workflow, with (a)', ...latencyCells(fu)],
          [`  (ii) ${salesforce.floorWhat}`, ...latencyCells(fc)],
          ['  (i) empty Workflow Update, running workflow, with (h)', ...latencyCells(hu)],
          [`  (iii) ${hubspot.floorWhat}`, ...latencyCells(hc)],
          ['  (i) empty Workflow Update, running workflow, with (v)', ...latencyCells(vu)],
          [`  (iv) ${dynamics.floorWhat}`, ...latencyCells(vc)],
          ['  info: (i) sent by update-with-start, as writeBack', ...latencyCells(fw)],
        ]) +
        `\n  floor p50, Salesforce = ${ms(fu.p50)} + ${ms(fc.p50)} = ${ms(floorP50)}; (ii) made ${floor.crmRequests.length} CRM calls (${callKinds(floor.crmRequests)})` +
        `\n  floor p50, HubSpot = ${ms(hu.p50)} + ${ms(hc.p50)} = ${ms(hsFloorP50)}; (iii) made ${hsFloorTimes.crmRequests.length} CRM calls (${callKinds(hsFloorTimes.crmRequests)})` +
        `\n  floor p50, Dataverse = ${ms(vu.p50)} + ${ms(vc.p50)} = ${ms(dvFloorP50)}; (iv) made ${dvFloorTimes.crmRequests.length} CRM calls (${callKinds(dvFloorTimes.crmRequests)})`,
    );
    const column = (s: Summary, floorUpdate: Latency, floorCrm: Latency, calls: number) => {
      const f = floorUpdate.p50 + floorCrm.p50;
      return [ms(s.latency.p50), ms(s.latency.p95), ms(s.latency.p99), `${ms(floorUpdate.p50)} + ${ms(floorCrm.p50)} = ${ms(f)}`, ms(s.latency.p50 - f), verdict(s.latency.p50 <= f + FLOOR_SLACK_MS), `${s.callsPerWriteBack.toFixed(2)} (≤ ${calls})`];
    };
    const sfColumn = column(sa, fu, fc, CALLS_PLAIN);
    const hsColumn = column(sh, hu, hc, CALLS_PLAIN_HUBSPOT);
    const dvColumn = column(sv, vu, vc, CALLS_PLAIN_DYNAMICS);
    const rowNames = ['p50', 'p95', 'p99', 'floor p50 (update + CRM calls)', 'p50 over the floor', `p50 ≤ floor + ${FLOOR_SLACK_MS} ms`, 'CRM calls per write-back'];
    out.push(
      `\n${sizes.sequential} sequential single-attribute write-backs (health_score), by CRM\n` +
        table([['  ', 'Salesforce (a)', 'HubSpot (h)', 'Dataverse (v)'], ...rowNames.map((name, i) => [`  ${name}`, sfColumn[i] ?? '', hsColumn[i] ?? '', dvColumn[i] ?? ''])]),
    );
    const targetRows = [
      [`p50(a) ≤ floor p50 + ${FLOOR_SLACK_MS} ms`, `${ms(sa.latency.p50)} vs ${ms(floorP50 + FLOOR_SLACK_MS)} (floor ${ms(floorP50)}; over the floor: ${ms(sa.latency.p50 - floorP50)})`, verdict(sa.latency.p50 <= floorP50 + FLOOR_SLACK_MS)],
      [`p99(a) ≤ ${TAIL_RATIO} × p50(a)`, `${ms(sa.latency.p99)} vs ${ms(TAIL_RATIO * sa.latency.p50)} (${(sa.latency.p99 / sa.latency.p50).toFixed(2)} ×)`, verdict(sa.latency.p99 <= TAIL_RATIO * sa.latency.p50)],
      [
        `CRM calls per plain write-back ≤ ${CALLS_PLAIN}`,
        `a ${sa.callsPerWriteBack.toFixed(2)}, b ${sb.callsPerWriteBack.toFixed(2)}, c ${sc.callsPerWriteBack.toFixed(2)} (outcomes: ${sa.outcomeCallsPerWriteBack.toFixed(2)}, ${sb.outcomeCallsPerWriteBack.toFixed(2)}, ${sc.outcomeCallsPerWriteBack.toFixed(2)})`,
        verdict(Math.max(sa.callsPerWriteBack, sb.callsPerWriteBack, sc.callsPerWriteBack) <= CALLS_PLAIN),
      ],
      [`CRM calls per re-point with micro-sync ≤ ${CALLS_REPOINT}`, `${sd.callsPerWriteBack.toFixed(2)} (outcomes: ${sd.outcomeCallsPerWriteBack.toFixed(2)})`, verdict(sd.callsPerWriteBack <= CALLS_REPOINT)],
      [`HubSpot: p50(h) ≤ floor p50 + ${FLOOR_SLACK_MS} ms`, `${ms(sh.latency.p50)} vs ${ms(hsFloorP50 + FLOOR_SLACK_MS)} (floor ${ms(hsFloorP50)}; over the floor: ${ms(sh.latency.p50 - hsFloorP50)})`, verdict(sh.latency.p50 <= hsFloorP50 + FLOOR_SLACK_MS)],
      [`HubSpot: CRM calls per plain write-back ≤ ${CALLS_PLAIN_HUBSPOT}`, `${sh.callsPerWriteBack.toFixed(2)} (outcomes: ${sh.outcomeCallsPerWriteBack.toFixed(2)})`, verdict(sh.callsPerWriteBack <= CALLS_PLAIN_HUBSPOT)],
      [`Dataverse: p50(v) ≤ floor p50 + ${FLOOR_SLACK_MS} ms`, `${ms(sv.latency.p50)} vs ${ms(dvFloorP50 + FLOOR_SLACK_MS)} (floor ${ms(dvFloorP50)}; over the floor: ${ms(sv.latency.p50 - dvFloorP50)})`, verdict(sv.latency.p50 <= dvFloorP50 + FLOOR_SLACK_MS)],
      [`Dataverse: CRM calls per plain write-back ≤ ${CALLS_PLAIN_DYNAMICS}`, `${sv.callsPerWriteBack.toFixed(2)} (outcomes: ${sv.outcomeCallsPerWriteBack.toFixed(2)})`, verdict(sv.callsPerWriteBack <= CALLS_PLAIN_DYNAMICS)],
      ['p99(h); p99(v); p50 (b) / (c) / (d)', `${ms(sh.latency.p99)} (${(sh.latency.p99 / sh.latency.p50).toFixed(2)} × p50(h)); ${ms(sv.latency.p99)} (${(sv.latency.p99 / sv.latency.p50).toFixed(2)} × p50(v)); ${ms(sb.latency.p50)} / ${ms(sc.latency.p50)} / ${ms(sd.latency.p50)} (no target; (c) queues by design)`, 'info'],
    ];
    out.push(`\nTargets\n${table(targetRows)}`);
    process.stdout.write(`${out.join('\n')}\n`);

    const wrongCount = [a, h, v, b, c, d].reduce((s, p) => s + p.wrong.length, warmupWrong.length);
    const failedChecks = [a, h, v, b, c, d].flatMap((p) => p.checks).filter((x) => !x.ok).length;
    if (wrongCount > 0 || failedChecks > 0) {
      process.stdout.write(`ERROR: ${wrongCount} outcome(s) not written, ${failedChecks} check(s) failed (see above)\n`);
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
