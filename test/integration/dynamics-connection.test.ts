// Dataverse connections, end to end (issue 13): `connection add --kind dynamics` with an Entra app registration's
// client credentials against the connection's token endpoint (checked with a real grant and call; refused ones
// leave nothing behind), `connection test` with the service-protection state, and a secret rotated with
// `connection update`. The CLI as a user runs it, PostgreSQL, the Dataverse sandbox over HTTP.
import { startDynamicsSandbox, type DynamicsSandboxHandle } from '../../sandbox/dynamics';
import { runCli } from '../support/cli';
import { TEST_SECRET_KEY } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';

jest.setTimeout(240000);

describe('Dataverse connections', () => {
  const pool = testPool();
  let sandbox: DynamicsSandboxHandle;
  const env = { DATABASE_URL: testStack.databaseUrl, TEMPORAL_ADDRESS: testStack.temporalAddress, HUBSYNC_SECRET_KEY: TEST_SECRET_KEY, HUBSYNC_HOME: '/nonexistent/hubsync-home', HUBSYNC_TASK_QUEUE: fileTaskQueue() };
  const cli = (args: string[]) => runCli(args, env);
  const exists = async (id: string) => (await pool.query('SELECT 1 FROM crm_connections WHERE id = $1', [id])).rowCount === 1;
  const flags = (overrides: Record<string, string> = {}) =>
    Object.entries({ '--base-url': sandbox.url, '--tenant-id': sandbox.tenantId, '--client-id': sandbox.clientId, '--client-secret': sandbox.clientSecret, '--token-url': sandbox.tokenUrl, ...overrides }).flatMap(([k, v]) => (v ? [k, v] : []));

  beforeAll(async () => {
    sandbox = await startDynamicsSandbox({ port: 0, seed: 'demo' });
  });
  afterAll(async () => {
    await sandbox?.close();
    await pool.end();
  });

  it('adds a connection after a real token grant and call, and `connection test` prints the service-protection state', async () => {
    const added = await cli(['connection', 'add', 'dvc-app', '--kind', 'dynamics', ...flags()]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/Added connection 'dvc-app' \(dynamics, http:\/\/127\.0\.0\.1:\d+\); stored secrets: clientSecret\. The CRM accepted its credentials\./);
    const { rows } = await pool.query<{ secrets_ciphertext: Buffer; settings: Record<string, unknown> }>(`SELECT secrets_ciphertext, settings FROM crm_connections WHERE id = 'dvc-app'`);
    expect(rows[0]!.secrets_ciphertext.toString('latin1')).not.toContain(sandbox.clientSecret);
    expect(rows[0]!.settings).toMatchObject({ tenantId: sandbox.tenantId, clientId: sandbox.clientId, tokenUrl: sandbox.tokenUrl });
    expect(JSON.stringify(rows[0]!.settings)).not.toContain(sandbox.clientSecret);

    const tested = await cli(['connection', 'test', 'dvc-app']);
    expect(tested.stderr).toBe('');
    expect(tested.stdout).toContain(`authenticated to ${sandbox.url} (dynamics)`);
    expect(tested.stdout).toMatch(/API usage in the rolling window: \d+ of 6000 requests/);
    expect(tested.stdout).toMatch(/rate limit: service protection: \d+ of 6000 requests left in the 5-minute window/);
    expect(tested.stdout).not.toContain(sandbox.clientSecret);
  });

  it("refuses a wrong secret with Entra's reason, and missing settings with what to give; nothing is saved", async () => {
    const wrong = await cli(['connection', 'add', 'dvc-bad', '--kind', 'dynamics', ...flags({ '--client-secret': 'not-the-secret' })]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/requesting an access token at .*oauth2\/v2\.0\/token: AADSTS7000215/);
    expect(wrong.stderr).not.toContain('not-the-secret');
    const tenant = await cli(['connection', 'add', 'dvc-bad', '--kind', 'dynamics', ...flags({ '--token-url': `${sandbox.url}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token` })]);
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toMatch(/AADSTS90002/);
    const missing = await cli(['connection', 'add', 'dvc-bad', '--kind', 'dynamics', ...flags({ '--tenant-id': '' })]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/tenantId/);
    expect(await exists('dvc-bad')).toBe(false);
  });

  it('rotates the client secret with `connection update`, checked first: a wrong one changes nothing', async () => {
    const before = (await pool.query(`SELECT secrets_ciphertext, updated_at FROM crm_connections WHERE id = 'dvc-app'`)).rows[0];
    const refused = await cli(['connection', 'update', 'dvc-app', '--client-secret', 'rotated-wrongly']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/AADSTS7000215/);
    expect((await pool.query(`SELECT secrets_ciphertext, updated_at FROM crm_connections WHERE id = 'dvc-app'`)).rows[0]).toEqual(before);
    const updated = await cli(['connection', 'update', 'dvc-app', '--client-secret', sandbox.clientSecret]);
    expect(updated.stderr).toBe('');
    expect(updated.stdout).toMatch(/Updated connection 'dvc-app' \(dynamics, .*\); stored secrets: clientSecret\. The CRM accepted its credentials\./);
  });
});
