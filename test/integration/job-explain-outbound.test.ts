// "Why didn't record X sync?" (T30, issue 14 §4) for outbound jobs (tasks, touchpoints, campaign touches to
// Salesforce), through the typed client and the CLI: one answer per rule — not yet reached by any run, synced
// (when, by which run, the CRM ID, and which fields the next run changes), outside the hub filter, parent account
// not matched (parked or not yet, and once matched), outside the update window (T15), creation disabled (T14),
// a conflict the CRM won (T18, T29: both stamps), rejected (the CRM's code and message, attempts; T28), deleted in
// the hub (the next run deletes the CRM record, T19; or the CRM refused the deletion) or in the CRM — the record
// named by hub ID, key, CRM ID or external ID. Every explanation is checked to write nothing (no POST/PATCH/
// DELETE on /services/data in the sandbox's request log, and the hub rows of this file's jobs and records
// unchanged) and to read the CRM's records only where the planner's decision reads them. Where a run follows,
// its statistics confirm the answer.
// Real Temporal dev server, PostgreSQL, the Salesforce sandbox through jsforce.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { HubsyncClient, type OutboundExplanation } from '../../client';
import type { JobKind } from '../../kernel/job-kinds';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(300000);

const C = 'jxo-sf';
const TASKS = `${C}-tasks`;
const TASKS_IN = `${C}-tasks-in`;
const ACCOUNTS = `${C}-accounts`;
const OWNER = 'jxo-owner@hubsync.test';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('job explain for outbound jobs (T30)', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let account: { hubId: number; crmId: string };
  let hubOnlyAccount: number;
  // Shared by the first tests, in order: a task the first run creates, that run, and a task made after it.
  let first: number;
  let firstRun: number;
  let afterRun: number;

  const createJob = async (id: string, kind: JobKind, change: (config: JobConfig) => void = () => {}) => {
    const config = configFromTemplate(kind);
    config.hubFilter = { ownerEmails: [OWNER] };
    change(config);
    return (await createValidatedJob(pool, testSecretBox, { id, connectionId: C, config })).job;
  };
  const addTask = async (title: string, extra: { accountId?: number; assignee?: string; status?: string } = {}) =>
    (await hubsync.createHubRecord('task', { accountId: extra.accountId ?? account.hubId, title, status: extra.status ?? 'Not Started', priority: 'Normal', dueDate: '2026-12-10', assigneeEmail: extra.assignee ?? OWNER })).id;
  const crmIdOf = async (type: string, hubId: number) =>
    (await pool.query<{ crm_id: string }>('SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = $2 AND hub_id = $3', [C, type, hubId])).rows[0]?.crm_id;

  /** The hub rows this file's jobs and records live in, as JSON in a fixed order. */
  const snapshot = async () => {
    const mine = `(SELECT hub_id FROM record_links WHERE connection_id = '${C}' AND hub_type = 'account' UNION SELECT ${hubOnlyAccount}::bigint)`;
    const tables: Record<string, string> = {
      record_links: `connection_id = '${C}'`,
      integration_jobs: `connection_id = '${C}'`,
      job_runs: `job_id LIKE 'jxo-%'`,
      sync_cursors: `job_id LIKE 'jxo-%'`,
      rejected_records: `job_id LIKE 'jxo-%'`,
      parked_records: `job_id LIKE 'jxo-%'`,
      tasks: `account_id IN ${mine}`,
      touchpoints: `account_id IN ${mine}`,
      campaign_touches: `account_id IN ${mine}`,
      hub_tombstones: `account_id IN ${mine}`,
      touchpoint_participants: `touchpoint_id IN (SELECT id FROM touchpoints WHERE account_id IN ${mine})`,
      accounts: `id IN ${mine}`,
    };
    const out: Record<string, unknown[]> = {};
    for (const [table, where] of Object.entries(tables)) {
      out[table] = (await pool.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${where} ORDER BY to_jsonb(t)::text`)).rows.map((r) => r.row);
    }
    return out;
  };
  const apiRequests = async () =>
    ((await sf.admin('GET', `/__admin/requests?path=${encodeURIComponent('/services/data*')}`)) as { requests: Array<{ method: string; path: string; query: string }> }).requests;

  /** What one command does to the CRM and the hub: the CRM's record reads it made; asserts it wrote nothing. */
  const withoutWrites = async <T>(act: () => Promise<T>): Promise<{ result: T; recordReads: string[] }> => {
    const hubBefore = await snapshot();
    const seen = (await apiRequests()).length;
    const result = await act();
    const requests = (await apiRequests()).slice(seen);
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await snapshot()).toEqual(hubBefore);
    // Queries (the conflict read, owner lookups); describe calls are metadata, not records.
    return { result, recordReads: requests.filter((r) => /\/query(All)?\/?$/.test(r.path)).map((r) => decodeURIComponent(r.query.replace(/\+/g, ' '))) };
  };
  const explain = async (job: string, record: string) => {
    const { result, recordReads } = await withoutWrites(() => hubsync.explainRecord(job, record));
    expect(result.direction).toBe('outbound');
    return { ...(result as OutboundExplanation), recordReads };
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;
    await importAccounts(pool, hubsync, C, prefixedAccountsConfig('JXO'));
    const crmAccount = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id LIMIT 1')).records[0]!;
    account = { crmId: crmAccount.Id, hubId: await hubAccountOf(pool, C, crmAccount.Id) };
    hubOnlyAccount = (await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('JXO hub-only account') RETURNING id`)).rows[0]!.id;
    await conn.sobject('User').create({ Username: OWNER, LastName: 'Explain Owner', Email: OWNER });
    await createJob(TASKS, 'tasks-outbound');
    // Never run: the answers name it as the job that brings the CRM's side of a task to the hub.
    await createValidatedJob(pool, testSecretBox, { id: TASKS_IN, connectionId: C, config: configFromTemplate('tasks-inbound') });
  });
  afterAll(async () => {
    await stopWorker?.();
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('says a record no run has reached yet is created by the next run, before and after the first run', async () => {
    first = await addTask('JXO first task');
    const before = await explain(TASKS, String(first));
    expect(before).toMatchObject({ jobId: TASKS, crmObject: 'Task', hubType: 'task', hubId: first, crmId: null, answer: { verdict: 'not-reached', lastRunId: null, lastRunAt: null, nextRun: 'incremental' } });
    expect(before.summary).toMatch(/^No run of 'jxo-sf-tasks' has completed yet: start one with `hubsync job run jxo-sf-tasks`; it creates hub task \d+ in the CRM as a Task\.$/);

    const run = await hubsync.runJob(TASKS, 'full');
    expect(run.stats).toMatchObject({ created: 1, rejected: {} });
    firstRun = run.runId;
    afterRun = await addTask('JXO task made after the run');
    const after = await explain(TASKS, `task-${afterRun}`);
    expect(after).toMatchObject({ hubId: afterRun, crmId: null, answer: { verdict: 'not-reached', lastRunId: firstRun, nextRun: 'incremental' } });
    expect(after.summary).toMatch(new RegExp(`after the last completed run \\(${firstRun}, started .*\\); the next run creates it\\.$`));
    // Nothing is linked yet: no CRM record was read for either answer (only owners looked up, for the create).
    expect([...before.recordReads, ...after.recordReads].some((q) => /FROM Task\b/.test(q))).toBe(false);
  });

  it('says when and by which run a record synced, under any of its names, and which fields the next run changes', async () => {
    const crmId = (await crmIdOf('task', first))!;
    const synced = await explain(TASKS, String(first));
    expect(synced).toMatchObject({ hubId: first, crmId, answer: { verdict: 'synced', crmId, runId: firstRun, runJobId: TASKS, changedInHubSince: false, changes: [], nextRun: null } });
    expect(synced.summary).toMatch(new RegExp(`^Synced: hub task ${first} is Task ${crmId}, last synced at .* by run ${firstRun}; nothing changed in the hub since\\.$`));
    expect((await conn.query(`SELECT Id FROM Task WHERE Id = '${crmId}'`)).totalSize).toBe(1);
    // The same record by its key, its CRM ID and its external ID (the CRM ID, lowercase: T13).
    for (const name of [`task-${first}`, crmId, crmId.toLowerCase(), ` ${first} `]) expect((await explain(TASKS, name)).hubId).toBe(first);
    // Unchanged since the sync: the CRM was not asked about the record.
    expect(synced.recordReads).toEqual([]);

    await hubsync.updateHubRecord('task', first, { title: 'JXO first task (renamed)', status: 'Completed' });
    const changed = await explain(TASKS, String(first));
    expect(changed.answer).toMatchObject({
      verdict: 'synced',
      changedInHubSince: true,
      nextRun: 'incremental',
      // Priority, ActivityDate, Description and OwnerId are what the CRM holds already: not listed.
      changes: [
        { field: 'Subject', crm: 'JXO first task', hub: 'JXO first task (renamed)' },
        { field: 'Status', crm: 'Not Started', hub: 'Completed' },
      ],
    });
    expect(changed.summary).toMatch(/changed in the hub at .* since: the next run updates Subject \('JXO first task' → 'JXO first task \(renamed\)'\), Status \('Not Started' → 'Completed'\)\.$/);
    // The conflict read the planner makes for a record about to be updated: one query of this one record.
    expect(changed.recordReads.filter((q) => /FROM Task\b/.test(q))).toEqual([expect.stringContaining(crmId)]);

    const run = await hubsync.runJob(TASKS, 'incremental');
    expect(run.stats).toMatchObject({ updated: 1, created: 1, rejected: {} }); // and the task made after the first run
    expect((await conn.query<{ Subject: string; Status: string }>(`SELECT Subject, Status FROM Task WHERE Id = '${crmId}'`)).records[0]).toMatchObject({ Subject: 'JXO first task (renamed)', Status: 'Completed' });
    expect((await explain(TASKS, String(first))).answer).toMatchObject({ verdict: 'synced', runId: run.runId, changes: [], nextRun: null });
  });

  it("says a record outside the job's hub filter is not read", async () => {
    const TP = `${C}-touchpoints`;
    await createJob(TP, 'touchpoints-outbound', (config) => (config.hubFilter = { ownerEmails: [OWNER], types: ['Meeting'] }));
    const touchpoint = (type: string) => hubsync.createHubRecord('touchpoint', { accountId: account.hubId, subject: `JXO ${type}`, touchpointType: type, touchpointDate: '2026-12-10T09:30:00Z', creatorEmail: OWNER });
    const call = (await touchpoint('Call')).id;
    const meeting = (await touchpoint('Meeting')).id;
    const outside = await explain(TP, String(call));
    expect(outside).toMatchObject({ hubType: 'touchpoint', hubId: call, answer: { verdict: 'outside-filter', hubFilter: { ownerEmails: [OWNER], types: ['Meeting'] } } });
    expect(outside.summary).toMatch(/^Outside the job's hub filter .*"types":\["Meeting"\].*: runs do not read hub touchpoint \d+\. Change the record in the hub, or the job's hubFilter \(`hubsync job edit jxo-sf-touchpoints --file edit\.yaml` with a hubFilter\), to include it\.$/);
    expect(outside.recordReads).toEqual([]);
    expect((await explain(TP, `touchpoint-${meeting}`)).answer).toMatchObject({ verdict: 'not-reached' });
  });

  it('says a record whose account has no CRM match is not parked yet, then parked, then sent once its account is linked (T11)', async () => {
    const orphan = await addTask('JXO task of a hub-only account', { accountId: hubOnlyAccount });
    const fresh = await explain(TASKS, String(orphan));
    expect(fresh.answer).toEqual({ verdict: 'parked', accountId: hubOnlyAccount, parked: false, parkedAt: null, parentMatched: false, crmParentId: null, accountsJobs: [ACCOUNTS] });
    expect(fresh.summary).toMatch(new RegExp(`^Not parked yet \\(no run has reached it; the next one parks it\\): its hub account ${hubOnlyAccount} has no matched CRM account in connection 'jxo-sf' \\(T11\\)\\. Fix: run the accounts-inbound job of connection 'jxo-sf' \\(\`hubsync job run jxo-sf-accounts\`\\) if the CRM has the account, or link the account by hand`));
    expect(fresh.recordReads).toEqual([]);

    const run = await hubsync.runJob(TASKS, 'incremental');
    expect(run.stats).toMatchObject({ created: 0, updated: 0, skipped: {} }); // T11: parked, and not counted
    const parked = await explain(TASKS, String(orphan));
    expect(parked.answer).toMatchObject({ verdict: 'parked', parked: true, parkedAt: expect.any(String), parentMatched: false });
    expect(parked.summary).toMatch(/^Parked since \S+: its hub account/);

    const crmAccount = String(((await conn.sobject('Account').create({ Name: 'JXO account for the hub-only one' })) as { id: string }).id);
    await hubsync.linkAccount({ account: hubOnlyAccount, connectionId: C, crmId: crmAccount });
    const matched = await explain(TASKS, String(orphan));
    expect(matched.answer).toMatchObject({ verdict: 'parked', parked: true, parentMatched: true, crmParentId: crmAccount });
    expect(matched.summary).toMatch(new RegExp(`its hub account ${hubOnlyAccount} is matched now \\(CRM account ${crmAccount}\\): the next run sends it\\.$`));
    expect((await hubsync.runJob(TASKS, 'incremental')).stats).toMatchObject({ created: 1 });
    expect((await explain(TASKS, String(orphan))).answer).toMatchObject({ verdict: 'synced', crmId: await crmIdOf('task', orphan) });
  });

  it("says a record last changed before the job's update window is not sent (T15)", async () => {
    const email = 'jxo-window@hubsync.test';
    const job = await createJob(`${C}-window`, 'tasks-outbound', (config) => {
      config.hubFilter = { ownerEmails: [email] };
      config.updateWindowDays = 1;
    });
    const old = await addTask('JXO task of three days ago', { assignee: email });
    // The hub's application backfills the record's stamp (a writer that sets updated_at keeps it).
    await pool.query(`UPDATE tasks SET updated_at = now() - interval '3 days' WHERE id = $1`, [old]);
    const answer = await explain(job.id, String(old));
    expect(answer.answer).toMatchObject({ verdict: 'outside-window', windowDays: 1, hubUpdatedAt: expect.any(String), windowStart: expect.any(String) });
    const a = answer.answer as { hubUpdatedAt: string; windowStart: string };
    expect(Date.parse(a.hubUpdatedAt)).toBeLessThan(Date.parse(a.windowStart));
    expect(answer.summary).toMatch(/^Last changed in the hub at \S+, before the job's 1-day update window \(since \S+, T15\): runs do not send it\. Change the record in the hub, or widen the window \(`hubsync job edit jxo-sf-window --update-window 4`\), to send it\.$/);
    expect(answer.recordReads).toEqual([]);
  });

  it('says a record with no CRM counterpart is not created while allowCreate is off (T14)', async () => {
    const email = 'jxo-no-create@hubsync.test';
    const job = await createJob(`${C}-no-create`, 'tasks-outbound', (config) => {
      config.hubFilter = { ownerEmails: [email] };
      config.allowCreate = false;
    });
    const task = await addTask('JXO task nobody may create', { assignee: email });
    const answer = await explain(job.id, String(task));
    expect(answer).toMatchObject({ crmId: null, answer: { verdict: 'create-disabled' } });
    expect(answer.summary).toMatch(/the job does not create CRM records \(allowCreate is off, T14\): turn on allowCreate in the job's config \(`hubsync job edit jxo-sf-no-create --allow-create true`\) and the next run creates it\.$/);
    expect(answer.recordReads).toEqual([]);
    expect((await hubsync.runJob(job.id, 'full')).stats).toMatchObject({ created: 0, skipped: { CREATE_DISABLED: 1 } });
  });

  it('says the CRM won a conflict when it changed the record after the hub did, with both stamps (T18, T29)', async () => {
    const task = await addTask('JXO task both sides change');
    await hubsync.runJob(TASKS, 'incremental');
    const crmId = (await crmIdOf('task', task))!;
    await hubsync.updateHubRecord('task', task, { title: 'JXO hub side' });
    await sleep(1100); // Salesforce stamps to the second: the CRM's change is the later one
    await conn.sobject('Task').update({ Id: crmId, Subject: 'JXO CRM side' });
    const answer = await explain(TASKS, crmId);
    expect(answer).toMatchObject({ hubId: task, crmId, answer: { verdict: 'crm-newer', crmId, inboundJobs: [TASKS_IN] } });
    const a = answer.answer as { crmModifiedAt: string; hubUpdatedAt: string; syncedCrmModifiedAt: string };
    expect(Date.parse(a.crmModifiedAt)).toBeGreaterThan(Date.parse(a.hubUpdatedAt));
    expect(Date.parse(a.crmModifiedAt)).toBeGreaterThan(Date.parse(a.syncedCrmModifiedAt));
    expect(answer.summary).toMatch(new RegExp(`^Conflict the CRM won: Task ${crmId} changed in the CRM at ${a.crmModifiedAt} \\(${a.syncedCrmModifiedAt} at the last sync\\), after the hub changed hub task ${task} at ${a.hubUpdatedAt}; .*Run the inbound job of connection 'jxo-sf' \\(\`hubsync job run jxo-sf-tasks-in\`\\) to bring the CRM's version to the hub`));
    expect(answer.recordReads.filter((q) => /FROM Task\b/.test(q))).toEqual([expect.stringContaining(crmId)]);
    const run = await hubsync.runJob(TASKS, 'incremental');
    expect(run.stats.skipped).toEqual({ CRM_NEWER: 1 });
    expect((await conn.query<{ Subject: string }>(`SELECT Subject FROM Task WHERE Id = '${crmId}'`)).records[0]?.Subject).toBe('JXO CRM side');
  });

  it("gives a rejected record's code, the CRM's message and the attempts, and an owner rejection before any run (T28)", async () => {
    const picky = 'jxo-picky@hubsync.test';
    const nobody = 'jxo-nobody@hubsync.test';
    await conn.sobject('User').create({ Username: picky, LastName: 'Picky Owner', Email: picky });
    const job = await createJob(`${C}-rejects`, 'tasks-outbound', (config) => (config.hubFilter = { ownerEmails: [picky, nobody] }));
    const bad = await addTask('JXO task with a status Salesforce refuses', { assignee: picky, status: 'Bogus status' });
    const ownerless = await addTask('JXO task of an owner Salesforce does not know', { assignee: nobody });

    // Before any run: hubsync's own rule is known at once; the CRM's refusal only once the CRM answers.
    const unknownOwner = await explain(job.id, String(ownerless));
    expect(unknownOwner.answer).toMatchObject({ verdict: 'rejected', operation: 'create', code: 'OWNER_NOT_FOUND', reason: expect.stringContaining(nobody), attempts: 0, lastRunId: null });
    expect(unknownOwner.summary).toMatch(/Not tried yet; the next run rejects it\. Fix: add \(or activate\) a CRM user with that email, or change the record's owner in the hub\.$/);
    expect((await explain(job.id, String(bad))).answer).toMatchObject({ verdict: 'not-reached' });

    await hubsync.runJob(job.id, 'full');
    const second = await hubsync.runJob(job.id, 'incremental'); // nothing changed: the rejected records are retried anyway
    expect(second.stats.rejected).toEqual({ INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: 1, OWNER_NOT_FOUND: 1 });
    const refused = await explain(job.id, `task-${bad}`);
    expect(refused.answer).toMatchObject({
      verdict: 'rejected',
      operation: 'create',
      code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      reason: expect.stringContaining('Status: bad value for restricted picklist field: Bogus status'),
      attempts: 2,
      lastRunId: second.runId,
      firstRejectedAt: expect.any(String),
    });
    expect(refused.summary).toMatch(new RegExp(`^Rejected \\(INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST\\): .*Bogus status.*\\. Tried 2 time\\(s\\), last at \\S+ \\(run ${second.runId}\\); every run tries it again\\. Fix: correct the record's values in the hub`));
    expect((await explain(job.id, String(ownerless))).answer).toMatchObject({ code: 'OWNER_NOT_FOUND', attempts: 2, lastRunId: second.runId });
  });

  it('says the next run deletes the CRM record of a record deleted in the hub, and names a record deleted in the CRM (T19)', async () => {
    const hubDeleted = await addTask('JXO task the hub deletes');
    const crmDeleted = await addTask('JXO task Salesforce deletes');
    await hubsync.runJob(TASKS, 'incremental');
    const [hubDeletedCrm, crmDeletedCrm] = [(await crmIdOf('task', hubDeleted))!, (await crmIdOf('task', crmDeleted))!];

    await hubsync.deleteHubRecord('task', hubDeleted);
    for (const name of [String(hubDeleted), hubDeletedCrm]) {
      const answer = await explain(TASKS, name);
      expect(answer).toMatchObject({ hubId: hubDeleted, crmId: hubDeletedCrm, answer: { verdict: 'deleted-in-hub', crmId: hubDeletedCrm, deletedAt: expect.any(String) } });
      expect(answer.summary).toMatch(new RegExp(`^Deleted in the hub at \\S+: the next run of 'jxo-sf-tasks' deletes Task ${hubDeletedCrm} in the CRM \\(T19\\)\\.$`));
      expect(answer.recordReads).toEqual([]);
    }

    await hubsync.updateHubRecord('task', crmDeleted, { title: 'JXO task changed in the hub' });
    await conn.sobject('Task').destroy(crmDeletedCrm);
    const gone = await explain(TASKS, String(crmDeleted));
    expect(gone).toMatchObject({ crmId: crmDeletedCrm, answer: { verdict: 'deleted-in-crm', crmId: crmDeletedCrm, inboundJobs: [TASKS_IN] } });
    expect(gone.summary).toMatch(new RegExp(`^Task ${crmDeletedCrm} was deleted in the CRM: this job does not write it again\\. The inbound job deletes hub task ${crmDeleted} too \\(T19\\): \`hubsync job run jxo-sf-tasks-in\`\\.$`));

    const run = await hubsync.runJob(TASKS, 'incremental');
    expect(run.stats).toMatchObject({ deleted: 1, skipped: { CRM_DELETED: 1 } });
    expect((await conn.query(`SELECT Id FROM Task WHERE Id = '${hubDeletedCrm}'`)).totalSize).toBe(0);
    expect((await explain(TASKS, String(hubDeleted))).answer).toEqual({ verdict: 'not-in-hub' });

    // A deletion the CRM refuses is kept as rejected and tried again by every run (T28).
    const locked = await addTask('JXO task whose deletion Salesforce refuses');
    await hubsync.runJob(TASKS, 'incremental');
    const lockedCrm = (await crmIdOf('task', locked))!;
    await hubsync.deleteHubRecord('task', locked);
    await sf.admin('POST', '/__admin/faults', { kind: 'recordLock', object: 'Task', operations: ['delete'] });
    let refusedRun: number;
    try {
      const run = await hubsync.runJob(TASKS, 'incremental');
      expect(run.stats).toMatchObject({ deleted: 0, rejected: { UNABLE_TO_LOCK_ROW: 1 } });
      refusedRun = run.runId;
    } finally {
      await sf.admin('DELETE', '/__admin/faults');
    }
    const refused = await explain(TASKS, lockedCrm);
    expect(refused).toMatchObject({ hubId: locked, crmId: lockedCrm, answer: { verdict: 'rejected', operation: 'delete', code: 'UNABLE_TO_LOCK_ROW', reason: expect.stringContaining(`deleting Task ${lockedCrm}: UNABLE_TO_LOCK_ROW`), attempts: 1, lastRunId: refusedRun } });
    expect(refused.summary).toMatch(/every run tries it again\. Fix: remove what stops the deletion in the CRM/);
    expect((await hubsync.runJob(TASKS, 'incremental')).stats).toMatchObject({ deleted: 1, rejected: {} });
    expect((await explain(TASKS, String(locked))).answer).toEqual({ verdict: 'not-in-hub' });
  });

  it('answers the same through the CLI, as text and as JSON, for a campaign touch (T6)', async () => {
    const job = await createJob(`${C}-campaigns`, 'campaign-touch-outbound', (config) => {
      config.mapping = config.mapping.map((r) => (r.key && r.hubField === 'Touchpoint External Id' ? { ...r, crmField: 'Hubsync_External_Id__c' } : r));
    });
    const touch = (await hubsync.createHubRecord('campaign_touch', { accountId: account.hubId, campaignName: 'JXO webinar', campaignKind: 'one_time', recipientCount: 40, senderEmail: 'news@acme.example', startDate: '2026-12-10', createdByEmail: OWNER })).id;
    const run = await hubsync.runJob(job.id, 'full');
    expect(run.stats).toMatchObject({ created: 1 });
    const eventId = (await crmIdOf('campaign_touch', touch))!;

    const { result: text } = await withoutWrites(() => runCli(['job', 'explain', job.id, `campaign-touch-${touch}`], sf.cliEnv));
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Hub campaign touch ${touch} (Event ${eventId}) in job '${job.id}': synced`);
    expect(text.stdout).toMatch(new RegExp(`Synced: hub campaign touch ${touch} is Event ${eventId}, last synced at \\S+ by run ${run.runId}; nothing changed in the hub since\\.`));

    const { result: json } = await withoutWrites(() => runCli(['job', 'explain', job.id, eventId, '--json'], sf.cliEnv));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ direction: 'outbound', jobId: job.id, crmObject: 'Event', hubType: 'campaign_touch', hubId: touch, crmId: eventId, answer: { verdict: 'synced', runId: run.runId, runJobId: job.id } });

    const unknown = await runCli(['job', 'explain', job.id, 'campaign-touch-999999999'], sf.cliEnv);
    expect(unknown.stdout).toContain(`Hub campaign touch campaign-touch-999999999 (no Event) in job '${job.id}': not-in-hub`);
  });
});
