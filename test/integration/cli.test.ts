// The `hubsync` CLI: --help on every command, and `doctor` against a configured stack.
import { fileTaskQueue, testPool, testStack, withWorker } from '../support/test-env';
import { runCli } from '../support/cli';

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

  it('doctor reports all green, end to end, against a running stack and worker', async () => {
    const pool = testPool();
    try {
      const result = await withWorker(pool, () =>
        runCli(['doctor', '--json'], { ...noLocalStack, TEMPORAL_ADDRESS: testStack.temporalAddress, DATABASE_URL: testStack.databaseUrl, HUBSYNC_TASK_QUEUE: fileTaskQueue() }),
      );
      const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(result.code).toBe(0);
      expect(report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining(['temporal', 'search attributes', 'worker', 'database', 'end to end']),
      );
    } finally {
      await pool.end();
    }
  });

  it('refuses a bad environment variable with its name and the fix', async () => {
    const result = await runCli(['doctor'], { ...noLocalStack, TEMPORAL_ADDRESS: 'not an address' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TEMPORAL_ADDRESS: expected host:port/);
  });
});
