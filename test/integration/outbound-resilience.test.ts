// P1 outbound, exactly-once creates: a worker SIGKILLed in the middle of a 5,000-record create run resumes on
// another worker; Salesforce ends with every hub task exactly once (creates are upserts on an External ID field
// holding the hub record's key) and the run's statistics are exact.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { CliProcess } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack, withWorker } from '../support/test-env';

jest.setTimeout(300000);

const C = 'obz';
const TASKS = 5_000; // 25 pages of 200
const OWNER = 'obz-owner@hubsync.test';

describe('outbound run resilience', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  const workers: CliProcess[] = [];

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress }, { seed: 'none' });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    await sf.admin('POST', '/__admin/seed', { object: 'Account', count: 20 });
    await sf.admin('POST', '/__admin/schema/fields', { object: 'Task', name: 'Hubsync_External_Id__c', type: 'text', label: 'Hubsync External ID', length: 255, externalId: true, unique: true });
    await conn.sobject('User').create({ Username: OWNER, LastName: 'Resilience Owner', Email: OWNER });
    const accounts = configFromTemplate('accounts-inbound');
    accounts.mapping = accounts.mapping.filter((r) => ['Id', 'Name'].includes(r.crmField));
    await createValidatedJob(pool, testSecretBox, { id: `${C}-accounts`, connectionId: C, config: accounts });
    const tasks = configFromTemplate('tasks-outbound');
    tasks.hubFilter = { ownerEmails: [OWNER] };
    tasks.mapping = tasks.mapping.map((r) => (r.key && r.hubField === 'Task External Id' ? { ...r, crmField: 'Hubsync_External_Id__c' } : r));
    await createValidatedJob(pool, testSecretBox, { id: `${C}-tasks`, connectionId: C, config: tasks });
    await withWorker(pool, () => hubsync.runJob(`${C}-accounts`, 'full'), { secretBox: () => testSecretBox });
    // The hub's application adds 5,000 tasks to the 20 accounts.
    await pool.query(
      `INSERT INTO tasks (account_id, title, status, priority, assignee_email)
       SELECT a.hub_id, 'OBZ task ' || n, 'Not Started', 'Normal', $3
         FROM generate_series(1, $2::int) AS n
         JOIN LATERAL (SELECT hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY hub_id OFFSET n % 20 LIMIT 1) a ON true`,
      [C, TASKS, OWNER],
    );
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  const startWorkerProcess = async () => {
    const worker = new CliProcess(['worker'], sf.cliEnv);
    workers.push(worker);
    await worker.waitFor(`polls task queue "${fileTaskQueue()}"`, 120000);
    return worker;
  };

  it('creates each of 5,000 hub tasks exactly once across a SIGKILLed worker, with exact statistics (P1, T3)', async () => {
    // Slow the collection calls so that the kill lands mid-run, perhaps mid-call.
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path: '*composite/sobjects/Task/*', latencyMs: 300 });
    const first = await startWorkerProcess();
    const handle = await hubsync.startRun(`${C}-tasks`, 'full');
    const runId = async () => (await pool.query<{ id: number }>('SELECT id FROM job_runs WHERE workflow_id = $1', [handle.workflowId])).rows[0]?.id;
    const committed = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_run_pages WHERE run_id = $1', [(await runId()) ?? -1])).rows[0]!.n;
    for (let i = 0; i < 600 && (await committed()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    const atKill = await committed();
    expect(atKill).toBeGreaterThanOrEqual(3);
    expect(atKill).toBeLessThan(TASKS / 200);

    await startWorkerProcess();
    const result = await handle.result();
    await sf.admin('DELETE', '/__admin/faults');

    expect(result.stats).toEqual({ read: TASKS, created: TASKS, updated: 0, unchanged: 0, deleted: 0, skipped: {}, rejected: {}, pages: TASKS / 200 });
    // Salesforce holds each hub task once: 0 duplicates, 0 missing.
    const crm = (await conn.query<{ Id: string; Hubsync_External_Id__c: string }>('SELECT Id, Hubsync_External_Id__c FROM Task', { autoFetch: true, maxFetch: TASKS * 2 })).records;
    expect(crm).toHaveLength(TASKS);
    const hubIds = (await pool.query<{ id: number }>('SELECT id FROM tasks WHERE assignee_email = $1 ORDER BY id', [OWNER])).rows.map((r) => `task-${r.id}`);
    expect(crm.map((t) => t.Hubsync_External_Id__c).sort()).toEqual(hubIds.sort());
    // Each hub task is linked to its own record.
    const links = await pool.query<{ n: number; distinct_crm: number }>(`SELECT count(*)::int AS n, count(DISTINCT crm_id)::int AS distinct_crm FROM record_links WHERE connection_id = $1 AND hub_type = 'task'`, [C]);
    expect(links.rows[0]).toEqual({ n: TASKS, distinct_crm: TASKS });
    // The activity running on the killed worker was retried and resumed.
    const history = await handle.fetchHistory();
    expect((history.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toBe(true);
  });
});
