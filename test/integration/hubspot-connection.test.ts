// HubSpot connections, end to end (issue 12): `connection add --kind hubspot` with a private app token or an OAuth
// app (checked with a real call; refused ones leave nothing behind), `connection test` with the rate-limit state,
// an OAuth access token that expires between runs refreshed and the call replayed, and HubSpot's secondly limit
// (429) retried inside a run. Real Temporal dev server, PostgreSQL, the HubSpot sandbox over HTTP.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as HubSpotClient } from '@hubspot/api-client';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { startHubSpotSandbox, type HubSpotSandboxHandle } from '../../sandbox/hubspot';
import { runCli } from '../support/cli';
import { TEST_SECRET_KEY, testSecretBox } from '../support/salesforce';
import { createFileWorker, fileTaskQueue, testPool, testStack } from '../support/test-env';

jest.setTimeout(240000);

describe('HubSpot connections', () => {
  const pool = testPool();
  let sandbox: HubSpotSandboxHandle;
  /** How far the sandbox's clock is ahead of the real one (to let its tokens expire). */
  let offsetMs = 0;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  const env = { DATABASE_URL: testStack.databaseUrl, TEMPORAL_ADDRESS: testStack.temporalAddress, HUBSYNC_SECRET_KEY: TEST_SECRET_KEY, HUBSYNC_HOME: '/nonexistent/hubsync-home', HUBSYNC_TASK_QUEUE: fileTaskQueue() };
  const cli = (args: string[]) => runCli(args, env);
  const admin = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(new URL(p, sandbox.url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return (await res.json().catch(() => undefined)) as Record<string, unknown> & { requests: Array<{ method: string; path: string; status: number }> };
  };
  const exists = async (id: string) => (await pool.query('SELECT 1 FROM crm_connections WHERE id = $1', [id])).rowCount === 1;

  beforeAll(async () => {
    sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo', clock: () => new Date(Date.now() + offsetMs), accessTokenTtlSeconds: 120 });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue() });
  });
  afterAll(async () => {
    await sandbox?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('adds a private-app connection after a real call, and `connection test` prints the daily and rolling limits', async () => {
    const added = await cli(['connection', 'add', 'hsc-pat', '--kind', 'hubspot', '--base-url', sandbox.url, '--access-token', sandbox.accessToken]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/Added connection 'hsc-pat' \(hubspot, http:\/\/127\.0\.0\.1:\d+\); stored secrets: accessToken\. The CRM accepted its credentials\./);
    const { rows } = await pool.query<{ secrets_ciphertext: Buffer; settings: unknown }>(`SELECT secrets_ciphertext, settings FROM crm_connections WHERE id = 'hsc-pat'`);
    expect(rows[0]!.secrets_ciphertext.toString('latin1')).not.toContain(sandbox.accessToken);
    expect(JSON.stringify(rows[0]!.settings)).not.toContain(sandbox.accessToken);

    const tested = await cli(['connection', 'test', 'hsc-pat']);
    expect(tested.stderr).toBe('');
    expect(tested.stdout).toContain(`authenticated to ${sandbox.url} (hubspot)`);
    expect(tested.stdout).toMatch(/API usage today: \d+ of 500000 requests/);
    expect(tested.stdout).toMatch(/rate limit: \d+ of \d+ requests in the rolling \d+ ms window/);
    expect(tested.stdout).not.toContain(sandbox.accessToken);
  });

  it('adds an OAuth connection from a file; a wrong token, secret or missing credentials are refused and nothing is saved', async () => {
    const dir = os.tmpdir();
    const good = path.join(dir, `hsc-oauth-${process.pid}.yaml`);
    writeFileSync(good, `clientId: ${sandbox.oauth.clientId}\nclientSecret: ${sandbox.oauth.clientSecret}\nrefreshToken: ${sandbox.oauth.refreshToken}\n`);
    const added = await cli(['connection', 'add', 'hsc-oauth', '--kind', 'hubspot', '--base-url', sandbox.url, '--file', good]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/stored secrets: clientSecret, refreshToken\. The CRM accepted its credentials\./);
    const tested = await cli(['connection', 'test', 'hsc-oauth']);
    expect(tested.stdout).toMatch(/API usage in the rolling window: \d+ of \d+ requests/);
    expect(tested.stdout).toMatch(/OAuth apps have no daily allowance/);

    const wrongToken = await cli(['connection', 'add', 'hsc-bad', '--kind', 'hubspot', '--base-url', sandbox.url, '--access-token', 'pat-na1-not-a-token']);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/INVALID_AUTHENTICATION|authentication/i);
    expect(wrongToken.stderr).not.toContain('pat-na1-not-a-token');
    const wrongRefresh = await cli(['connection', 'add', 'hsc-bad', '--kind', 'hubspot', '--base-url', sandbox.url, '--client-id', sandbox.oauth.clientId, '--client-secret', sandbox.oauth.clientSecret, '--refresh-token', 'nope']);
    expect(wrongRefresh.code).toBe(1);
    expect(wrongRefresh.stderr).toMatch(/refreshing the OAuth access token/);
    const none = await cli(['connection', 'add', 'hsc-bad', '--kind', 'hubspot', '--base-url', sandbox.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/give a private app's accessToken, or an OAuth app's clientId, clientSecret and refreshToken/);
    expect(await exists('hsc-bad')).toBe(false);
  });

  it('refreshes an OAuth access token that expired between calls and replays the call; the run completes', async () => {
    await createValidatedJob(pool, testSecretBox, { id: 'hsc-oauth-accounts', connectionId: 'hsc-oauth', config: configFromTemplate('accounts-inbound', 'hubspot') });
    const worker = await createFileWorker(pool, { secretBox: () => testSecretBox });
    const running = worker.run();
    try {
      const first = await (await hubsync.startRun('hsc-oauth-accounts', 'full')).result();
      expect(first.stats.created).toBeGreaterThan(0);
      // The worker keeps its session (and token); HubSpot's clock moves past the token's lifetime.
      offsetMs += 300_000;
      await admin('DELETE', '/__admin/requests');
      const second = await (await hubsync.startRun('hsc-oauth-accounts', 'full')).result();
      expect(second.stats).toMatchObject({ read: first.stats.read, created: 0 });
      const log = (await admin('GET', '/__admin/requests')).requests;
      const expired = log.findIndex((r) => r.status === 401);
      expect(expired).toBeGreaterThanOrEqual(0);
      expect(log.slice(expired + 1).some((r) => r.method === 'POST' && r.path === '/oauth/v1/token' && r.status === 200)).toBe(true);
    } finally {
      worker.shutdown();
      await running;
    }
  });

  it("retries HubSpot's secondly limit (429) inside a run: every company read once, exact statistics", async () => {
    await createValidatedJob(pool, testSecretBox, { id: 'hsc-pat-accounts', connectionId: 'hsc-pat', config: configFromTemplate('accounts-inbound', 'hubspot') });
    const companies = (await new HubSpotClient({ accessToken: sandbox.accessToken, basePath: sandbox.url }).crm.companies.getAll()).length;
    await admin('POST', '/__admin/rate-limits', { secondly: 2, intervalMs: 1000 });
    await admin('DELETE', '/__admin/requests');
    const worker = await createFileWorker(pool, { secretBox: () => testSecretBox, pageSize: 10 });
    const running = worker.run();
    try {
      const result = await (await hubsync.startRun('hsc-pat-accounts', 'full')).result();
      expect(result.stats).toMatchObject({ read: companies, created: companies, rejected: {} });
      const log = (await admin('GET', '/__admin/requests')).requests;
      expect(log.some((r) => r.status === 429)).toBe(true);
    } finally {
      worker.shutdown();
      await running;
      await admin('POST', '/__admin/rate-limits', { secondly: 1000, intervalMs: 1000 });
    }
  });
});
