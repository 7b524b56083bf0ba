// One error layer (issue: seams, item 4): a CRM that refuses the connection's credentials fails the run at
// once (no retry), pauses the job's schedule, and says so in the run, in Temporal and in `hubsync job show`.
import { ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { testPool, testStack, withWorker, fileTaskQueue } from '../support/test-env';

jest.setTimeout(180000);

const CONNECTION = 'auth-sbx';

describe('authentication failures', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let temporalConnection: Connection;
  let temporal: Client;
  let hubsync: HubsyncClient;

  const revokeRefreshToken = async () => {
    const res = await fetch(`${sf.sandbox.url}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: sf.sandbox.credentials.refreshToken }).toString(),
    });
    expect(res.status).toBe(200);
  };
  const tokenRequests = async () =>
    ((await sf.admin('GET', '/__admin/requests?method=POST&path=/services/oauth2/token')) as { requests: unknown[] }).requests.length;

  beforeEach(async () => {
    sf = await startSalesforceFixture(pool, CONNECTION, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    temporal = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(temporal, pool, { taskQueue: fileTaskQueue() });
    await createValidatedJob(pool, testSecretBox, { id: `${CONNECTION}-accounts`, connectionId: CONNECTION, config: configFromTemplate('accounts-inbound') });
    await pool.query('UPDATE integration_jobs SET enabled = true WHERE id = $1', [`${CONNECTION}-accounts`]);
    await hubsync.schedule(`${CONNECTION}-accounts`, { every: '1h' });
  });
  afterEach(async () => {
    await temporal.schedule.getHandle(`hubsync-schedule-${CONNECTION}-accounts`).delete();
    await pool.query('DELETE FROM integration_jobs WHERE connection_id = $1', [CONNECTION]);
    await pool.query('DELETE FROM crm_connections WHERE id = $1', [CONNECTION]);
    await sf.close();
    await temporalConnection.close();
  });
  afterAll(() => pool.end());

  it('fails the run at once when the token endpoint refuses, and pauses the schedule', async () => {
    await revokeRefreshToken();
    await sf.admin('DELETE', '/__admin/requests');
    const handle = await hubsync.startRun(`${CONNECTION}-accounts`, 'incremental');
    const failure = await withWorker(pool, () => handle.result().then(() => undefined, (err: unknown) => err), { secretBox: () => testSecretBox });

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'hubsync.auth', nonRetryable: true });
    expect(cause?.message).toMatch(/authentication at .* failed: expired access\/refresh token/);
    expect(cause?.message).toMatch(/schedule is paused .* `hubsync job resume auth-sbx-accounts`/);
    // Not retried: one token request, one attempt of the activity.
    expect(await tokenRequests()).toBe(1);
    const attempts = ((await handle.fetchHistory()).events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a !== undefined && a !== null);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a === 1)).toBe(true);

    const schedule = await temporal.schedule.getHandle(`hubsync-schedule-${CONNECTION}-accounts`).describe();
    expect(schedule.state.paused).toBe(true);
    expect(schedule.state.note).toMatch(/refused the connection's credentials/);

    const shown = await runCli(['job', 'show', `${CONNECTION}-accounts`], sf.cliEnv);
    expect(shown.stdout).toMatch(/schedule:\s+every 1h, paused: paused by hubsync: the CRM refused the connection's credentials/);
  });

  it('records the refusal with the run when it happens mid-run', async () => {
    // Two accounts a page, each page slowed down: the credentials are revoked while the run pages.
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'GET', path: '/services/data/*/queryAll', latencyMs: 300 });
    const result = await withWorker(
      pool,
      async () => {
        const handle = await hubsync.startRun(`${CONNECTION}-accounts`, 'full');
        for (let i = 0; i < 200; i++) {
          const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_run_pages p JOIN job_runs r ON r.id = p.run_id WHERE r.workflow_id = $1', [handle.workflowId]);
          if ((rows[0]?.n ?? 0) >= 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await revokeRefreshToken();
        return handle.result().then(() => undefined, (err: unknown) => ({ err, workflowId: handle.workflowId }));
      },
      { secretBox: () => testSecretBox, pageSize: 2 },
    );
    expect(result?.err).toBeInstanceOf(WorkflowFailedError);
    const run = await pool.query<{ status: string; error: string; stats: { pages: number } }>('SELECT status, error, stats FROM job_runs WHERE workflow_id = $1', [result!.workflowId]);
    expect(run.rows[0]).toMatchObject({ status: 'failed' });
    expect(run.rows[0]!.stats.pages).toBeGreaterThanOrEqual(1);
    expect(run.rows[0]!.error).toMatch(/expired access\/refresh token[\s\S]*schedule is paused/);
    expect((await temporal.schedule.getHandle(`hubsync-schedule-${CONNECTION}-accounts`).describe()).state.paused).toBe(true);
  });
});
