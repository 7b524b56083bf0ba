// The `hubsync` CLI: --help on every command, and `doctor` against a configured stack: green end to end
// (Temporal, pollers, database, every stored connection, the worker's metrics endpoint: issue 15), red with the
// connection's reason and no secret when a CRM stops answering.
import { createPool, migrate } from '../../activities/hub/store';
import { startObservabilityServer, workerReadiness } from '../../workers/observability';
import { createFileWorker, fileTaskQueue, testPool, testStack } from '../support/test-env';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, TEST_SECRET_KEY } from '../support/salesforce';

jest.setTimeout(120000);

const noLocalStack = { HUBSYNC_HOME: '/nonexistent/hubsync-home', TEMPORAL_ADDRESS: '', DATABASE_URL: '' };

describe('hubsync CLI', () => {
  it('lists its commands and has --help on each', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['start', 'doctor', 'worker', 'migrate', 'codec-server']) {
      expect(top.stdout).toContain(command);
      const help = await runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: hubsync ${command}`);
    }
  });

  it('rejects an unknown command with the help text', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('doctor reports red, with the fix, when nothing is configured or running', async () => {
    const result = await runCli(['doctor'], noLocalStack);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✖ temporal\s+not configured/);
    expect(result.stdout).toMatch(/fix: Start hubsync with `npm start`/);
  });

  it('doctor reports all green, end to end, against a running stack and worker, and red with the reason when a connection fails', async () => {
    // A database of its own: the shared one holds every test file's connections, whose sandboxes come and go.
    const admin = testPool();
    const name = `hubsync_cli_doctor_${process.pid}`;
    const url = new URL(testStack.databaseUrl);
    url.pathname = `/${name}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await migrate(url.toString());
    const own = createPool(url.toString(), { max: 2 });
    const sf = await startSalesforceFixture(own, 'cli-doctor', { databaseUrl: url.toString(), temporalAddress: testStack.temporalAddress });
    const worker = await createFileWorker(admin, { secretBox: () => testSecretBox });
    const metrics = await startObservabilityServer({ port: 0, host: '127.0.0.1', pool: own, ...workerReadiness(() => worker) });
    const env = { ...noLocalStack, TEMPORAL_ADDRESS: testStack.temporalAddress, DATABASE_URL: url.toString(), HUBSYNC_TASK_QUEUE: fileTaskQueue(), HUBSYNC_SECRET_KEY: TEST_SECRET_KEY, HUBSYNC_METRICS_URL: metrics.url };
    try {
      const [green, red] = await worker.worker.runUntil(async () => {
        const first = await runCli(['doctor', '--json'], env);
        await sf.close(); // the CRM stops answering
        return [first, await runCli(['doctor'], env)];
      });
      const report = JSON.parse(green.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(green.code).toBe(0);
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['temporal', 'search attributes', 'worker', 'database', 'connection cli-doctor', 'metrics', 'end to end']));
      const detail = (n: string) => report.checks.find((c) => c.name === n)?.detail;
      expect(detail('worker')).toMatch(new RegExp(`^[1-9]\\d* workflow and [1-9]\\d* activity poller\\(s\\) on task queue "${fileTaskQueue()}"`));
      expect(detail('connection cli-doctor')).toMatch(/^salesforce http:\/\/127\.0\.0\.1:\d+: authenticated; \d+ of \d+ API requests today$/);
      expect(detail('metrics')).toMatch(new RegExp(`^${metrics.url}: ready; /metrics answered HTTP 200 with [1-9]\\d* hubsync and \\d+ Temporal SDK metric families$`));

      expect(red.code).toBe(1);
      expect(red.stdout).toMatch(/✖ connection cli-doctor\s+salesforce http:\/\/127\.0\.0\.1:\d+: \S.*/);
      expect(red.stdout).toMatch(/fix: `hubsync connection test cli-doctor` shows it/);
      expect(red.stdout).toMatch(/✔ database /);
      const c = sf.sandbox.credentials;
      for (const secret of [c.clientSecret, c.refreshToken, c.password, TEST_SECRET_KEY]) expect(red.stdout + red.stderr + green.stdout).not.toContain(secret);
    } finally {
      await metrics.close();
      await worker.connection.close();
      await own.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('refuses a bad environment variable with its name and the fix', async () => {
    const result = await runCli(['doctor'], { ...noLocalStack, TEMPORAL_ADDRESS: 'not an address' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TEMPORAL_ADDRESS: expected host:port/);
  });
});
