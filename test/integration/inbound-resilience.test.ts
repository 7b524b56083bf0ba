// P1: a worker killed in the middle of a run resumes elsewhere and the hub ends identical to an
// uninterrupted run (nothing lost, nothing duplicated, exact statistics); long runs continue as new.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import type { JobRunResult } from '../../kernel/runs';
import { CliProcess } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { testPool, testStack, withWorker, fileTaskQueue } from '../support/test-env';

jest.setTimeout(300000);

const CONNECTION = 'rz-sbx';
const TASKS = 12_000; // six pages of 2,000

describe('inbound run resilience', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let sfConn: SfConnection;
  let temporalConnection: Connection;
  let temporal: Client;
  let hubsync: HubsyncClient;
  const workers: CliProcess[] = [];

  const hubState = async () =>
    (await pool.query<{ external_id: string; title: string; status: string | null; due_date: string | null }>(
      `SELECT t.external_id, t.title, t.status, t.due_date FROM tasks t
         JOIN record_links l ON l.hub_type = 'task' AND l.hub_id = t.id AND l.connection_id = $1 ORDER BY t.external_id`,
      [CONNECTION],
    )).rows;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, CONNECTION, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress }, { seed: 'none' });
    sfConn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    temporal = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(temporal, pool, { taskQueue: fileTaskQueue() });
    await sf.admin('POST', '/__admin/seed', { object: 'Account', count: 20 });
    await sf.admin('POST', '/__admin/seed', { object: 'Task', count: TASKS });
    // This org has no custom fields: the accounts job maps the account key, name and owner only.
    const accounts = configFromTemplate('accounts-inbound');
    accounts.mapping = accounts.mapping.filter((r) => ['Id', 'Name', 'Owner.Email'].includes(r.crmField));
    await createValidatedJob(pool, testSecretBox, { id: `${CONNECTION}-accounts`, connectionId: CONNECTION, config: accounts });
    await createValidatedJob(pool, testSecretBox, { id: `${CONNECTION}-tasks`, connectionId: CONNECTION, config: configFromTemplate('tasks-inbound') });
    await withWorker(pool, async () => (await hubsync.startRun(`${CONNECTION}-accounts`, 'full')).result(), { secretBox: () => testSecretBox });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await sf.close();
    await temporalConnection.close();
    await pool.end();
  });

  const startWorkerProcess = async () => {
    const worker = new CliProcess(['worker'], sf.cliEnv);
    workers.push(worker);
    await worker.waitFor(`polls task queue "${fileTaskQueue()}"`, 120000);
    return worker;
  };

  it('resumes a run on another worker after SIGKILL, losing and duplicating nothing', async () => {
    // Slow pages down so the kill lands mid-run.
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'GET', path: '/services/data/*/queryAll', latencyMs: 800 });
    const first = await startWorkerProcess();
    const handle = await hubsync.startRun(`${CONNECTION}-tasks`, 'incremental');
    const runId = async () => (await pool.query<{ id: number }>('SELECT id FROM job_runs WHERE workflow_id = $1', [handle.workflowId])).rows[0]?.id;
    for (let i = 0; i < 300; i++) {
      const id = await runId();
      const pages = id ? (await pool.query('SELECT count(*)::int AS n FROM job_run_pages WHERE run_id = $1', [id])).rows[0].n : 0;
      if (pages >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGKILL');
    const committedAtKill = (await pool.query('SELECT count(*)::int AS n FROM job_run_pages WHERE run_id = $1', [await runId()])).rows[0].n as number;
    expect(committedAtKill).toBeGreaterThanOrEqual(2);
    expect(committedAtKill).toBeLessThan(TASKS / 2000);

    await startWorkerProcess();
    const result: JobRunResult = await handle.result();
    await sf.admin('DELETE', '/__admin/faults');

    // Exact statistics: every task created once, none counted twice.
    expect(result.stats).toMatchObject({ read: TASKS, created: TASKS, updated: 0, unchanged: 0, pages: TASKS / 2000 });
    // The hub holds exactly what Salesforce holds.
    const hub = await hubState();
    expect(hub).toHaveLength(TASKS);
    expect(new Set(hub.map((t) => t.external_id)).size).toBe(TASKS);
    const crm = (await sfConn.query<{ Id: string; Subject: string; Status: string; ActivityDate: string | null }>('SELECT Id, Subject, Status, ActivityDate FROM Task ORDER BY Id', { autoFetch: true, maxFetch: TASKS + 1 })).records;
    expect(hub).toEqual(
      crm.map((t) => ({ external_id: t.Id.toLowerCase(), title: t.Subject, status: t.Status, due_date: t.ActivityDate })).sort((a, b) => (a.external_id < b.external_id ? -1 : 1)),
    );
    // The activity that was running on the killed worker was retried and resumed.
    const history = await handle.fetchHistory();
    const retried = (history.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    expect(retried).toBe(true);
  });

  it('continues a long run as new, carrying only the cursor and totals', async () => {
    const result = await withWorker(
      pool,
      async () => {
        const handle = await temporal.workflow.start('inboundJobWorkflow', {
          taskQueue: fileTaskQueue(),
          workflowId: `hubsync-job-${CONNECTION}-tasks-can-test`,
          args: [{ jobId: `${CONNECTION}-tasks`, mode: 'full', callsPerExecution: 1 }],
        });
        const res = (await handle.result()) as JobRunResult;
        // Visibility is eventually consistent: the closed execution may still be listed as running for a moment.
        let executions: string[] = [];
        for (let i = 0; i < 50; i++) {
          executions = [];
          for await (const w of temporal.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) executions.push(w.status.name);
          if (!executions.includes('RUNNING')) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        return { res, executions };
      },
      { secretBox: () => testSecretBox, pageSize: 2000 },
    );
    // Six pages at up to five pages per call and one call per execution: two executions.
    expect(result.executions.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW']);
    expect(result.res.stats).toMatchObject({ read: TASKS, unchanged: TASKS, created: 0, updated: 0, pages: TASKS / 2000 });
  });

  it('writes the page it read ahead, and ends the run in the same call when that page is empty', async () => {
    // 12,000 tasks in pages of 96: 125 pages. Each call writes its five pages and the sixth it read ahead
    // during the fifth: 20 calls write 120 pages, and the 21st writes the last five and reads ahead an empty
    // page, which ends the run in that call. (Five pages a call and a call for the empty page: 26 calls.)
    // Only this test's worker (with its page size) may poll: the worker processes of the first test stop.
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGTERM');
        await w.exited(30000);
      }
    }
    await sf.admin('DELETE', '/__admin/requests');
    const { result, calls } = await withWorker(
      pool,
      async () => {
        const handle = await hubsync.startRun(`${CONNECTION}-tasks`, 'full');
        const res = await handle.result();
        const events = (await handle.fetchHistory()).events ?? [];
        return { result: res, calls: events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncInboundPages').length };
      },
      { secretBox: () => testSecretBox, pageSize: 96 },
    );
    expect(result.stats).toMatchObject({ read: TASKS, updated: 0, pages: 125 });
    expect(result.stats.created + result.stats.unchanged).toBe(TASKS);
    expect(calls).toBe(21);
    const log = (await sf.admin('GET', '/__admin/requests?path=/services/data/*/queryAll*')) as { requests: unknown[] };
    // Every page read once, the empty read-ahead, and the COUNT() for progress: nothing read twice.
    expect(log.requests).toHaveLength(125 + 1 + 1);
  });
});
