// Inbound jobs as durable workflows, end to end: real Temporal dev server, real PostgreSQL, the Salesforce
// sandbox over HTTP with jsforce (T1, T2, T4, T11, T12, T18-T20, T23-T29; P1-P3).
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate } from '../../activities/mapping/job-config';
import type { JobKind } from '../../kernel/job-kinds';
import { HubsyncClient } from '../../client/hubsync-client';
import type { JobRunResult, RunMode } from '../../kernel/runs';
import { progressQuery } from '../../workflows/job-run';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { testPool, testStack, withWorker, fileTaskQueue } from '../support/test-env';

jest.setTimeout(240000);

const CONNECTION = 'in-sbx';
const job = (kind: JobKind) => `${CONNECTION}-${kind}`;

describe('inbound runs', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let sfConn: SfConnection;
  let temporalConnection: Connection;
  let temporal: Client;
  let hubsync: HubsyncClient;

  const run = (jobId: string, mode: RunMode = 'incremental', pageSize?: number): Promise<JobRunResult> =>
    withWorker(
      pool,
      async () => (await hubsync.startRun(jobId, mode)).result(),
      { secretBox: () => testSecretBox, ...(pageSize ? { pageSize } : {}) },
    );
  /** Records a run reads: queryAll also returns the recycle bin, so deletions reach the hub (T19). */
  const sfCountAll = async (soql: string) => (await sfConn.query(soql, { scanAll: true })).totalSize;
  const hubTasks = async () =>
    (await pool.query<{ external_id: string; title: string; status: string | null; account_id: number; assignee_email: string | null }>(
      `SELECT t.external_id, t.title, t.status, t.account_id, t.assignee_email FROM tasks t
         JOIN record_links l ON l.hub_type = 'task' AND l.hub_id = t.id AND l.connection_id = $1 ORDER BY t.external_id`,
      [CONNECTION],
    )).rows;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, CONNECTION, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    sfConn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    temporal = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(temporal, pool, { taskQueue: fileTaskQueue() });
    for (const kind of ['accounts-inbound', 'tasks-inbound'] as const) {
      await createValidatedJob(pool, testSecretBox, { id: job(kind), connectionId: CONNECTION, config: configFromTemplate(kind) });
    }
    const touchpoints = configFromTemplate('touchpoints-inbound');
    touchpoints.mapping.push({ crmField: 'WhoId', crmFieldType: 'reference', hubField: 'Participants', hubFieldType: 'participants', key: false });
    await createValidatedJob(pool, testSecretBox, { id: job('touchpoints-inbound'), connectionId: CONNECTION, config: touchpoints });
  });
  afterAll(async () => {
    await sf.close();
    await temporalConnection.close();
    await pool.end();
  });

  it('parks tasks whose account is not matched yet (T11) and reports why', async () => {
    const result = await run(job('tasks-inbound'));
    const tasksInOrg = await sfCountAll('SELECT COUNT() FROM Task');
    expect(result.stats.read).toBe(tasksInOrg);
    expect(result.stats.created).toBe(0);
    expect(result.stats.skipped['PARENT_NOT_MATCHED']).toBeGreaterThan(0);
    const parked = await pool.query('SELECT count(*)::int AS n FROM parked_records WHERE job_id = $1', [job('tasks-inbound')]);
    expect(parked.rows[0].n).toBe(result.stats.skipped['PARENT_NOT_MATCHED']);
  });

  it('imports accounts with their attributes, their CRM source field and the Account ID match (T1)', async () => {
    const result = await run(job('accounts-inbound'));
    const accountsInOrg = (await sfConn.query('SELECT COUNT() FROM Account')).totalSize;
    expect(await sfCountAll('SELECT COUNT() FROM Account')).toBe(accountsInOrg);
    expect(result.stats).toMatchObject({ read: accountsInOrg, created: accountsInOrg, updated: 0 });
    const links = await pool.query<{ crm_id: string; name: string }>(
      `SELECT l.crm_id, a.name FROM record_links l JOIN accounts a ON a.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'account'`,
      [CONNECTION],
    );
    expect(links.rows).toHaveLength(accountsInOrg);
    const sample = (await sfConn.query<{ Id: string; Name: string; Tier__c: string; Owner: { Email: string } }>('SELECT Id, Name, Tier__c, Owner.Email FROM Account ORDER BY Name LIMIT 1')).records[0]!;
    expect(links.rows.find((l) => l.crm_id === sample.Id)?.name).toBe(sample.Name);
    const tier = await pool.query(
      `SELECT v.value, v.crm_field FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id
        JOIN record_links l ON l.hub_id = v.account_id AND l.hub_type = 'account' AND l.connection_id = $1
       WHERE d.key = 'tier' AND l.crm_id = $2 AND v.connection_id = $1`,
      [CONNECTION, sample.Id],
    );
    expect(tier.rows[0]).toEqual({ value: sample.Tier__c, crm_field: 'Tier__c' });
    const owner = await pool.query(
      `SELECT u.email, s.crm_field FROM account_assignments x JOIN hub_users u ON u.id = x.user_id
         JOIN attribute_definitions d ON d.id = x.attribute_id JOIN attribute_sources s ON s.attribute_id = d.id AND s.connection_id = $1
         JOIN record_links l ON l.hub_id = x.account_id AND l.hub_type = 'account' AND l.connection_id = $1
        WHERE d.key = 'success_manager' AND l.crm_id = $2`,
      [CONNECTION, sample.Id],
    );
    expect(owner.rows[0]).toEqual({ email: sample.Owner.Email.toLowerCase(), crm_field: 'Owner.Email' });
  });

  it('imports the parked tasks on the next incremental run, without a full sync (T26), and rejects untitled ones (T20)', async () => {
    const parkedBefore = (await pool.query('SELECT count(*)::int AS n FROM parked_records WHERE job_id = $1', [job('tasks-inbound')])).rows[0].n as number;
    const result = await run(job('tasks-inbound'));
    const expected = (await sfConn.query<{ Id: string; Subject: string | null }>('SELECT Id, Subject, AccountId FROM Task WHERE AccountId != null')).records;
    const titled = expected.filter((t) => t.Subject && t.Subject.trim() !== '');
    expect(result.stats.created).toBe(titled.length);
    expect(result.stats.created).toBeLessThanOrEqual(parkedBefore);
    const hub = await hubTasks();
    expect(hub.map((t) => t.external_id).sort()).toEqual(titled.map((t) => t.Id.toLowerCase()).sort());
    const rejected = await pool.query<{ source_id: string; reason_code: string; reason: string }>('SELECT source_id, reason_code, reason FROM rejected_records WHERE job_id = $1', [job('tasks-inbound')]);
    expect(rejected.rows.map((r) => r.source_id).sort()).toEqual(expected.filter((t) => !t.Subject || t.Subject.trim() === '').map((t) => t.Id).sort());
    expect(rejected.rows[0]).toMatchObject({ reason_code: 'MISSING_TITLE', reason: 'a task needs a title (T20)' });
    // External IDs are the CRM Ids, lowercase (T13); the owner came through Owner.Email.
    expect(hub.every((t) => t.external_id === t.external_id.toLowerCase())).toBe(true);
    expect(hub.some((t) => t.assignee_email?.endsWith('@'))).toBe(false);
  });

  it('keeps statistics with the run and in the workflow result (T24)', async () => {
    const { rows } = await pool.query<{ status: string; stats: { read: number }; job_version: number }>(
      `SELECT status, stats, job_version FROM job_runs WHERE job_id = $1 ORDER BY started_at DESC LIMIT 1`,
      [job('tasks-inbound')],
    );
    expect(rows[0]).toMatchObject({ status: 'completed', job_version: 1 });
    expect(rows[0]!.stats.read).toBeGreaterThan(0);
  });

  it('retries rejected records on every run until they succeed (T28)', async () => {
    const [untitled] = (await pool.query<{ source_id: string; attempts: number }>('SELECT source_id, attempts FROM rejected_records WHERE job_id = $1', [job('tasks-inbound')])).rows;
    expect(untitled).toBeDefined();
    const again = await run(job('tasks-inbound'));
    expect(again.stats.rejected['MISSING_TITLE']).toBeGreaterThan(0);
    const attempts = (await pool.query('SELECT attempts FROM rejected_records WHERE job_id = $1 AND source_id = $2', [job('tasks-inbound'), untitled!.source_id])).rows[0].attempts;
    expect(attempts).toBe(untitled!.attempts + 1);
    await sfConn.sobject('Task').update({ Id: untitled!.source_id, Subject: 'Now it has a title' });
    const fixed = await run(job('tasks-inbound'));
    expect(fixed.stats.created).toBeGreaterThanOrEqual(1);
    expect((await pool.query('SELECT 1 FROM rejected_records WHERE job_id = $1 AND source_id = $2', [job('tasks-inbound'), untitled!.source_id])).rowCount).toBe(0);
    expect((await hubTasks()).find((t) => t.external_id === untitled!.source_id.toLowerCase())?.title).toBe('Now it has a title');
  });

  it('reads only what changed since the last run, and everything on a full sync (T25)', async () => {
    const quiet = await run(job('tasks-inbound'));
    expect(quiet.stats.created + quiet.stats.updated).toBe(0);
    const task = (await sfConn.query<{ Id: string }>(`SELECT Id FROM Task WHERE AccountId != null AND Subject != null ORDER BY Id LIMIT 1`)).records[0]!;
    await sfConn.sobject('Task').update({ Id: task.Id, Status: 'Completed', Description: 'changed in Salesforce' });
    const incremental = await run(job('tasks-inbound'));
    expect(incremental.stats).toMatchObject({ updated: 1, created: 0 });
    expect((await hubTasks()).find((t) => t.external_id === task.Id.toLowerCase())?.status).toBe('Completed');
    const full = await run(job('tasks-inbound'), 'full');
    expect(full.stats.read).toBe(await sfCountAll('SELECT COUNT() FROM Task'));
    expect(full.stats.created + full.stats.updated).toBe(0);
    expect(full.stats.unchanged).toBe((await hubTasks()).length);
  });

  it('never misses records that share a SystemModstamp at a page boundary (T29)', async () => {
    const account = (await sfConn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id LIMIT 1')).records[0]!;
    // Three tasks written in one collection call share their SystemModstamp (whole seconds, as in Salesforce).
    const created = await sfConn.sobject('Task').create([1, 2, 3].map((n) => ({ Subject: `Boundary ${n}`, WhatId: account.Id })), { allOrNone: true });
    const ids = created.map((r) => (r as { id: string }).id);
    const stamps = (await sfConn.query<{ SystemModstamp: string }>(`SELECT SystemModstamp FROM Task WHERE Id IN ('${ids.join("','")}')`)).records.map((r) => r.SystemModstamp);
    expect(new Set(stamps).size).toBe(1);
    const result = await run(job('tasks-inbound'), 'incremental', 2);
    expect(result.stats.created).toBe(3);
    expect(result.stats.pages).toBeGreaterThanOrEqual(2);
    const hub = (await hubTasks()).map((t) => t.external_id);
    for (const id of ids) expect(hub).toContain(id.toLowerCase());
  });

  it('deletes the hub task when it is deleted in Salesforce (T19)', async () => {
    const victim = (await hubTasks())[0]!;
    const crmId = (await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'task' AND lower(crm_id) = $2`, [CONNECTION, victim.external_id])).rows[0]!.crm_id;
    await sfConn.sobject('Task').destroy(crmId);
    const result = await run(job('tasks-inbound'));
    expect(result.stats.deleted).toBe(1);
    expect((await hubTasks()).find((t) => t.external_id === victim.external_id)).toBeUndefined();
  });

  it('lets the later change win when both sides changed (T18)', async () => {
    const [first, second] = (await sfConn.query<{ Id: string }>(`SELECT Id FROM Task WHERE AccountId != null AND Subject != null ORDER BY Id LIMIT 2`)).records;
    // first: Salesforce changes, then the hub: the hub's later change wins and is kept.
    await sfConn.sobject('Task').update({ Id: first!.Id, Subject: 'Changed in Salesforce first' });
    await new Promise((r) => setTimeout(r, 1100));
    await pool.query(`UPDATE tasks SET title = 'Changed in the hub later', updated_at = now() WHERE external_id = $1`, [first!.Id.toLowerCase()]);
    // second: the hub changes, then Salesforce: Salesforce's later change is applied.
    await pool.query(`UPDATE tasks SET title = 'Changed in the hub first', updated_at = now() WHERE external_id = $1`, [second!.Id.toLowerCase()]);
    await new Promise((r) => setTimeout(r, 1100));
    await sfConn.sobject('Task').update({ Id: second!.Id, Subject: 'Changed in Salesforce later' });
    const result = await run(job('tasks-inbound'));
    expect(result.stats.skipped['HUB_NEWER']).toBe(1);
    const hub = await hubTasks();
    expect(hub.find((t) => t.external_id === first!.Id.toLowerCase())?.title).toBe('Changed in the hub later');
    expect(hub.find((t) => t.external_id === second!.Id.toLowerCase())?.title).toBe('Changed in Salesforce later');
  });

  it('rejects a change that would move a task to another account (T12)', async () => {
    const task = (await sfConn.query<{ Id: string; AccountId: string }>(`SELECT Id, AccountId FROM Task WHERE AccountId != null AND Subject != null ORDER BY Id DESC LIMIT 1`)).records[0]!;
    const other = (await sfConn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id != '${task.AccountId}' LIMIT 1`)).records[0]!;
    const before = (await hubTasks()).find((t) => t.external_id === task.Id.toLowerCase())!;
    await sfConn.sobject('Task').update({ Id: task.Id, WhatId: other.Id });
    const result = await run(job('tasks-inbound'));
    expect(result.stats.rejected['PARENT_CHANGED']).toBe(1);
    expect((await hubTasks()).find((t) => t.external_id === task.Id.toLowerCase())?.account_id).toBe(before.account_id);
    const reason = (await pool.query('SELECT reason FROM rejected_records WHERE job_id = $1 AND source_id = $2', [job('tasks-inbound'), task.Id])).rows[0].reason as string;
    expect(reason).toMatch(/changing a record's parent account is not allowed \(T12\)/);
  });

  it('imports touchpoints with their participants, and later participant changes (T4, T23, T27)', async () => {
    const first = await run(job('touchpoints-inbound'));
    expect(first.stats.created).toBeGreaterThan(0);
    const event = (await sfConn.query<{ Id: string; WhoId: string; AccountId: string }>(`SELECT Id, WhoId, AccountId FROM Event WHERE WhoId != null AND AccountId != null AND Subject != null ORDER BY Id LIMIT 1`)).records[0]!;
    const participants = async () =>
      (await pool.query<{ crm_contact_id: string; email: string | null }>(
        `SELECT p.crm_contact_id, p.email FROM touchpoint_participants p JOIN touchpoints t ON t.id = p.touchpoint_id WHERE t.external_id = $1`,
        [event.Id.toLowerCase()],
      )).rows;
    expect((await participants()).map((p) => p.crm_contact_id)).toEqual([event.WhoId]);
    const otherContact = (await sfConn.query<{ Id: string; Email: string }>(`SELECT Id, Email FROM Contact WHERE AccountId = '${event.AccountId}' AND Id != '${event.WhoId}' LIMIT 1`)).records[0]!;
    await sfConn.sobject('Event').update({ Id: event.Id, WhoId: otherContact.Id });
    await run(job('touchpoints-inbound'));
    expect(await participants()).toEqual([{ crm_contact_id: otherContact.Id, email: otherContact.Email.toLowerCase() }]);
  });

  it('retries injected REQUEST_LIMIT_EXCEEDED and lock errors, refreshes an expired token, and completes', async () => {
    const touched = (await sfConn.query<{ Id: string }>(`SELECT Id FROM Task WHERE AccountId != null AND Subject != null ORDER BY Id LIMIT 1`)).records[0]!;
    await sfConn.sobject('Task').update({ Id: touched.Id, Description: 'touched for the fault test' });
    const result = await withWorker(
      pool,
      async () => {
        // A first run opens the worker's Salesforce session; the tokens then expire under it.
        await (await hubsync.startRun(job('accounts-inbound'), 'incremental')).result();
        await sf.admin('DELETE', '/__admin/requests');
        await sf.admin('POST', '/__admin/tokens/expire');
        await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '/services/data/*/query*', status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], count: 2 });
        await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '/services/data/*/queryAll*', status: 400, body: [{ message: 'unable to obtain exclusive access to this record', errorCode: 'UNABLE_TO_LOCK_ROW' }], count: 1 });
        return (await hubsync.startRun(job('tasks-inbound'), 'incremental')).result();
      },
      { secretBox: () => testSecretBox },
    );
    expect(result.stats.updated).toBe(1);
    const log = (await sf.admin('GET', '/__admin/requests')) as { requests: Array<{ method: string; path: string; status: number }> };
    const statuses = log.requests.map((r) => `${r.status} ${r.method} ${r.path.split('?')[0]}`);
    expect(statuses).toEqual(expect.arrayContaining([expect.stringMatching(/^401 /), expect.stringMatching(/^200 POST \/services\/oauth2\/token/), expect.stringMatching(/^403 GET /), expect.stringMatching(/^400 GET /)]));
    await sf.admin('DELETE', '/__admin/faults');
  });

  it('refuses to run a job whose filter does not validate, before reading any record', async () => {
    await pool.query(`UPDATE integration_jobs SET config = jsonb_set(config, '{filter}', '"Status = ''x'') OR (Id != null"') WHERE id = $1`, [job('touchpoints-inbound')]);
    await sf.admin('DELETE', '/__admin/requests');
    const runsBefore = (await pool.query('SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1', [job('touchpoints-inbound')])).rows[0].n as number;
    const failure = await run(job('touchpoints-inbound')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The run fails in its first activity, with the validation's own message (the activity's cause).
    const activityFailure = (failure as WorkflowFailedError).cause;
    expect(activityFailure?.cause).toBeInstanceOf(Error);
    expect((activityFailure?.cause as Error).message).toMatch(/does not validate, so it cannot run[\s\S]*unbalanced '\)'/);
    expect((await pool.query('SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1', [job('touchpoints-inbound')])).rows[0].n).toBe(runsBefore);
    const log = (await sf.admin('GET', '/__admin/requests')) as { requests: Array<{ path: string }> };
    expect(log.requests.filter((r) => /FROM\+?%20Event|FROM%20Event|FROM Event/i.test(decodeURIComponent(r.path)))).toEqual([]);
    await pool.query(`UPDATE integration_jobs SET config = config - 'filter' WHERE id = $1`, [job('touchpoints-inbound')]);
  });

  it('is found by its search attributes, has a summary, and answers a progress query (P3)', async () => {
    await withWorker(
      pool,
      async () => {
        const handle = await hubsync.startRun(job('tasks-inbound'), 'full');
        const result = await handle.result();
        const progress = await handle.query(progressQuery);
        expect(progress).toMatchObject({ phase: 'done', runId: result.runId, stats: result.stats });
        const description = await handle.describe();
        expect(await description.staticSummary()).toMatch(/tasks-inbound \(T2\) run of job in-sbx-tasks-inbound on connection in-sbx: full/);
        expect(handle.workflowId).toMatch(/^hubsync-job-in-sbx-tasks-inbound-manual-/);
      },
      { secretBox: () => testSecretBox },
    );
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const w of temporal.workflow.list({ query: `HubsyncJobKind = 'tasks-inbound' AND HubsyncJobId = '${job('tasks-inbound')}' AND HubsyncConnectionId = '${CONNECTION}' AND HubsyncDirection = 'inbound'` })) found.push(w.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found.length).toBeGreaterThan(0);
  });

  it('runs a job from the CLI, waiting with progress, and lists its runs (T10, T24)', async () => {
    const cliEnv = { ...sf.cliEnv };
    const [waited, runs] = await withWorker(
      pool,
      async () => {
        const w = await runCli(['job', 'run', job('accounts-inbound'), '--full', '--wait'], cliEnv);
        const r = await runCli(['job', 'runs', job('accounts-inbound'), '--json'], cliEnv);
        return [w, r] as const;
      },
      { secretBox: () => testSecretBox },
    );
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toMatch(/^Started full run of job 'in-sbx-accounts-inbound': workflow hubsync-job-in-sbx-accounts-inbound-manual-/m);
    expect(waited.stdout).toMatch(/✔ run \d+ of job in-sbx-accounts-inbound \(version 1, full\) completed: read \d+, created 0, updated 0, unchanged \d+/);
    const listed = JSON.parse(runs.stdout) as Array<{ mode: string; status: string; stats: { read: number } }>;
    expect(listed[0]).toMatchObject({ mode: 'full', status: 'completed' });
    expect(listed[0]!.stats.read).toBeGreaterThan(0);
  });

  it('never runs two runs of a job at once', async () => {
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'GET', path: '/services/data/*/query*', latencyMs: 1500, count: 3 });
    await withWorker(
      pool,
      async () => {
        const first = await hubsync.startRun(job('accounts-inbound'), 'full');
        await new Promise((r) => setTimeout(r, 800));
        await expect(hubsync.startRun(job('accounts-inbound'), 'full')).rejects.toThrow(/already running .*runs of a job never overlap/);
        await first.result();
      },
      { secretBox: () => testSecretBox },
    );
    await sf.admin('DELETE', '/__admin/faults');
  });

  it('schedules, pauses, resumes and triggers from the CLI; enable is "save and sync" (T10, P2)', async () => {
    const id = job('touchpoints-inbound');
    const cliEnv = { ...sf.cliEnv };
    await withWorker(
      pool,
      async () => {
        await pool.query('UPDATE integration_jobs SET enabled = false WHERE id = $1', [id]);
        const completedBefore = (await pool.query(`SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1 AND status = 'completed'`, [id])).rows[0].n as number;
        const enabled = await runCli(['job', 'enable', id, '--every', '2h'], cliEnv);
        expect(enabled.stderr).toBe('');
        expect(enabled.stdout).toMatch(/Enabled job 'in-sbx-touchpoints-inbound'[\s\S]*Scheduled: every 2h[\s\S]*Started run: workflow hubsync-job-in-sbx-touchpoints-inbound-manual-/);
        expect((await pool.query('SELECT enabled FROM integration_jobs WHERE id = $1', [id])).rows[0].enabled).toBe(true);
        const schedule = temporal.schedule.getHandle(`hubsync-schedule-${id}`);
        expect((await schedule.describe()).spec.intervals?.[0]?.every).toBe(2 * 3600 * 1000);

        expect((await runCli(['job', 'pause', id], cliEnv)).stdout).toContain(`Paused the schedule of job '${id}'.`);
        expect((await schedule.describe()).state.paused).toBe(true);
        expect((await runCli(['job', 'resume', id], cliEnv)).stdout).toContain(`Resumed the schedule of job '${id}'.`);
        expect((await schedule.describe()).state.paused).toBe(false);

        // The run enable started, then the triggered one: two more completed runs.
        for (let i = 0; i < 100; i++) {
          const n = (await pool.query(`SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1 AND status <> 'running'`, [id])).rows[0].n as number;
          if (n > completedBefore) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect((await runCli(['job', 'trigger', id], cliEnv)).stdout).toContain(`Triggered the schedule of job '${id}'.`);
        for (let i = 0; i < 100; i++) {
          const n = (await pool.query(`SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1 AND status = 'completed'`, [id])).rows[0].n as number;
          if (n >= completedBefore + 2) return;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error('the enabled and triggered runs did not both complete');
      },
      { secretBox: () => testSecretBox },
    );
    const disabled = await runCli(['job', 'disable', id], cliEnv);
    expect(disabled.stdout).toContain(`Disabled job '${id}'.`);
    expect((await temporal.schedule.getHandle(`hubsync-schedule-${id}`).describe()).state.paused).toBe(true);
    await temporal.schedule.getHandle(`hubsync-schedule-${id}`).delete();
  });

  it('does not let a terminated run block the job', async () => {
    await sf.admin('POST', '/__admin/faults', { kind: 'latency', method: 'GET', path: '/services/data/*/queryAll', latencyMs: 3000, count: 1 });
    await withWorker(
      pool,
      async () => {
        const stuck = await hubsync.startRun(job('accounts-inbound'), 'full');
        for (let i = 0; i < 100; i++) {
          const { rows } = await pool.query(`SELECT 1 FROM job_runs WHERE workflow_id = $1 AND status = 'running'`, [stuck.workflowId]);
          if (rows.length) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await stuck.terminate('operator terminated the run');
        const next = await (await hubsync.startRun(job('accounts-inbound'), 'incremental')).result();
        expect(next.runId).toBeGreaterThan(0);
        const old = await pool.query<{ status: string; error: string }>('SELECT status, error FROM job_runs WHERE workflow_id = $1', [stuck.workflowId]);
        expect(old.rows[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/ended \(TERMINATED\) without recording its end/) });
      },
      { secretBox: () => testSecretBox },
    );
    await sf.admin('DELETE', '/__admin/faults');
  });

  it('creates a Temporal Schedule with overlap SKIP that runs the job (P2, T10)', async () => {
    // Only an enabled job is scheduled (a schedule of a disabled job would run it anyway).
    await pool.query('UPDATE integration_jobs SET enabled = true WHERE id = $1', [job('accounts-inbound')]);
    const scheduleId = await hubsync.schedule(job('accounts-inbound'), { every: '1h' });
    const handle = temporal.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'inboundJobWorkflow' });
    await withWorker(
      pool,
      async () => {
        const runsBefore = (await pool.query(`SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1 AND status = 'completed'`, [job('accounts-inbound')])).rows[0].n as number;
        await handle.trigger();
        for (let i = 0; i < 100; i++) {
          const done = await pool.query(`SELECT count(*)::int AS n FROM job_runs WHERE job_id = $1 AND status = 'completed'`, [job('accounts-inbound')]);
          if ((done.rows[0].n as number) > runsBefore) return;
          await new Promise((r) => setTimeout(r, 300));
        }
        throw new Error('the scheduled run did not complete');
      },
      { secretBox: () => testSecretBox },
    );
    await handle.delete();
  });
});
