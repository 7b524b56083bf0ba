// What a newcomer met in the first hour (issue: newcomer defects), each through the real CLI: refusals that
// write nothing, schedules that follow their job, CRM errors that reach the user, and quiet pipes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { BIN, runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { testPool, testStack, withWorker, fileTaskQueue } from '../support/test-env';

jest.setTimeout(240000);

const CONNECTION = 'nc-sbx';
const ACCOUNTS = `${CONNECTION}-accounts`;
const TASKS = `${CONNECTION}-tasks`;

describe('newcomer defects', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let temporalConnection: Connection;
  let temporal: Client;
  let hubsync: HubsyncClient;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...sf.cliEnv, ...env });
  const jobRow = async (id: string) => (await pool.query('SELECT version, enabled, config, updated_at FROM integration_jobs WHERE id = $1', [id])).rows[0];
  const schedule = (id: string) => temporal.schedule.getHandle(`hubsync-schedule-${id}`).describe();
  const noSchedule = async (id: string) => expect(await schedule(id).catch((e: unknown) => e)).toBeInstanceOf(ScheduleNotFoundError);

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, CONNECTION, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    temporal = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(temporal, pool, { secretBox: () => testSecretBox, taskQueue: fileTaskQueue() });
    await createValidatedJob(pool, testSecretBox, { id: ACCOUNTS, connectionId: CONNECTION, config: configFromTemplate('accounts-inbound') });
    await createValidatedJob(pool, testSecretBox, { id: TASKS, connectionId: CONNECTION, config: configFromTemplate('tasks-inbound') });
  });
  afterAll(async () => {
    for (const id of [ACCOUNTS, TASKS]) await temporal.schedule.getHandle(`hubsync-schedule-${id}`).delete().catch(() => undefined);
    await sf.close();
    await temporalConnection.close();
    await pool.end();
  });

  describe('state written or kept wrongly', () => {
    it('refuses a bad --every before enabling anything', async () => {
      const before = await jobRow(ACCOUNTS);
      for (const every of ['banana', '99999999d', '10s']) {
        const result = await cli(['job', 'enable', ACCOUNTS, '--every', every, '--no-run']);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/--every/);
        expect(result.stderr).toMatch(/fix: /);
      }
      expect(await jobRow(ACCOUNTS)).toEqual(before);
      await noSchedule(ACCOUNTS);
    });

    it('says the accepted range, and reports the schedule Temporal stored', async () => {
      const tooLong = await cli(['job', 'enable', ACCOUNTS, '--every', '99999999d', '--no-run']);
      expect(tooLong.stderr).toMatch(/out of range[\s\S]*fix: give an interval from 1m to 366d/);
      const enabled = await cli(['job', 'enable', ACCOUNTS, '--every', '1440m', '--no-run']);
      expect(enabled.stderr).toBe('');
      expect(enabled.stdout).toMatch(/Scheduled: every 1d, active; next run \d{4}-\d\d-\d\dT/);
      expect((await schedule(ACCOUNTS)).spec.intervals?.[0]?.every).toBe(86400 * 1000);
    });

    it('shows the schedule, its state and next run, and the last run in job show and job list', async () => {
      const shown = await cli(['job', 'show', ACCOUNTS]);
      expect(shown.stdout).toMatch(/schedule:\s+every 1d, active; next run /);
      expect(shown.stdout).toMatch(/last run:\s+\(none yet\)/);
      await withWorker(pool, () => hubsync.runJob(ACCOUNTS, 'full'), { secretBox: () => testSecretBox });
      const listed = await cli(['job', 'list']);
      expect(listed.stdout).toMatch(new RegExp(`${ACCOUNTS}\\s+accounts-inbound\\s+${CONNECTION}\\s+1\\s+yes\\s+every 1d, active; next run \\S+\\s+completed `));
      expect((await cli(['job', 'show', ACCOUNTS])).stdout).toMatch(/last run:\s+run \d+ completed \(full, started /);
    });

    it('refuses to schedule or trigger a disabled job; disabling pauses, deleting removes the schedule', async () => {
      const before = await jobRow(TASKS);
      const scheduled = await cli(['job', 'schedule', TASKS, '--every', '1h']);
      expect(scheduled.code).toBe(1);
      expect(scheduled.stderr).toMatch(/Job 'nc-sbx-tasks' is disabled[\s\S]*fix: enable it with `hubsync job enable nc-sbx-tasks`/);
      await noSchedule(TASKS);
      expect(await jobRow(TASKS)).toEqual(before);

      expect((await cli(['job', 'enable', TASKS, '--every', '1h', '--no-run'])).stderr).toBe('');
      expect((await cli(['job', 'disable', TASKS])).stdout).toContain(`Disabled job '${TASKS}'`);
      expect((await schedule(TASKS)).state.paused).toBe(true);
      const triggered = await cli(['job', 'trigger', TASKS]);
      expect(triggered.code).toBe(1);
      expect(triggered.stderr).toMatch(/is disabled; its schedule is not triggered/);

      const deleted = await cli(['job', 'delete', TASKS]);
      expect(deleted.stdout).toContain(`Deleted job '${TASKS}' and its schedule.`);
      await noSchedule(TASKS);
      expect(await jobRow(TASKS)).toBeUndefined();
      await createValidatedJob(pool, testSecretBox, { id: TASKS, connectionId: CONNECTION, config: configFromTemplate('tasks-inbound') });
    });

    it('refuses to delete a job while it runs, leaving the job and its schedule', async () => {
      // The first page is held for 12 s: the run is still going when the separately started CLI (several seconds to
      // start on a loaded CI machine) asks to delete its job.
      await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'GET', path: '/services/data/*/queryAll', latencyMs: 12_000, count: 1 });
      const refused = await withWorker(
        pool,
        async () => {
          const handle = await hubsync.startRun(ACCOUNTS, 'full');
          for (let i = 0; i < 100 && !(await pool.query(`SELECT 1 FROM job_runs WHERE workflow_id = $1 AND status = 'running'`, [handle.workflowId])).rowCount; i++) await new Promise((r) => setTimeout(r, 100));
          const before = await jobRow(ACCOUNTS);
          const result = await cli(['job', 'delete', ACCOUNTS]);
          const stillRunning = (await pool.query(`SELECT 1 FROM job_runs WHERE workflow_id = $1 AND status = 'running'`, [handle.workflowId])).rowCount;
          await sf.admin('DELETE', '/__admin/faults');
          expect(stillRunning).toBe(1);
          expect(await jobRow(ACCOUNTS)).toEqual(before);
          await handle.result();
          return result;
        },
        { secretBox: () => testSecretBox },
      );
      await sf.admin('DELETE', '/__admin/faults');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Job 'nc-sbx-accounts' is running \(workflow \S+\); it is not deleted\.[\s\S]*fix: wait for the run to end/);
      expect((await schedule(ACCOUNTS)).state.paused).toBe(false);
    });

    it('does nothing when a schedule fires for a disabled job', async () => {
      await pool.query('UPDATE integration_jobs SET enabled = false WHERE id = $1', [TASKS]);
      const failure = await withWorker(
        pool,
        async () => {
          const handle = await temporal.workflow.start('inboundJobWorkflow', { taskQueue: fileTaskQueue(), workflowId: `hubsync-job-${TASKS}-scheduled-test`, args: [{ jobId: TASKS, mode: 'incremental', trigger: 'scheduled' }] });
          return handle.result().then(() => undefined, (err: unknown) => err as Error);
        },
        { secretBox: () => testSecretBox },
      );
      expect(((failure?.cause as Error | undefined)?.cause as Error | undefined)?.message).toMatch(/is disabled; its scheduled run does nothing/);
      expect((await pool.query('SELECT 1 FROM job_runs WHERE job_id = $1', [TASKS])).rowCount).toBe(0);
    });
  });

  describe('connections', () => {
    const add = (id: string, refreshToken: string, extra: string[] = []) =>
      cli(['connection', 'add', id, '--base-url', sf.sandbox.url, '--client-id', sf.sandbox.credentials.clientId, '--client-secret', sf.sandbox.credentials.clientSecret, '--refresh-token', refreshToken, ...extra]);
    const row = async (id: string) => (await pool.query('SELECT base_url, settings, secrets_ciphertext, updated_at FROM crm_connections WHERE id = $1', [id])).rows[0];

    it('refuses a wrong secret at once on add, unless told not to check', async () => {
      const refused = await add('nc-wrong', 'not-the-refresh-token');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/authentication at .* failed: expired access\/refresh token[\s\S]*fix: check the connection's credentials/);
      expect(await row('nc-wrong')).toBeUndefined();
      const unchecked = await add('nc-unchecked', 'not-the-refresh-token', ['--no-check']);
      expect(unchecked.stdout).toMatch(/Not checked: try it with `hubsync connection test nc-unchecked`/);
      expect(await row('nc-unchecked')).toBeDefined();
      const checked = await add('nc-checked', sf.sandbox.credentials.refreshToken);
      expect(checked.stdout).toContain('The CRM accepted its credentials.');
    });

    it('rotates a secret with connection update, checked first; a running worker uses the new one', async () => {
      const before = await row('nc-checked');
      const refused = await cli(['connection', 'update', 'nc-checked', '--refresh-token', 'a-revoked-token']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/expired access\/refresh token/);
      expect(await row('nc-checked')).toEqual(before);

      // The same worker runs before and after the rotation: it must not keep the old session.
      await createValidatedJob(pool, testSecretBox, { id: 'nc-rotate-accounts', connectionId: 'nc-checked', config: configFromTemplate('accounts-inbound') });
      const failures = await withWorker(
        pool,
        async () => {
          await hubsync.runJob('nc-rotate-accounts', 'full');
          expect((await cli(['connection', 'update', 'nc-checked', '--refresh-token', 'a-revoked-token', '--no-check'])).stderr).toBe('');
          const broken = await hubsync.runJob('nc-rotate-accounts', 'full').then(() => undefined, (err: unknown) => err as Error);
          expect((await cli(['connection', 'update', 'nc-checked', '--refresh-token', sf.sandbox.credentials.refreshToken])).stdout).toMatch(/Updated connection 'nc-checked'.*The CRM accepted its credentials/);
          const fixed = await hubsync.runJob('nc-rotate-accounts', 'full');
          return { broken, fixed };
        },
        { secretBox: () => testSecretBox },
      );
      expect((failures.broken?.cause as Error | undefined)?.message).toMatch(/expired access\/refresh token/);
      expect(failures.fixed.stats.read).toBeGreaterThan(0);
      await temporal.schedule.getHandle('hubsync-schedule-nc-rotate-accounts').delete().catch(() => undefined);
    });
  });

  describe('failures that show their cause', () => {
    it('prints the CRM message and fix from job run --wait, and job runs says failed at once', async () => {
      await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '/services/data/*/query*', status: 400, body: [{ message: "No such column 'Colour__c' on entity 'Account'", errorCode: 'INVALID_FIELD' }] });
      const [waited, runs] = await withWorker(
        pool,
        async () => {
          const w = await cli(['job', 'run', ACCOUNTS, '--wait']);
          const r = await cli(['job', 'runs', ACCOUNTS, '--json']);
          return [w, r] as const;
        },
        { secretBox: () => testSecretBox },
      );
      await sf.admin('DELETE', '/__admin/faults');
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(/run hubsync-job-nc-sbx-accounts-manual-\S+ failed: .*No such column 'Colour__c' on entity 'Account'/);
      expect(waited.stderr).not.toMatch(/Activity task failed/);
      const latest = (JSON.parse(runs.stdout) as Array<{ status: string; error: string }>)[0];
      expect(latest).toMatchObject({ status: 'failed', error: expect.stringMatching(/No such column 'Colour__c'/) });
    });

    it('shows what job run --wait waits on while an activity retries', async () => {
      await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '/services/data/*/query*', status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], count: 2 });
      const waited = await withWorker(pool, () => cli(['job', 'run', ACCOUNTS, '--wait']), { secretBox: () => testSecretBox });
      await sf.admin('DELETE', '/__admin/faults');
      expect(waited.code).toBe(0);
      expect(waited.stdout).toMatch(/retrying \w+ \(attempt [23]\): .*TotalRequests Limit exceeded/);
    });
  });

  describe('output and messages', () => {
    it('prints the statistics of job runs whole', async () => {
      const result = await cli(['job', 'runs', ACCOUNTS]);
      expect(result.stdout).toMatch(/read \d+, created \d+, updated \d+, unchanged \d+, deleted \d+, skipped \d+, rejected \d+/);
      expect(result.stdout).not.toContain('...');
    });

    it('ends quietly when its output pipe closes', async () => {
      for (const args of [['job', 'show', ACCOUNTS], ['job', 'preview', ACCOUNTS]]) {
        // Asynchronously: the sandbox answering the preview runs in this process.
        const run = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
          const child = spawn('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" ${args.join(' ')} | head -c 20 > /dev/null`], { env: { ...process.env, ...sf.cliEnv } });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('error', reject);
          child.on('close', (status) => resolve({ status, stderr }));
        });
        expect(run).toEqual({ status: 0, stderr: '' });
      }
    });

    it('checks numeric flags at the edge', async () => {
      for (const limit of ['-1', 'abc']) {
        const result = await cli(['job', 'runs', ACCOUNTS, '--limit', limit]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/--limit takes a whole number from 1 to 1000/);
        expect(result.stderr).not.toMatch(/bigint|NaN/);
      }
      const before = await jobRow(ACCOUNTS);
      const window = await cli(['job', 'edit', ACCOUNTS, '--update-window', 'soon']);
      expect(window.stderr).toMatch(/--update-window takes a whole number from 1 to 3650/);
      expect(await jobRow(ACCOUNTS)).toEqual(before);
    });

    it('names a missing or broken --file, and an over-long filter with its fix', async () => {
      const unchanged = await jobRow(ACCOUNTS);
      const missing = await cli(['job', 'edit', ACCOUNTS, '--file', '/nonexistent/edit.yaml']);
      expect(await jobRow(ACCOUNTS)).toEqual(unchanged);
      expect(missing.stderr).toMatch(/--file \/nonexistent\/edit\.yaml: cannot read it \(no such file\)\.\n\s+fix: give the path of a JSON or YAML file/);
      const broken = path.join(testStack.workDir, 'broken.yaml');
      fs.writeFileSync(broken, 'filter: [unclosed\n');
      expect((await cli(['job', 'edit', ACCOUNTS, '--file', broken])).stderr).toMatch(/--file .*broken\.yaml: not valid YAML at line \d+/);
      const before = await jobRow(ACCOUNTS);
      const long = await cli(['job', 'edit', ACCOUNTS, '--filter', `Name = '${'x'.repeat(4100)}'`]);
      expect(long.stderr).toMatch(/filter: too long: at most 4000 characters[\s\S]*fix: /);
      expect(await jobRow(ACCOUNTS)).toEqual(before);
    });

    it('refuses a cron expression with its own words, not Temporal\'s', async () => {
      const before = await schedule(ACCOUNTS);
      const result = await cli(['job', 'schedule', ACCOUNTS, '--cron', '61 * * * *']);
      expect(result.code).toBe(1);
      expect((await schedule(ACCOUNTS)).spec).toEqual(before.spec);
      expect(result.stderr).toMatch(/--cron "61 \* \* \* \*": '61' is not a valid minute \(0-59\)[\s\S]*fix: write five fields/);
    });

    it('runs the pinned Temporal CLI, which reports its version', async () => {
      const result = await cli(['temporal', '--version'], { TEMPORAL_CLI_PATH: '', PATH: path.dirname(process.execPath) });
      expect(result.stdout).toMatch(/^temporal version 1\.5\.1 /);
      const listed = await cli(['temporal', 'workflow', 'count', '--query', `HubsyncJobId = '${ACCOUNTS}'`], { TEMPORAL_CLI_PATH: '', PATH: path.dirname(process.execPath) });
      expect(listed.stdout).toMatch(/Total: [1-9]/);
    });
  });
});
