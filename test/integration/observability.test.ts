// Issue 15 (P3 operators): a real `hubsync worker` process logs one JSON line per event (its own, the Temporal
// SDK's and Core's, the activities' with their workflow, activity and job IDs), none holding a secret, and serves
// Prometheus metrics (hubsync's and the Temporal SDK's) with /healthz and /readyz. An accounts-inbound run (with
// one injected transient CRM error) and a write-back go through it; the counters move by what the run's
// statistics and the write-back's outcome say. The readiness endpoint is also driven through its states
// in-process. Real Temporal dev server, PostgreSQL, the Salesforce sandbox over HTTP.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createValidatedJob } from '../../activities/jobs/configure';
import { loadBudget } from '../../activities/hub/budgets';
import { createPool } from '../../activities/hub/store';
import { HubsyncClient } from '../../client/hubsync-client';
import { freePort } from '../../local/ports';
import { startDevServer } from '../../local/temporal-server';
import { loadEnv } from '../../kernel/env';
import { startObservabilityServer } from '../../workers/observability';
import { CliProcess } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, prefixedAccountsConfig } from '../support/writeback';

jest.setTimeout(300000);

const SF = 'ob-sf';
const JOB = `${SF}-accounts`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (comments skipped, label values unescaped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe('observability of the worker process (issue 15)', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let worker: CliProcess;
  let base: string;

  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    return { text, samples: parseMetrics(text) };
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, SF, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = new CliProcess(['worker'], { ...sf.cliEnv, HUBSYNC_LOG_LEVEL: 'info', HUBSYNC_METRICS_PORT: String(port), HUBSYNC_METRICS_HOST: '127.0.0.1' });
    await worker.waitFor(`polls task queue "${fileTaskQueue()}"`, 120000);
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited(30000).catch(() => undefined);
    }
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('counts a run and a write-back in /metrics, answers /healthz and /readyz, and logs JSON lines with the IDs and no secret', async () => {
    const alive = await fetch(`${base}/healthz`);
    expect(alive.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', worker: 'RUNNING', temporal: 'ok', database: 'ok' });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);

    const before = await scrape();
    await createValidatedJob(pool, testSecretBox, { id: JOB, connectionId: SF, config: prefixedAccountsConfig('OB') });
    // Transient CRM errors on the run's first two queryAll calls: the count (progress) and the first page, which
    // run side by side; each activity fails once and Temporal retries it a second later.
    await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '/services/data/*/queryAll*', status: 400, body: [{ message: 'unable to obtain exclusive access to this record', errorCode: 'UNABLE_TO_LOCK_ROW' }], count: 2 });
    const run = await hubsync.runJob(JOB, 'full');
    await sf.admin('DELETE', '/__admin/faults');
    expect(run.stats.created).toBeGreaterThan(0);

    await hubsync.setAttributeWriteBack('ob_health_score', { on: true });
    const crmId = (await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id LIMIT 1`, [SF])).rows[0]!.crm_id;
    const account = await hubAccountOf(pool, SF, crmId);
    const requestId = `ob-${Date.now()}`;
    const outcome = await hubsync.writeBack({ account, changes: { ob_health_score: 12.34 }, origin: 'account-profile', actor: 'csm@hub.example', requestId });
    expect(outcome.sources.map((s) => s.status)).toEqual(['written']);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => total(after.samples, name, labels) - total(before.samples, name, labels);

    // Records: exactly the run's statistics, outcome by outcome.
    const job = { job_kind: 'accounts-inbound', connection: SF, direction: 'inbound' };
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    expect({
      read: delta('hubsync_records_total', { ...job, outcome: 'read' }),
      created: delta('hubsync_records_total', { ...job, outcome: 'created' }),
      updated: delta('hubsync_records_total', { ...job, outcome: 'updated' }),
      unchanged: delta('hubsync_records_total', { ...job, outcome: 'unchanged' }),
      deleted: delta('hubsync_records_total', { ...job, outcome: 'deleted' }),
      skipped: delta('hubsync_records_total', { ...job, outcome: 'skipped' }),
      rejected: delta('hubsync_records_total', { ...job, outcome: 'rejected' }),
    }).toEqual({ read: run.stats.read, created: run.stats.created, updated: run.stats.updated, unchanged: run.stats.unchanged, deleted: run.stats.deleted, skipped: sum(run.stats.skipped), rejected: sum(run.stats.rejected) });

    // CRM calls by operation (a failed call is a call), and the two injected errors, by operation and kind.
    const crm = { connection: SF, crm: 'salesforce' };
    expect(delta('hubsync_crm_api_calls_total', { ...crm, operation: 'readPage' })).toBeGreaterThanOrEqual(2);
    expect(delta('hubsync_crm_api_calls_total', { ...crm, operation: 'countRecords' })).toBe(2);
    expect(delta('hubsync_crm_api_calls_total', { ...crm, operation: 'updateIfUnchanged' })).toBe(1);
    expect(delta('hubsync_crm_api_calls_total', { ...crm, operation: 'readForWrite' })).toBeGreaterThanOrEqual(1);
    expect(delta('hubsync_crm_api_errors_total', { ...crm, operation: 'readPage', kind: 'transient' })).toBe(1);
    expect(delta('hubsync_crm_api_errors_total', { ...crm, operation: 'countRecords', kind: 'transient' })).toBe(1);
    expect(delta('hubsync_crm_api_errors_total', crm)).toBe(2);

    // The write-back: one sample in the histogram for Salesforce, written.
    expect(delta('hubsync_writeback_duration_seconds_count', { crm: 'salesforce', status: 'written' })).toBe(1);
    expect(delta('hubsync_writeback_duration_seconds_sum', { crm: 'salesforce', status: 'written' })).toBeCloseTo(outcome.sources[0]!.durationMs / 1000, 2);
    expect(delta('hubsync_writeback_duration_seconds_bucket', { crm: 'salesforce', status: 'written', le: '+Inf' })).toBe(1);

    // The API budget: what api_budgets holds, read at scrape time.
    const budget = await loadBudget(pool, SF);
    expect(budget.usage?.window).toBe('day');
    const scrapedAgain = (await scrape()).samples;
    expect(total(scrapedAgain, 'hubsync_api_budget_remaining', { connection: SF, window: 'day' })).toBe(budget.usage!.max - budget.usage!.used);
    expect(total(scrapedAgain, 'hubsync_api_budget_limit', { connection: SF, window: 'day' })).toBe(budget.usage!.max);

    // The Temporal SDK's own metrics are in the same scrape (Core's exporter), and moved with the work done.
    expect(after.text).toMatch(/^# TYPE temporal_worker_task_slots_available gauge$/m);
    expect(total(after.samples, 'temporal_worker_task_slots_available', { task_queue: fileTaskQueue(), worker_type: 'ActivityWorker' })).toBeGreaterThan(0);
    expect(delta('temporal_activity_execution_latency_count', { task_queue: fileTaskQueue(), activity_type: 'syncInboundPages' })).toBeGreaterThanOrEqual(1);
    expect(delta('temporal_activity_execution_failed_total', { task_queue: fileTaskQueue(), activity_type: 'syncInboundPages' })).toBe(1);
    expect(delta('temporal_workflow_completed_total', { task_queue: fileTaskQueue(), workflow_type: 'inboundJobWorkflow' })).toBe(1);
    // The process's own.
    expect(total(after.samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // Stop it, then read everything it printed: JSON lines only.
    worker.child.kill('SIGTERM');
    await expect(worker.exited(60000)).resolves.toBe(0);
    const lines = worker.output.split('\n').filter((l) => l.trim() !== '');
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
    for (const event of parsed) {
      expect(event).toEqual(expect.objectContaining({ level: expect.stringMatching(/^(debug|info|warn|error)$/), msg: expect.any(String), time: expect.any(String), name: 'hubsync-worker', pid: worker.child.pid }));
    }
    const messages = parsed.map((e) => e['msg']);
    expect(messages).toEqual(expect.arrayContaining([`Worker ${String(parsed.find((e) => e['identity'])?.['identity'])} polls task queue "${fileTaskQueue()}" on ${testStack.temporalAddress}.`, 'SIGTERM: finishing in-flight activities, then exiting...', 'Worker stopped.']));

    // Activity lines carry the SDK's IDs; the job's lines hubsync's job and run; the workflow's its own.
    const runWorkflowId = expect.stringMatching(new RegExp(`^hubsync-job-${JOB}-manual-`));
    const pages = parsed.filter((e) => e['msg'] === 'page committed' && e['jobId'] === JOB);
    // One line per committed page of the run (the deletions check is a page of its own, not in stats.pages).
    const committed = (await pool.query<{ page_no: number }>('SELECT page_no FROM job_run_pages WHERE run_id = $1 ORDER BY page_no', [run.runId])).rows.map((r) => r.page_no);
    expect(committed.length).toBeGreaterThanOrEqual(run.stats.pages);
    expect(pages.map((p) => p['pageNo']).sort()).toEqual(committed);
    for (const page of pages) {
      expect(page).toMatchObject({ level: 'info', jobRunId: run.runId, connectionId: SF, jobKind: 'accounts-inbound', workflowId: runWorkflowId, workflowRunId: expect.any(String), activityId: expect.any(String), activityType: expect.stringMatching(/^(syncInboundPages|retryParkedAndRejected|syncInboundDeletions)$/) });
    }
    expect(pages.reduce((n, p) => n + (p['created'] as number), 0)).toBe(run.stats.created);
    const failedAttempt = parsed.find((e) => e['msg'] === 'Activity failed' && e['activityType'] === 'syncInboundPages');
    expect(failedAttempt).toMatchObject({ level: 'warn', activityType: 'syncInboundPages', attempt: 1, jobId: JOB, jobRunId: run.runId, workflowId: runWorkflowId, workflowRunId: expect.any(String), activityId: expect.any(String), error: expect.objectContaining({ message: expect.stringMatching(/UNABLE_TO_LOCK_ROW|exclusive access/) }) });
    expect(parsed.find((e) => e['msg'] === 'job run completed' && e['jobId'] === JOB)).toMatchObject({ jobRunId: run.runId, workflowId: runWorkflowId, workflowRunId: expect.any(String), workflowType: 'inboundJobWorkflow', stats: { created: run.stats.created } });
    expect(parsed.find((e) => e['msg'] === 'write-back source done' && e['requestId'] === requestId)).toMatchObject({
      accountId: account,
      connectionId: SF,
      crm: 'salesforce',
      status: 'written',
      activityType: 'applyWriteBack',
      workflowId: expect.any(String),
      workflowRunId: expect.any(String),
    });

    // No secret of the connection, nor the token the sandbox issued, nor the key, anywhere in what it printed.
    const c = sf.sandbox.credentials;
    const secrets = [c.clientSecret, c.refreshToken, c.password, c.securityToken, sf.sandbox.accessToken(), String(sf.cliEnv['HUBSYNC_SECRET_KEY'])].filter((s) => s.length >= 8);
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    expect(secrets.filter((s) => worker.output.includes(s)).map((s) => `…${s.slice(0, 4)}…`)).toEqual([]);
  });
});

describe('the readiness endpoint (issue 15)', () => {
  it('is 503 with the reason while the worker is not running, Temporal or the hub database does not answer, 200 otherwise; /healthz answers throughout', async () => {
    const pool = testPool();
    // A pool on a port where no database listens; worker connections (as the worker's own: NativeConnection) to
    // the shared Temporal and to a dev server of this test's own, stopped under it.
    const deadPool = createPool(`postgres://hubsync:x@127.0.0.1:${await freePort()}/none`, { max: 1 });
    const spare = await startDevServer({ cacheDir: loadEnv().cacheDir, cliPath: loadEnv().TEMPORAL_CLI_PATH });
    const temporal = await NativeConnection.connect({ address: testStack.temporalAddress });
    const lostServer = await NativeConnection.connect({ address: spare.address });
    let state: string | undefined;
    let connection: NativeConnection | undefined;
    const live = await startObservabilityServer({ port: 0, host: '127.0.0.1', pool, workerState: () => state, temporalProbe: () => connection?.workflowService.getSystemInfo({}) });
    const dead = await startObservabilityServer({ port: 0, host: '127.0.0.1', pool: deadPool, workerState: () => 'RUNNING', temporalProbe: () => temporal.workflowService.getSystemInfo({}) });
    try {
      const readyz = async (url: string) => {
        const res = await fetch(`${url}/readyz`);
        return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
      };
      expect(await readyz(live.url)).toEqual({ status: 503, body: expect.objectContaining({ status: 'not ready', worker: 'STARTING', temporal: 'not connected yet', reason: 'the worker is starting (bundling workflows, connecting to Temporal)' }) });
      connection = lostServer;
      state = 'RUNNING';
      expect(await readyz(live.url)).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', worker: 'RUNNING', temporal: 'ok', database: 'ok' }) });
      // A worker whose Temporal went away stays RUNNING (its pollers retry): only the probe shows it.
      await spare.stop();
      const lost = await readyz(live.url);
      expect(lost).toEqual({ status: 503, body: expect.objectContaining({ status: 'not ready', worker: 'RUNNING', reason: expect.stringMatching(/^Temporal does not answer the worker: /) }) });
      connection = temporal;
      state = 'DRAINING';
      expect(await readyz(live.url)).toEqual({ status: 503, body: expect.objectContaining({ reason: 'the worker is DRAINING, not polling its task queue' }) });
      const down = await readyz(dead.url);
      expect(down).toEqual({ status: 503, body: expect.objectContaining({ status: 'not ready', temporal: 'ok', reason: expect.stringMatching(/^the hub database does not answer: /) }) });
      // The database URL's password is not repeated in the reason.
      expect(JSON.stringify(down.body)).not.toContain('hubsync:x@');
      for (const url of [live.url, dead.url]) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // Without a worker's budgets or Core, /metrics still answers with hubsync's families.
      const text = await (await fetch(`${dead.url}/metrics`)).text();
      expect(text).toMatch(/^# TYPE hubsync_records_total counter$/m);
      expect(text).toMatch(/^# TYPE hubsync_api_budget_remaining gauge$/m);
    } finally {
      await live.close();
      await dead.close();
      await deadPool.end();
      await pool.end();
      await temporal.close();
      await lostServer.close();
      await spare.stop();
    }
  });
});
