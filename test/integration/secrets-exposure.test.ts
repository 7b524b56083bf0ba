// No credential leaves the secret store (issue 14 §3): runs on all three CRMs, a write-back, and a run whose secret
// the CRM refuses, with a real `hubsync worker` process logging at debug. Then every workflow the file started
// (its whole history, payloads decoded, its search attributes and memo) and everything the worker printed are
// searched for each secret and each access token the sandboxes issued. Real Temporal dev server, PostgreSQL,
// the Salesforce, HubSpot and Dataverse sandboxes over HTTP.
import { Client, Connection } from '@temporalio/client';
import { addConnection, updateConnection } from '../../activities/hub/connections';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { CliProcess } from '../support/cli';
import { startDynamicsFixture, type DynamicsFixture } from '../support/dynamics';
import { startHubSpotFixture, type HubSpotFixture } from '../support/hubspot';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, prefixedAccountsConfig } from '../support/writeback';

jest.setTimeout(300000);

const SF = 'sec-sf';
const HS = 'sec-hs';
const DV = 'sec-dv';
const BAD = 'sec-bad';
const WRONG_SECRET = 'wrong-secret-7c1f9e2a-never-print-me';

/** Every string inside a value: payload bytes decoded as UTF-8, so a JSON payload's text is searched too. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'), Buffer.from(value).toString('base64'));
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

describe('secrets never leave the secret store', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dv: DynamicsFixture;
  let temporalConnection: Connection;
  let client: Client;
  let hubsync: HubsyncClient;
  let worker: CliProcess;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, SF, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    hs = await startHubSpotFixture(pool, HS, { oauth: true, searchPerSecond: 100, rateLimits: { searchPerSecond: 100 } });
    dv = await startDynamicsFixture(pool, DV);
    // A second Dataverse connection, whose secret is later rotated to one the CRM refuses (`--no-check`).
    await addConnection(pool, testSecretBox, { id: BAD, kind: 'dynamics', baseUrl: dv.sandbox.url, tenantId: dv.sandbox.tenantId, clientId: dv.sandbox.clientId, clientSecret: dv.sandbox.clientSecret, tokenUrl: dv.sandbox.tokenUrl });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    client = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(client, pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    worker = new CliProcess(['worker'], { ...sf.cliEnv, HUBSYNC_LOG_LEVEL: 'debug' });
    await worker.waitFor(`polls task queue "${fileTaskQueue()}"`, 120000);
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited(30000).catch(() => undefined);
    await sf?.close();
    await hs?.close();
    await dv?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('keeps every secret and token out of workflow histories, search attributes, memos, the worker log and error messages', async () => {
    await createValidatedJob(pool, testSecretBox, { id: `${SF}-accounts`, connectionId: SF, config: prefixedAccountsConfig('SEC') });
    await createValidatedJob(pool, testSecretBox, { id: `${HS}-accounts`, connectionId: HS, config: configFromTemplate('accounts-inbound', 'hubspot') });
    await createValidatedJob(pool, testSecretBox, { id: `${DV}-accounts`, connectionId: DV, config: configFromTemplate('accounts-inbound', 'dynamics') });
    for (const id of [`${SF}-accounts`, `${HS}-accounts`, `${DV}-accounts`]) expect((await hubsync.runJob(id, 'full')).stats.created).toBeGreaterThan(0);
    await hubsync.setAttributeWriteBack('sec_tier', { on: true });
    const crmId = (await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id LIMIT 1`, [SF])).rows[0]!.crm_id;
    const account = await hubAccountOf(pool, SF, crmId);
    const outcome = await hubsync.writeBack({ account, changes: { sec_tier: 'Tier 2' }, origin: 'account-profile', actor: 'csm@hub.example', requestId: `sec-${Date.now()}` });
    expect(outcome.sources[0]?.status).toMatch(/written|unchanged/);

    // A run whose secret is refused: failed, with Entra's reason and the fix, and without the secret.
    const job = `${BAD}-accounts`;
    await createValidatedJob(pool, testSecretBox, { id: job, connectionId: BAD, config: configFromTemplate('accounts-inbound', 'dynamics') });
    await updateConnection(pool, testSecretBox, BAD, { clientSecret: WRONG_SECRET });
    const failed = await hubsync.startRun(job, 'full').then((h) => h.result()).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failed).toBeInstanceOf(Error);
    const failure = JSON.stringify({ message: failed?.message, cause: (failed as { cause?: unknown } | undefined)?.cause }, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack, cause: (v as { cause?: unknown }).cause } : v));
    expect(failure).toMatch(/AADSTS7000215/);
    const runRow = (await pool.query<{ error: unknown }>(`SELECT to_jsonb(r) AS error FROM job_runs r WHERE job_id = $1 ORDER BY id DESC LIMIT 1`, [job])).rows[0];

    const secrets = [
      sf.sandbox.credentials.clientSecret,
      sf.sandbox.credentials.refreshToken,
      sf.sandbox.credentials.password,
      sf.sandbox.credentials.securityToken,
      sf.sandbox.accessToken(),
      hs.sandbox.accessToken,
      hs.sandbox.oauth.clientSecret,
      hs.sandbox.oauth.refreshToken,
      dv.sandbox.clientSecret,
      WRONG_SECRET,
    ].filter((s) => s.length >= 8);
    expect(secrets.length).toBeGreaterThanOrEqual(9);

    const haystacks: Array<{ where: string; text: string }> = [
      { where: 'worker log', text: worker.output },
      { where: 'failed run (client error)', text: failure },
      { where: 'failed run (job_runs row)', text: JSON.stringify(runRow ?? null) },
    ];
    let workflows = 0;
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${fileTaskQueue()}'` })) {
      workflows++;
      const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
      const history = await handle.fetchHistory();
      const described = await handle.describe();
      haystacks.push({ where: `${wf.type} ${wf.workflowId}`, text: strings([history, described.searchAttributes, described.memo ?? {}]).join('\n') });
    }
    expect(workflows).toBeGreaterThanOrEqual(5);
    // Payloads are searched as text: the runs' inputs (JSON payloads) show their job IDs there.
    expect(haystacks.filter((h) => h.text.includes(`"${SF}-accounts"`)).length).toBeGreaterThan(0);
    expect(haystacks.filter((h) => h.text.includes('sec_tier')).length).toBeGreaterThan(0);
    // The worker did log at debug (activity starts and the like), so an empty log proves nothing.
    expect(worker.output.length).toBeGreaterThan(0);
    const leaks = haystacks.flatMap((h) => secrets.filter((s) => h.text.includes(s)).map((s) => `${h.where}: …${s.slice(0, 4)}…`));
    expect(leaks).toEqual([]);
  });
});
