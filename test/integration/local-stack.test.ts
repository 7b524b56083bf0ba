// P5: `hubsync start` (= `npm start`) brings up PostgreSQL, Temporal and the worker, `doctor` is green,
// Ctrl-C (SIGINT to the process group) stops everything it started, and a second start keeps the state.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool } from '../../activities/hub/store';
import { freePort } from '../../local/ports';
import { CliProcess, isProcessAlive, runCli } from '../support/cli';
import { testStack } from '../support/test-env';

jest.setTimeout(300000);

function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(entry), ...childPids(Number(entry)));
    } catch {
      // process ended while listing
    }
  }
  return pids;
}

describe('hubsync start (local stack)', () => {
  it('starts everything, is green in doctor, stops on Ctrl-C leaving no process, and restarts with its state', async () => {
    const home = path.join(testStack.workDir, 'local-stack-home');
    const env = {
      HUBSYNC_HOME: home,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      HUBSYNC_PG_PORT: String(await freePort()),
      HUBSYNC_SFDC_SANDBOX_PORT: String(await freePort()),
      HUBSYNC_HUBSPOT_SANDBOX_PORT: String(await freePort()),
      HUBSYNC_DYNAMICS_SANDBOX_PORT: String(await freePort()),
      HUBSYNC_METRICS_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
    };

    const first = new CliProcess(['start'], env, { detached: true });
    let descendants: number[] = [];
    try {
      await first.waitFor('Press Ctrl-C to stop.', 240000);
      expect(first.output).toContain(`Temporal UI:  http://127.0.0.1:${env.TEMPORAL_UI_PORT}`);
      descendants = childPids(first.child.pid!);
      expect(descendants.length).toBeGreaterThan(0);

      const doctor = await runCli(['doctor', '--json'], env);
      const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['temporal ui', 'end to end', 'sandbox salesforce', 'sandbox hubspot', 'sandbox dynamics']));
      // Issue 15: the worker's metrics and health endpoint, and every stored connection (the demo's three).
      expect(first.output).toContain(`Metrics:      http://127.0.0.1:${env.HUBSYNC_METRICS_PORT}/metrics`);
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['metrics', 'connection demo', 'connection demo-hubspot', 'connection demo-dynamics']));
      expect((await fetch(`http://127.0.0.1:${env.HUBSYNC_METRICS_PORT}/readyz`)).status).toBe(200);

      // The demo: a connection to the sandbox and all six jobs, enabled, scheduled, run once.
      await first.waitFor(/Demo: demo-tasks-inbound run \d+ done \(\d+ created/, 120000);
      await first.waitFor(/Demo: demo-touchpoints-inbound run \d+ done \(\d+ created/, 120000);
      // All six kinds run: the outbound jobs send the hub's own records (3 each), nothing rejected.
      for (const kind of ['tasks-outbound', 'touchpoints-outbound', 'campaign-touch-outbound']) {
        await first.waitFor(new RegExp(`Demo: demo-${kind} run \\d+ done \\(3 created, 0 updated, \\d+ skipped, 0 rejected\\)`), 120000);
      }
      // The write-back example the demo prints (and the README shows) works as printed (W1, W3, W6).
      await first.waitFor(/Demo: try it on .*npx hubsync writeback demo:\S+/, 120000);
      const account = /npx hubsync writeback (demo:\S+)/.exec(first.output)?.[1] as string;
      const writeback = await runCli(['writeback', account, '--set', 'account_notes=Renewal call booked', '--set', 'products=Analytics', '--set', 'products=Engage'], env);
      expect(writeback.stderr).toBe('');
      expect(writeback.code).toBe(0);
      expect(writeback.stdout).toMatch(/account_notes\s+demo\s+Account\/\S+\s+Description\s+written/);
      // The demo links a HubSpot company and a Dataverse account to this account: products is written to all
      // three CRMs (W5 across CRMs).
      expect(writeback.stdout).toMatch(/products\s+demo-hubspot\s+companies\/\S+\s+products\s+written/);
      expect(writeback.stdout).toMatch(/products\s+demo-dynamics\s+accounts\/\S+\s+hubsync_products\s+written/);
      expect(writeback.stdout).toMatch(/4 of 4 source\(s\) written or unchanged/);
      const jobs = JSON.parse((await runCli(['job', 'list', '--json'], env)).stdout) as Array<{ id: string; enabled: boolean }>;
      expect(jobs.map((j) => [j.id, j.enabled]).sort()).toEqual(
        [['demo-accounts-inbound', true], ['demo-campaign-touch-outbound', true], ['demo-dynamics-accounts-inbound', true], ['demo-hubspot-accounts-inbound', true], ['demo-tasks-inbound', true], ['demo-tasks-outbound', true], ['demo-touchpoints-inbound', true], ['demo-touchpoints-outbound', true]],
      );
      const runs = JSON.parse((await runCli(['job', 'runs', 'demo-tasks-inbound', '--json'], env)).stdout) as Array<{ workflowId: string; status: string; stats: { created: number } }>;
      // The demo's own first run (the 15-minute schedule, aligned to the clock, may have started another).
      const demoRun = runs.find((r) => r.workflowId.includes('-manual-'));
      expect(demoRun).toMatchObject({ status: 'completed' });
      expect(demoRun!.stats.created).toBeGreaterThan(100);

      // Ctrl-C in a terminal signals the whole foreground process group.
      process.kill(-first.child.pid!, 'SIGINT');
      await expect(first.exited(60000)).resolves.toBe(0);
      expect(first.output).toContain('Stopped.');
      await new Promise((r) => setTimeout(r, 500));
      expect(descendants.filter(isProcessAlive)).toEqual([]);
      expect(fs.existsSync(path.join(home, 'runtime.json'))).toBe(false);
    } finally {
      // On a failure, leave nothing behind: the Temporal server runs in its own process group.
      if (first.child.exitCode === null) process.kill(-first.child.pid!, 'SIGKILL');
      for (const pid of descendants.filter(isProcessAlive)) process.kill(pid, 'SIGKILL');
    }

    const second = new CliProcess(['start'], env, { detached: true });
    let secondDescendants: number[] = [];
    try {
      await second.waitFor('Press Ctrl-C to stop.', 240000);
      secondDescendants = childPids(second.child.pid!);
      expect(second.output).toContain('Database schema is up to date.');
      expect(second.output).not.toContain('Initialising embedded PostgreSQL');
      expect(second.output).not.toContain('Demo: created job');
      // The demo jobs ran once, when they were created; a second start leaves them to their schedules.
      expect(second.output).toContain('set up by an earlier start');
      const doctor = await runCli(['doctor', '--json'], env);
      expect((JSON.parse(doctor.stdout) as { ok: boolean }).ok).toBe(true);
      // Both doctor runs' probes survive in PostgreSQL and in Temporal's history: the state was reused.
      const info = JSON.parse(fs.readFileSync(path.join(home, 'runtime.json'), 'utf8')) as { database: { url: string } };
      const pool = createPool(info.database.url, { max: 1 });
      const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
      try {
        const probes = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM worker_probes WHERE requested_by = 'hubsync doctor'`);
        expect(probes.rows[0]?.n).toBe(2);
        const runs = await new Client({ connection }).workflow.count(`WorkflowType = 'probeWorkflow'`);
        expect(runs.count).toBe(2);
      } finally {
        await pool.end();
        await connection.close();
      }
      process.kill(-second.child.pid!, 'SIGINT');
      await expect(second.exited(60000)).resolves.toBe(0);
    } finally {
      if (second.child.exitCode === null) process.kill(-second.child.pid!, 'SIGKILL');
      for (const pid of secondDescendants.filter(isProcessAlive)) process.kill(pid, 'SIGKILL');
    }
  });
});
