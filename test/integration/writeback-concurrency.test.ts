// Write-back under concurrency and crashes (W14, P4): many write-backs to one account are applied one after
// another in arrival order; different accounts in parallel; a worker SIGKILLed mid-write-back writes once;
// the account's workflow continues as new without forgetting a request ID.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { HubsyncClient } from '../../client/hubsync-client';
import { makeAccountWriteBackWorkflowId, type WriteBackRequest } from '../../kernel/writeback';
import { accountWriteBackWorkflow } from '../../workflows/writeback';
import { CliProcess } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, loggedRequests, prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(240000);

const C = 'wbc';
const P = 'WBC';

describe('write-back under concurrency and crashes', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let temporal: Client;
  let hubsync: HubsyncClient;
  let accounts: Array<{ hubId: number; crmId: string }>;
  const workers: CliProcess[] = [];
  let seq = 0;

  const request = (accountId: number, changes: WriteBackRequest['changes'], extra: Partial<WriteBackRequest> = {}): WriteBackRequest => ({
    account: accountId,
    changes,
    origin: 'account-profile',
    actor: 'load@hub.example',
    requestId: `wbc-${Date.now()}-${seq++}`,
    ...extra,
  });
  const score = async (crmId: string) => (await conn.query<{ Health_Score__c: number }>(`SELECT Health_Score__c FROM Account WHERE Id = '${crmId}'`)).records[0]?.Health_Score__c;
  const withFileWorker = async <T>(body: () => Promise<T>): Promise<T> => {
    const worker = await startFileWorker(pool);
    try {
      return await body();
    } finally {
      await worker.stop();
    }
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    temporal = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(temporal, pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    await withFileWorker(() => importAccounts(pool, hubsync, C, prefixedAccountsConfig(P)));
    for (const key of ['wbc_health_score', 'wbc_tier']) await hubsync.setAttributeWriteBack(key, { on: true });
    const crm = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id LIMIT 8')).records;
    accounts = await Promise.all(crm.map(async (r) => ({ crmId: r.Id, hubId: await hubAccountOf(pool, C, r.Id) })));
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('applies 20 concurrent write-backs to one account one after another, in the order the workflow received them', async () => {
    const target = accounts[0] as { hubId: number; crmId: string };
    const requests = Array.from({ length: 20 }, (_, i) => request(target.hubId, { wbc_health_score: 10 + i }));
    const outcomes = await withFileWorker(() => Promise.all(requests.map((r) => hubsync.writeBack(r))));
    expect(outcomes.map((o) => o.sources[0]?.status)).toEqual(Array(20).fill('written'));

    // Applied one after another, none lost: each write started from the value the previous one left.
    const log = await pool.query<{ request_id: string; previous_value: number; value_after: number; received_position: number }>(
      `SELECT request_id, previous_value, value_after, received_position FROM write_back_log WHERE request_id = ANY($1) ORDER BY completed_at, id`,
      [requests.map((r) => r.requestId)],
    );
    expect(log.rows).toHaveLength(20);
    for (let i = 1; i < log.rows.length; i++) expect(log.rows[i]?.previous_value).toBe(log.rows[i - 1]?.value_after);
    // In the order the account's workflow received them (its queue positions, 1 to 20, in the order applied).
    const positions = log.rows.map((r) => r.received_position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(20);
    // The same order as the workflow's history accepted them (what a replay follows).
    const history = await temporal.workflow.getHandle(makeAccountWriteBackWorkflowId(target.hubId)).fetchHistory();
    const accepted = (history.events ?? [])
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId)
      .filter((id): id is string => typeof id === 'string' && requests.some((r) => r.requestId === id));
    expect(log.rows.map((r) => r.request_id)).toEqual(accepted);
    const last = requests.find((r) => r.requestId === accepted[accepted.length - 1]);
    expect(await score(target.crmId)).toBe(last?.changes['wbc_health_score']);
  });

  it('writes back to different accounts in parallel', async () => {
    const five = accounts.slice(1, 6);
    await sf.admin('DELETE', '/__admin/requests');
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path: '/services/data/*/sobjects/Account/*', latencyMs: 1000, count: 5 });
    const outcomes = await withFileWorker(() => Promise.all(five.map((a, i) => hubsync.writeBack(request(a.hubId, { wbc_health_score: 60 + i })))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // Each PATCH was held for a second; they overlapped rather than queued behind one another.
    const patchLog = (await sf.admin('GET', '/__admin/requests?method=PATCH')) as { requests: Array<{ timestamp: string; durationMs: number }> };
    const starts = patchLog.requests.map((r) => Date.parse(r.timestamp));
    expect(patchLog.requests).toHaveLength(5);
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(Math.min(...patchLog.requests.map((r) => r.durationMs)));
  });

  it('writes once when the worker is SIGKILLed during the write-back, and the log agrees', async () => {
    const target = accounts[6] as { hubId: number; crmId: string };
    const path = `/services/data/*/sobjects/Account/${target.crmId}`;
    const first = new CliProcess(['worker'], sf.cliEnv);
    workers.push(first);
    await first.waitFor(`polls task queue "${fileTaskQueue()}"`, 120000);
    await sf.admin('DELETE', '/__admin/requests');
    // Hold the PATCH so the kill lands while it is on its way.
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path, latencyMs: 2500, count: 1 });
    const req = request(target.hubId, { wbc_health_score: 42 });
    const call = hubsync.writeBack(req);
    for (let i = 0; i < 200; i++) {
      const pending = await pool.query(`SELECT 1 FROM write_back_log WHERE request_id = $1 AND outcome = 'pending'`, [req.requestId]);
      if (pending.rowCount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The PATCH leaves a few milliseconds after its pending row; it is then held 2.5 s by the sandbox.
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    await first.exited(10000);

    const outcome = await withFileWorker(() => call);
    expect(outcome.sources[0]).toMatchObject({ status: 'written', valueAfter: 42 });
    expect(await score(target.crmId)).toBe(42);
    // One PATCH reached the CRM: the retried attempt re-read the record and recognised its own write.
    expect((await loggedRequests(sf.admin, 'PATCH', path)).map((r) => r.status)).toEqual([204]);
    const log = await pool.query(`SELECT outcome, value_after, writes_sent FROM write_back_log WHERE request_id = $1`, [req.requestId]);
    expect(log.rows).toEqual([{ outcome: 'written', value_after: 42, writes_sent: 1 }]);
    const value = await pool.query(
      `SELECT v.value, v.crm_value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE d.key = 'wbc_health_score' AND v.account_id = $1 AND v.connection_id = $2`,
      [target.hubId, C],
    );
    expect(value.rows).toEqual([{ value: 42, crm_value: 42 }]);
  });

  it('continues as new without forgetting request IDs: a retried request returns its first outcome', async () => {
    const target = accounts[7] as { hubId: number; crmId: string };
    const workflowId = makeAccountWriteBackWorkflowId(target.hubId);
    await withFileWorker(async () => {
      await temporal.workflow.start(accountWriteBackWorkflow, { workflowId, taskQueue: fileTaskQueue(), args: [{ accountId: target.hubId, updatesPerExecution: 3 }] });
      const firstRun = (await temporal.workflow.getHandle(workflowId).describe()).runId;
      const requests = Array.from({ length: 7 }, (_, i) => request(target.hubId, { wbc_health_score: 80 + i }));
      const outcomes = [];
      for (const r of requests) outcomes.push(await hubsync.writeBack(r));
      expect(outcomes.map((o) => o.sources[0]?.status)).toEqual(Array(7).fill('written'));
      expect((await temporal.workflow.getHandle(workflowId).describe()).runId).not.toBe(firstRun);
      const patchesBefore = (await loggedRequests(sf.admin, 'PATCH', `/services/data/*/sobjects/Account/${target.crmId}`)).length;
      const replay = await hubsync.writeBack(requests[0] as WriteBackRequest);
      expect(replay).toEqual({ ...outcomes[0], replayed: true });
      expect((await loggedRequests(sf.admin, 'PATCH', `/services/data/*/sobjects/Account/${target.crmId}`)).length).toBe(patchesBefore);
      expect(await score(target.crmId)).toBe(86);
    });
  });
});
