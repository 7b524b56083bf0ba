/**
 * The chaos campaign (issue 14 §1): N trials on one real stack (test/chaos/stack.ts), each with the plan the
 * campaign's seed gives it (test/chaos/plan.ts), run and checked by test/chaos/trials.ts. Per trial: a fresh
 * hub database (a copy of a migrated template), its own task queue and worker processes, its own connection
 * and job IDs, and the sandboxes reset; the work set up without faults; then the fault plan installed through
 * the sandboxes' admin APIs, the work started, the crash carried out while it runs (the worker SIGKILLed once
 * the planned progress is reached, a new one started; perhaps Temporal or PostgreSQL stopped and restarted
 * under the new one), the work waited for, the faults removed and the result checked. A trial passes when
 * every check does; its verdict names the first that failed.
 *
 * `runCampaign` is what `npm run chaos` (test/chaos/main.ts) and the jest test (test/integration/chaos.test.ts)
 * call.
 */
import { Cleanup, errorText } from '../../bench/processes';
import { HubsyncClient } from '../../client/hubsync-client';
import { clearProxyVariables } from '../../kernel/env';
import { describeFaults, LATENCY_RATE, LOCK_RATE, planCampaign, type Crm, type FaultPlan, type TrialPlan } from './plan';
import { ChaosStack, WorkerSupervisor } from './stack';
import { setUpWork, type TrialContext, type Work } from './trials';

export interface CampaignOptions {
  trials: number;
  seed: number;
  /** Records per trial (hub accounts, tasks, touchpoints or campaign touches; write-back bursts have their own size). */
  records: number;
  /** Run only these trial numbers (each with the plan it has in the full campaign). */
  only?: number[];
  /** On SIGINT/SIGTERM, stop everything started and exit 130 (the command line; not under jest). */
  onSignals?: boolean;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface TrialResult {
  plan: TrialPlan;
  planText: string;
  crashText: string;
  /** Whether the worker was killed while the work was still going. */
  killedMidWork: boolean;
  verdict: 'PASS' | 'FAIL';
  /** The first failed check. */
  reason?: string;
  seconds: number;
}

export interface CampaignResult {
  seed: number;
  results: TrialResult[];
  passed: number;
  failed: number;
  table: string;
  /** Exactly `N passed, M failed`. */
  closing: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fault plan as each sandbox's admin API takes it (each fault answers as that CRM answers that failure). */
function faultSpecs(crm: Crm, f: FaultPlan): unknown[] {
  const specs: unknown[] = [];
  for (const [i, { kind, rate }] of f.failures.entries()) {
    const seed = f.seed + i;
    if (crm === 'salesforce') {
      // REQUEST_LIMIT_EXCEEDED (403), SERVER_UNAVAILABLE (503): the sandbox's Salesforce bodies for the status.
      if (kind === 'rate-limit') specs.push({ kind: 'http', path: '/services/data/*', status: 403, rate });
      if (kind === '5xx') specs.push({ kind: 'http', path: '/services/data/*', status: 503, rate });
      if (kind === 'lock') specs.push({ kind: 'recordLock', operations: ['create', 'update', 'upsert'], rate });
    } else if (crm === 'hubspot') {
      // A 429 without a body is HubSpot's secondly-limit answer; 5xx carry HubSpot's error JSON.
      if (kind === 'rate-limit') specs.push({ path: '/crm/*', status: 429, rate, seed });
      if (kind === '5xx') specs.push({ path: '/crm/*', status: 503, rate, seed });
    } else {
      // Dataverse's request-count 429 (0x80072322) with a short Retry-After; 5xx with its OData error.
      if (kind === 'rate-limit') specs.push({ path: '/api/data/*', status: 429, retryAfterSeconds: 1, rate, seed });
      if (kind === '5xx') specs.push({ path: '/api/data/*', status: 503, rate, seed });
    }
  }
  if (f.latencyMs) {
    const seed = f.seed + 100;
    if (crm === 'salesforce') specs.push({ kind: 'latency', path: '/services/data/*', latencyMs: f.latencyMs, rate: LATENCY_RATE });
    else if (crm === 'hubspot') specs.push({ path: '/crm/*', latencyMs: f.latencyMs, rate: LATENCY_RATE, seed });
    else specs.push({ path: '/api/data/*', latencyMs: f.latencyMs, rate: LATENCY_RATE, seed });
  }
  return specs;
}

/** Expires every access token the sandbox issued, as each CRM's tokens expire (the next call is the CRM's own 401). */
async function expireTokens(stack: ChaosStack, crm: Crm): Promise<void> {
  const sandbox = stack.sandboxes[crm];
  if (crm === 'salesforce') await sandbox.admin('POST', '/__admin/tokens/expire');
  else if (crm === 'hubspot') await sandbox.admin('POST', '/__admin/oauth/expire');
  else await sandbox.admin('DELETE', '/__admin/tokens');
}

/** An error's message and its causes' (a WorkflowFailedError says little; its cause says why), first lines. */
function causes(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e && parts.length < 4; e = e instanceof Error ? e.cause : undefined) parts.push((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '');
  return parts.join(' ← ');
}

/** Runs until stopped: progress read every 25 ms (an outage makes reads fail: they are skipped). */
class Watch {
  stopped = false;
  last = -1;

