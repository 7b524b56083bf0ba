// "Why didn't record X sync?" (T30, issue 14 §4) for inbound jobs, through the typed client and the CLI: one
// answer per rule (not run yet, parked and whether its account has arrived, synced, rejected with the reason and
// retry count, changed since, deleted in the CRM, not in the CRM, outside the filter), the record named by CRM
// ID, external ID or hub ID. Real Temporal dev server, PostgreSQL, the Salesforce sandbox through jsforce.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(240000);

const C = 'jx-sf';
const TASKS = `${C}-tasks`;
const ACCOUNTS = `${C}-accounts`;

describe('job explain (T30)', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let taskId: string;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;
    await createValidatedJob(pool, testSecretBox, { id: ACCOUNTS, connectionId: C, config: prefixedAccountsConfig('JX') });
    await createValidatedJob(pool, testSecretBox, { id: TASKS, connectionId: C, config: configFromTemplate('tasks-inbound') });
    taskId = (await conn.query<{ Id: string }>("SELECT Id FROM Task WHERE AccountId != null AND Subject != null AND Status != 'Completed' ORDER BY Id LIMIT 1")).records[0]!.Id;
  });
  afterAll(async () => {
    await stopWorker?.();
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('says no run has completed yet, then parked until its account arrives, then synced (by CRM ID, external ID or hub ID)', async () => {
    expect(await hubsync.explainRecord(TASKS, taskId)).toMatchObject({ crmId: taskId, answer: { verdict: 'not-reached', lastRunAt: null }, summary: expect.stringMatching(/No run of 'jx-sf-tasks' has completed yet/) });

    await hubsync.runJob(TASKS, 'full'); // no account is matched yet: every task is parked (T11)
    const parked = await hubsync.explainRecord(TASKS, taskId);
    expect(parked.answer).toMatchObject({ verdict: 'parked', parentCrmId: expect.any(String), parentMatched: false });
    expect(parked.summary).toMatch(/no hub account matches yet: run the accounts-inbound job of connection 'jx-sf'/);

    await hubsync.runJob(ACCOUNTS, 'full');
    expect((await hubsync.explainRecord(TASKS, taskId)).answer).toMatchObject({ verdict: 'parked', parentMatched: true });

    await hubsync.runJob(TASKS, 'incremental'); // T26: the parked tasks come in
    const synced = await hubsync.explainRecord(TASKS, taskId);
    expect(synced.answer).toMatchObject({ verdict: 'synced', hubId: expect.any(Number), changedInCrmSince: false });
    const hubId = (synced.answer as { hubId: number }).hubId;
    expect((await hubsync.explainRecord(TASKS, String(hubId))).crmId).toBe(taskId);
    expect((await hubsync.explainRecord(TASKS, taskId.toLowerCase())).crmId).toBe(taskId);
  });

  it('gives the reason and the retry count of a rejected record', async () => {
    const bare = (await conn.query<{ Id: string }>("SELECT Id FROM Task WHERE Hubsync_External_Id__c = 'edge-task-no-subject'")).records[0]!.Id;
    const answer = await hubsync.explainRecord(TASKS, bare);
    expect(answer.answer).toMatchObject({ verdict: 'rejected', code: expect.any(String), attempts: expect.any(Number) });
    expect(answer.summary).toMatch(/Rejected \(\w+\): .*title/i);
  });

  it('says a change made in the CRM after the last run is not reached yet, and a deletion is', async () => {
    await sf.admin('POST', '/__admin/clock', { advanceSeconds: 5 });
    await conn.sobject('Task').update({ Id: taskId, Subject: 'Changed after the run' });
    expect(await hubsync.explainRecord(TASKS, taskId)).toMatchObject({ answer: { verdict: 'not-reached' }, summary: expect.stringMatching(/then changed in the CRM at .*the next run brings the change/) });
    await conn.sobject('Task').destroy(taskId);
    expect((await hubsync.explainRecord(TASKS, taskId)).answer).toMatchObject({ verdict: 'deleted-in-crm', hubId: expect.any(Number) });
    expect((await hubsync.explainRecord(TASKS, '00T000000000000AAA')).answer).toMatchObject({ verdict: 'not-in-crm', wasLinked: false });
  });

  it("says a record outside the job's filter is not read, and answers the same through the CLI", async () => {
    const filtered = `${C}-open-tasks`;
    await createValidatedJob(pool, testSecretBox, { id: filtered, connectionId: C, config: { ...configFromTemplate('tasks-inbound'), filter: "Status != 'Completed'" } });
    const done = (await conn.query<{ Id: string }>("SELECT Id FROM Task WHERE Status = 'Completed' AND AccountId != null ORDER BY Id LIMIT 1")).records[0]!.Id;
    expect((await hubsync.explainRecord(filtered, done)).answer).toEqual({ verdict: 'outside-filter', filter: "Status != 'Completed'" });

    const cli = await runCli(['job', 'explain', filtered, done], sf.cliEnv);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toContain(`Task ${done} in job '${filtered}': outside-filter`);
    expect(cli.stdout).toMatch(/Outside the job's filter `Status != 'Completed'`/);
    const refused = await runCli(['job', 'explain', ACCOUNTS.replace('accounts', 'nope'), done], sf.cliEnv);
    expect(refused.code).toBe(1);
  });
});
