// API budgets with headroom for write-back (P6, issue 14 §5): a Salesforce org near its daily limit; a job
// pauses at the reserve (progress, the run's current details in the Temporal UI and a timer say why and until
// when) while a write-back still goes through, then completes with exact statistics once the org has calls
// again; two workers on two task queues share one budget through the hub store. Real Temporal dev server,
// PostgreSQL, the Salesforce sandbox through jsforce (Sforce-Limit-Info on every answer, /limits).
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { loadBudget, setBudgetSettings } from '../../activities/hub/budgets';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient, type JobRunHandle } from '../../client/hubsync-client';
import { jobAllowance, budgetVerdict } from '../../kernel/budget';
import type { RunProgress } from '../../kernel/runs';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { createFileWorker, fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, loggedRequests, prefixedAccountsConfig } from '../support/writeback';
import type { HubsyncWorker } from '../../workers/worker';

jest.setTimeout(240000);

const C = 'bg-sf';
const P = 'BG';
const ACCOUNTS = `${C}-accounts`;
const TASKS = `${C}-tasks`;
const DAILY = 1000;
const NEW_ACCOUNTS = 300;
const NEW_TASKS = 250;
/** Records per page on the test's workers: many pages, one query each. */
const PAGE_SIZE = 10;

describe('API budget with a reserve for write-back (P6)', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let temporalConnection: Connection;
  const hubsync: Record<'a' | 'b', HubsyncClient> = {} as Record<'a' | 'b', HubsyncClient>;
  const workers: Array<{ worker: HubsyncWorker; running: Promise<void> }> = [];
  let demoAccounts = 0;
  let target: { hubId: number; crmId: string };

  const usedNow = async () => ((await sf.admin('GET', '/__admin/limits')) as { used: number }).used;
  const setLimits = (body: { dailyApiLimit?: number; used?: number }) => sf.admin('POST', '/__admin/limits', body);
  const waitForPhase = async (client: HubsyncClient, handle: JobRunHandle, phase: RunProgress['phase']): Promise<RunProgress> => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const p = await client.progress(handle).catch(() => undefined);
      if (p?.phase === phase) return p;
      if (Date.now() > deadline) throw new Error(`run ${handle.workflowId} did not reach phase ${phase}: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    for (const side of ['a', 'b'] as const) {
      const taskQueue = `${fileTaskQueue()}-${side}`;
      hubsync[side] = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue, secretBox: () => testSecretBox });
      const worker = await createFileWorker(pool, { taskQueue, pageSize: PAGE_SIZE, secretBox: () => testSecretBox });
      workers.push({ worker, running: worker.run() });
    }
    await createValidatedJob(pool, testSecretBox, { id: ACCOUNTS, connectionId: C, config: prefixedAccountsConfig(P) });
    await createValidatedJob(pool, testSecretBox, { id: TASKS, connectionId: C, config: configFromTemplate('tasks-inbound') });
    demoAccounts = (await hubsync.a.runJob(ACCOUNTS, 'full')).stats.created;
    await hubsync.a.setAttributeWriteBack('bg_health_score', { on: true });
    const { rows } = await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id LIMIT 1`, [C]);
    target = { crmId: rows[0]!.crm_id, hubId: await hubAccountOf(pool, C, rows[0]!.crm_id) };
    await sf.admin('POST', '/__admin/seed', { object: 'Account', count: NEW_ACCOUNTS, seed: 7 });
    await setBudgetSettings(pool, C, { recheckSeconds: 2 });
  });
  afterAll(async () => {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('pauses a job at the reserve, says why and until when, lets a write-back through, and completes once calls are free again', async () => {
    const allowance = jobAllowance({ max: DAILY }, 10); // 900: jobs leave 100 calls to write-backs
    await setLimits({ dailyApiLimit: DAILY, used: allowance - 12 });
    const handle = await hubsync.a.startRun(ACCOUNTS, 'full');
    const waiting = await waitForPhase(hubsync.a, handle, 'waiting');

    expect(waiting.waiting).toMatchObject({ connectionId: C, cause: 'reserve' });
    expect(waiting.waiting!.reason).toMatch(/has used \d+ of its 1000 daily API calls; jobs stop at 900 and leave 10 % \(100 calls\) to write-backs/);
    expect(waiting.waiting!.reason).toMatch(/hubsync connection budget bg-sf --reserve N --recheck S/);
    expect(Date.parse(waiting.waiting!.until)).toBeGreaterThan(Date.now() - 5000);
    expect(waiting.stats.read).toBeGreaterThan(0);
    expect(waiting.stats.read).toBeLessThan(demoAccounts + NEW_ACCOUNTS);
    // Stopped at the allowance. Beyond it at most: the page read ahead on the report from before the org was
    // set near its limit, the count for progress, and the one /limits call that asked whether calls had freed up.
    const atPause = await usedNow();
    expect(atPause).toBeGreaterThanOrEqual(allowance - 1);
    expect(atPause).toBeLessThanOrEqual(allowance + 3);
    // The Temporal UI shows the run's current details and the timer's summary.
    const metadata = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')) ?? {};
    expect(metadata.currentDetails).toMatch(/waiting for API budget until .*daily API calls/);
    let timerSummary: string | undefined;
    for await (const event of (await handle.fetchHistory()).events ?? []) {
      if (event.timerStartedEventAttributes) timerSummary = event.userMetadata?.summary?.data ? Buffer.from(event.userMetadata.summary.data).toString() : undefined;
    }
    expect(timerSummary).toMatch(/API budget of 'bg-sf' \(reserve\)/);
    // `hubsync connection budget` says the same.
    const shown = await runCli(['connection', 'budget', C], sf.cliEnv);
    expect(shown.stdout).toMatch(/reserve for write-back: 10 % of a daily allowance; a waiting job asks again every 2 s/);
    expect(shown.stdout).toMatch(/usage: \d+ of 1000 daily calls .*jobs stop at 900/);

    // Write-backs are never held back: this one spends the reserve while the job waits.
    const outcome = await hubsync.a.writeBack({ account: target.hubId, changes: { bg_health_score: 77 }, origin: 'account-profile', actor: 'csm@hub.example' });
    expect(outcome.sources.map((r) => r.status)).toEqual(['written']);
    expect(await usedNow()).toBeGreaterThan(atPause);
    expect((await loggedRequests(sf.admin, 'PATCH', `/services/data/*/sobjects/Account/${target.crmId}`)).map((r) => r.status)).toEqual([204]);
    // Still waiting, not failed: it asks the CRM every 2 s and stays.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await hubsync.a.progress(handle)).phase).toBe('waiting');

    // The org's window frees calls: the job asks, finds them and finishes every record, once.
    await setLimits({ used: 0 });
    const result = await handle.result();
    expect(result.stats).toMatchObject({ read: demoAccounts + NEW_ACCOUNTS, created: NEW_ACCOUNTS, rejected: {} });
    expect(result.stats.updated + result.stats.unchanged).toBe(demoAccounts);
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM record_links WHERE connection_id = $1 AND hub_type = 'account'`, [C]);
    expect(Number(rows[0]!.n)).toBe(demoAccounts + NEW_ACCOUNTS);
    const runs = await hubsync.a.runs(ACCOUNTS, 1);
    expect(runs[0]).toMatchObject({ status: 'completed' });
    // No activity failed for the budget: the pause is a timer, not a retry.
    const history = (await handle.fetchHistory()).events ?? [];
    expect(history.filter((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes)).toHaveLength(0);
    expect(history.filter((e) => e.timerStartedEventAttributes).length).toBeGreaterThanOrEqual(2);
  });

  it('shares one budget between two workers: a job on the second worker waits without a data call', async () => {
    await sf.admin('POST', '/__admin/seed', { object: 'Task', count: NEW_TASKS, seed: 8 });
    const allowance = jobAllowance({ max: DAILY }, 10);
    await setLimits({ dailyApiLimit: DAILY, used: allowance - 8 });
    const first = await hubsync.a.startRun(ACCOUNTS, 'full');
    await waitForPhase(hubsync.a, first, 'waiting');
    // The budget in the hub store, as every worker reads it: at the allowance by the org's own report.
    const stored = await loadBudget(pool, C);
    expect(stored.usage).toMatchObject({ window: 'day', max: DAILY });
    expect(budgetVerdict(stored, 1, Date.now())).toMatchObject({ cause: 'reserve' });

    await sf.admin('DELETE', '/__admin/requests');
    const usedBefore = await usedNow();
    const second = await hubsync.b.startRun(TASKS, 'full');
    const secondWaiting = await waitForPhase(hubsync.b, second, 'waiting');
    expect(secondWaiting.stats.read).toBe(0);
    expect(secondWaiting.expectedRecords).toBeNull(); // not even the count for progress was spent
    const sinceSecond = await loggedRequests(sf.admin, 'GET', '/services/data/*/query*');
    expect(sinceSecond).toEqual([]);
    // All either job spent since: the question to /limits, once per wait of each (2 s apart).
    const asked = await loggedRequests(sf.admin, 'GET', '/services/data/*/limits');
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(await usedNow()).toBe(usedBefore + (await loggedRequests(sf.admin, 'GET', '/services/data/*')).length);
    expect(usedBefore).toBeLessThanOrEqual(allowance + 3);

    await setLimits({ used: 0 });
    const [a, b] = await Promise.all([first.result(), second.result()]);
    expect(a.stats.read).toBe(demoAccounts + NEW_ACCOUNTS);
    expect(b.stats.read).toBeGreaterThanOrEqual(NEW_TASKS);
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM record_links WHERE connection_id = $1 AND hub_type = 'task'`, [C]);
    expect(Number(rows[0]!.n)).toBe(b.stats.created); // the first import of the tasks: each created once
  });

  it('refuses a reserve or recheck out of range with the allowed values, changing nothing', async () => {
    const before = await loadBudget(pool, C);
    const refused = await runCli(['connection', 'budget', C, '--reserve', '95'], sf.cliEnv);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--reserve takes a whole number from 0 to 90, not 95/);
    await expect(setBudgetSettings(pool, C, { reservePercent: 20, recheckSeconds: 0 })).rejects.toThrow(/--recheck 0: a waiting job asks again after a whole number of seconds from 1 to 86400/);
    await expect(setBudgetSettings(pool, 'bg-no-such', { reservePercent: 20 })).rejects.toThrow(/bg-no-such/);
    const after = await loadBudget(pool, C);
    expect({ reserve: after.reservePercent, recheck: after.recheckSeconds }).toEqual({ reserve: before.reservePercent, recheck: before.recheckSeconds });
    const changed = await runCli(['connection', 'budget', C, '--reserve', '25', '--json'], sf.cliEnv);
    expect(JSON.parse(changed.stdout)).toMatchObject({ connectionId: C, reservePercent: 25, recheckSeconds: 2 });
  });
});