  constructor(private readonly work: Work) {}

  async progress(): Promise<number> {
    try {
      this.last = await this.work.progress();
    } catch {
      // PostgreSQL is restarting.
    }
    return this.last;
  }

  /** Resolves with the progress once it reaches `units`, or undefined when the work ended first. */
  async until(units: number): Promise<number | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      const p = await this.progress();
      if (p >= units) return p;
      await sleep(25);
    }
  }

  /** Sleeps `ms`; false when the work ended meanwhile. */
  async sleep(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.stopped) return false;
      await sleep(Math.min(25, end - Date.now()));
    }
    return !this.stopped;
  }
}

/** Carries out the crash plan while the work runs; what happened, for the table. */
async function crash(stack: ChaosStack, plan: TrialPlan, work: Work, workers: WorkerSupervisor, watch: Watch, log: (line: string) => void): Promise<{ text: string; killedMidWork: boolean }> {
  const u = work.units;
  const unit = work.unitName === 'pages' ? 'p' : ' wb';
  // Never at the last unit: the kill is meant to land while there is work left.
  const killAt = Math.floor(plan.crash.killAt * Math.max(1, u - 1));
  const reached = await watch.until(killAt);
  if (reached === undefined || !(await watch.sleep(plan.crash.killDelayMs))) return { text: `kill not reached: done at ${watch.last}/${u}${unit}`, killedMidWork: false };
  const at = await watch.progress();
  workers.kill();
  log(`  worker SIGKILLed at ${at}/${u} ${work.unitName}`);
  const parts = [`kill @ ${Math.max(0, at)}/${u}${unit}`];
  const outage = plan.crash.outage;
  if (outage) {
    // Under the new worker: once it polls, and once the run has gone on (when there is room for that).
    await workers.ready().catch(() => undefined);
    const burst = work.unitName !== 'pages';
    // Pages: a later page than the kill's when the run has one left (else at once); write-backs: at once.
    const later = Math.max(killAt + 1, Math.ceil(outage.at * u));
    const threshold = !burst && later < u ? later : at;
    const p = await watch.until(threshold);
    if (p === undefined || !(await watch.sleep(burst ? outage.delayMs / 5 : outage.delayMs))) {
      parts.push(`${outage.service} outage not reached`);
    } else {
      const now = Math.max(0, await watch.progress());
      log(`  ${outage.service} stopped for ${outage.downMs} ms at ${now}/${u} ${work.unitName}`);
      const started = Date.now();
      if (outage.service === 'postgres') await stack.restartPostgres(outage.downMs);
      else await stack.restartTemporal(outage.downMs);
      parts.push(`${outage.service === 'postgres' ? 'PostgreSQL' : 'Temporal'} down ${((Date.now() - started) / 1000).toFixed(1)} s @ ${now}/${u}${unit}`);
    }
  }
  return { text: parts.join('; '), killedMidWork: true };
}

async function runTrial(stack: ChaosStack, plan: TrialPlan, records: number, log: (line: string) => void): Promise<TrialResult> {
  const started = performance.now();
  const planText = `${plan.kind}${plan.kind === 'write-back burst' ? '' : ` (${records})`}; ${describeFaults(plan.faults)}`;
  log(`trial ${plan.trial}: ${planText}`);
  const name = `chaos_trial_${plan.trial}`;
  const hub = await stack.createHub(name, plan.trial * 1_000_000 + 1);
  const taskQueue = `hubsync-chaos-${process.pid}-${plan.trial}`;
  const workers = new WorkerSupervisor(() => stack.workerEnv(hub.url, taskQueue), (queue, pid) => stack.polls(queue, pid));
  const hubsync = HubsyncClient.over(stack.client, hub.pool, { taskQueue, secretBox: () => stack.box });
  const ctx: TrialContext = { stack, plan, records, pool: hub.pool, hubsync, workers, id: `t${plan.trial}`, log };
  let crashText = '-';
  let killedMidWork = false;
  let reason: string | undefined;
  const fail = (what: string, err: unknown) => {
    if (process.env['CHAOS_DEBUG']) log(`${what}: ${errorText(err)}`);
    return (reason ??= `${what}: ${causes(err)}`);
  };
  try {
    // The first worker starts (it bundles the workflows) while the sandbox and the hub are set up.
    const firstWorker = workers.start();
    firstWorker.catch(() => undefined);
    const work = await setUpWork(plan.kind, ctx);
    await firstWorker;
    for (const crm of work.crms) {
      const sandbox = stack.sandboxes[crm];
      await sandbox.admin('DELETE', '/__admin/faults');
      await sandbox.admin('DELETE', '/__admin/requests');
      for (const spec of faultSpecs(crm, plan.faults)) await sandbox.admin('POST', '/__admin/faults', spec);
    }
    const watch = new Watch(work);
    const expiries = (async () => {
      const every = plan.faults.tokenExpiryEveryMs;
      if (!every) return;
      let next = Math.floor(((plan.seed % 1000) / 1000) * every);
      while (await watch.sleep(next)) {
        for (const crm of work.crms) await expireTokens(stack, crm).catch(() => undefined);
        next = every;
      }
    })();
    const crashing = crash(stack, plan, work, workers, watch, log).then(
      (c) => {
        crashText = c.text;
        killedMidWork = c.killedMidWork;
      },
      (err: unknown) => fail('the crash', err),
    );
    try {
      await work.run();
    } catch (err) {
      fail('the work did not complete', err);
      if (process.env['CHAOS_DEBUG']) {
        for (const crm of work.crms) {
          const log2 = await stack.sandboxes[crm].admin<{ requests: Array<{ method: string; path: string; query: string; status: number }> }>('GET', '/__admin/requests').catch(() => ({ requests: [] }));
          const counts = new Map<string, number>();
          for (const r of log2.requests) counts.set(`${r.method} ${r.status}`, (counts.get(`${r.method} ${r.status}`) ?? 0) + 1);
          log(`  ${crm} request log: ${log2.requests.length} requests; ${[...counts].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
          for (const r of log2.requests.slice(-15)) log(`    ${r.method} ${r.path}${r.query.slice(0, 100)} ${r.status}`);
        }
      }
    } finally {
      watch.stopped = true;
      await Promise.all([crashing, expiries]);
      for (const crm of work.crms) await stack.sandboxes[crm].admin('DELETE', '/__admin/faults');
    }
    if (workers.unexpectedExits.length) crashText += `; ${workers.unexpectedExits.length} worker exit(s) of its own`;
    if (!reason) {
      try {
        reason = await work.check();
      } catch (err) {
        fail('checking', err);
      }
    }
    if (workers.unexpectedExits.length) log(`  workers that ended by themselves: ${workers.unexpectedExits.join(' / ')}`);
  } catch (err) {
    fail('setting up', err);
  } finally {
    await workers.stop();
    await hub.pool.end();
    // A failed trial's hub stays for a post-mortem while the campaign runs.
    if (!reason) await stack.dropHub(name);
  }
  const seconds = (performance.now() - started) / 1000;
  const result: TrialResult = { plan, planText, crashText, killedMidWork, verdict: reason ? 'FAIL' : 'PASS', ...(reason ? { reason } : {}), seconds };
  log(`trial ${plan.trial}: ${result.verdict}${reason ? ` (${reason})` : ''} in ${seconds.toFixed(1)} s; ${crashText}`);
  return result;
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(rows[0] ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** Runs the campaign on a stack of its own (started and stopped here). */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  clearProxyVariables();
  const t0 = performance.now();
  const log = opts.log ?? ((line: string) => process.stderr.write(`[chaos ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`));
  const last = Math.max(opts.trials, ...(opts.only ?? []));
  const plans = planCampaign(opts.seed, last).filter((p) => (opts.only?.length ? opts.only.includes(p.trial) : true));
  log(`seed ${opts.seed}, ${plans.length} trial(s), ${opts.records} records a trial; one trial again: npm run chaos -- --seed ${opts.seed} --only <trial>`);
  log(`faults: the failures of a plan share 10% of the CRM calls; locked rows ${LOCK_RATE * 100}% of DML records; latency on ${LATENCY_RATE * 100}% of calls`);
  const cleanup = new Cleanup(log);
  // Ctrl-C (or a SIGTERM) stops everything the campaign started, Temporal's own process group included.
  if (opts.onSignals) cleanup.onSignals();
  const results: TrialResult[] = [];
  try {
    const stack = await ChaosStack.start(cleanup, log);
    for (const plan of plans) results.push(await runTrial(stack, plan, opts.records, log));
  } finally {
    if (!cleanup.interrupted) await cleanup.runAll();
  }
  const passed = results.filter((r) => r.verdict === 'PASS').length;
  const failed = results.length - passed;
  const rows = [
    ['trial', 'plan (kind, faults)', 'crash point', 'verdict', 'seconds'],
    ...results.map((r) => [String(r.plan.trial), r.planText, r.crashText, r.verdict === 'PASS' ? 'PASS' : `FAIL: ${r.reason ?? ''}`, r.seconds.toFixed(1)]),
  ];
  return { seed: opts.seed, results, passed, failed, table: table(rows), closing: `${passed} passed, ${failed} failed` };
}
