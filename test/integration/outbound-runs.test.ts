// Outbound runs end to end (T3, T5, T6, T11, T14-T17, T19, T21-T24, T28; P6): hub tasks, touchpoints and campaign
// touches written by the hub's own application (plain SQL, as its UI would) go to a Salesforce sandbox over HTTP
// through a real worker and the dev server.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { countOutboundRecords } from '../../activities/hub/sync-lookups';
import { HubsyncClient } from '../../client/hubsync-client';
import { START_CURSOR } from '../../kernel/cursors';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, loggedRequests, prefixedAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(240000);

const C = 'obr';

describe('outbound runs', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let conn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let worker: { stop(): Promise<void> };
  let account: { hubId: number; crmId: string };
  let unmatchedAccount: number;
  let owner: { Id: string; Email: string };

  const sfTask = async (id: string) =>
    (await conn.query<{ Id: string; Subject: string; WhatId: string; OwnerId: string; Status: string; Hubsync_External_Id__c: string | null }>(`SELECT Id, Subject, WhatId, OwnerId, Status, Hubsync_External_Id__c FROM Task WHERE Id = '${id}'`)).records[0];
  const linkOf = async (type: string, hubId: number) =>
    (await pool.query<{ crm_id: string; crm_stamp_pending: boolean; crm_modified_at: string | null }>(`SELECT crm_id, crm_stamp_pending, crm_modified_at FROM record_links WHERE connection_id = $1 AND hub_type = $2 AND hub_id = $3`, [C, type, hubId])).rows[0];
  const addTask = async (title: string, extra: { accountId?: number; assignee?: string } = {}) =>
    (await pool.query<{ id: number }>(`INSERT INTO tasks (account_id, title, status, priority, assignee_email) VALUES ($1, $2, 'Not Started', 'Normal', $3) RETURNING id`, [extra.accountId ?? account.hubId, title, extra.assignee ?? owner.Email])).rows[0]!.id;
  const createJob = async (id: string, config: JobConfig) => (await createValidatedJob(pool, testSecretBox, { id, connectionId: C, config })).job;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, C, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    worker = await startFileWorker(pool);
    await importAccounts(pool, hubsync, C, prefixedAccountsConfig('OBR'));
    const crmAccount = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Id LIMIT 1')).records[0]!;
    account = { crmId: crmAccount.Id, hubId: await hubAccountOf(pool, C, crmAccount.Id) };
    unmatchedAccount = (await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('OBR hub-only account') RETURNING id`)).rows[0]!.id;
    // A CRM user of this file's own: its email selects this file's hub tasks (the hub database is shared).
    const email = 'obr-owner@hubsync.test';
    owner = { Id: String(((await conn.sobject('User').create({ Username: email, LastName: 'Outbound Owner', Email: email })) as { id: string }).id), Email: email };
  });
  afterAll(async () => {
    await worker?.stop();
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('creates hub tasks in Salesforce with WhatId and the owner by email, then updates only what changed (T3, T16, T21, T24)', async () => {
    const config = configFromTemplate('tasks-outbound');
    config.hubFilter = { ownerEmails: [owner.Email] };
    // Keyed on Id (the template), a create cannot be made exactly-once: validation says so, and the job still runs.
    const { validation } = await createValidatedJob(pool, testSecretBox, { id: 'obr-tasks', connectionId: C, config });
    expect(validation.ok).toBe(true);
    expect(validation.issues).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'warning', code: 'CREATE_NOT_IDEMPOTENT', row: 2 })]));
    const first = await addTask('OBR first task');
    const orphan = await addTask('OBR task of a hub-only account', { accountId: unmatchedAccount });
    // What a run's progress counts before it starts: both of the owner's tasks in the window.
    expect(await countOutboundRecords(pool, 'task', config.hubFilter, { after: START_CURSOR, updatedSince: new Date(Date.now() - 86_400_000).toISOString() })).toBe(2);

    const run = await hubsync.runJob('obr-tasks', 'full');
    expect(run.stats).toMatchObject({ created: 1, updated: 0, rejected: {} });
    const link = await linkOf('task', first);
    const created = await sfTask(link!.crm_id);
    expect(created).toMatchObject({ Subject: 'OBR first task', WhatId: account.crmId, OwnerId: owner.Id, Status: 'Not Started' });
    // The CRM stamp of hubsync's own write is read back, so the inbound job sees it as unchanged (T29).
    expect(link).toMatchObject({ crm_stamp_pending: false });
    expect(link!.crm_modified_at).not.toBeNull();
    // The hub record takes the CRM Id as its external ID (T13); the orphan is parked, not counted (T11).
    expect((await pool.query('SELECT external_id FROM tasks WHERE id = $1', [first])).rows[0]).toEqual({ external_id: link!.crm_id.toLowerCase() });
    expect(await linkOf('task', orphan)).toBeUndefined();
    expect((await pool.query(`SELECT reason_code FROM parked_records WHERE job_id = 'obr-tasks' AND source_id = $1`, [String(orphan)])).rows).toEqual([{ reason_code: 'NO_CRM_PARENT' }]);

    // The hub's application changes the task: the next incremental run updates Subject and Status, never WhatId.
    await pool.query(`UPDATE tasks SET title = 'OBR first task (renamed)', status = 'Completed' WHERE id = $1`, [first]);
    const before = (await loggedRequests(sf.admin, 'PATCH', '*composite/sobjects*')).length;
    const second = await hubsync.runJob('obr-tasks', 'incremental');
    expect(second.stats).toMatchObject({ created: 0, updated: 1 });
    expect(await sfTask(link!.crm_id)).toMatchObject({ Subject: 'OBR first task (renamed)', Status: 'Completed', WhatId: account.crmId });
    expect((await loggedRequests(sf.admin, 'PATCH', '*composite/sobjects*')).length).toBe(before + 1);

    // Nothing changed since: a third run writes nothing.
    const third = await hubsync.runJob('obr-tasks', 'incremental');
    expect(third.stats).toMatchObject({ created: 0, updated: 0 });
    expect((await loggedRequests(sf.admin, 'PATCH', '*composite/sobjects*')).length).toBe(before + 1);

    // Someone relates the task to another account in Salesforce; the hub's later change goes out without WhatId (T16).
    const other = (await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id != '${account.crmId}' ORDER BY Id LIMIT 1`)).records[0]!.Id;
    await conn.sobject('Task').update({ Id: link!.crm_id, WhatId: other });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // Salesforce stamps to the second: the hub's change is later
    await pool.query(`UPDATE tasks SET title = 'OBR first task (again)' WHERE id = $1`, [first]);
    expect((await hubsync.runJob('obr-tasks', 'incremental')).stats).toMatchObject({ updated: 1 });
    expect(await sfTask(link!.crm_id)).toMatchObject({ Subject: 'OBR first task (again)', WhatId: other });
  });

  it('refuses a key field that is not an External ID, saving nothing (T13)', async () => {
    const config = configFromTemplate('tasks-outbound');
    config.mapping = config.mapping.map((r) => (r.key && r.hubField === 'Task External Id' ? { ...r, crmField: 'CallDisposition' } : r));
    await expect(createJob('obr-bad-key', config)).rejects.toThrow(/CallDisposition cannot hold a record's external ID/);
    expect((await pool.query(`SELECT 1 FROM integration_jobs WHERE id = 'obr-bad-key'`)).rows).toEqual([]);
  });

  it('updates existing CRM records only when creation is off (T14)', async () => {
    const config = configFromTemplate('tasks-outbound');
    config.hubFilter = { ownerEmails: [owner.Email] };
    config.allowCreate = false;
    await createJob('obr-no-create', config);
    const fresh = await addTask('OBR task nobody may create');
    const run = await hubsync.runJob('obr-no-create', 'full');
    expect(run.stats.created).toBe(0);
    expect(run.stats.skipped['CREATE_DISABLED']).toBeGreaterThanOrEqual(1);
    expect(await linkOf('task', fresh)).toBeUndefined();
    expect((await conn.query(`SELECT Id FROM Task WHERE Subject = 'OBR task nobody may create'`)).totalSize).toBe(0);
  });

  it('writes campaign touches as Email events with the integration guide’s subject, keyed on an External ID (T6, T17)', async () => {
    const config = configFromTemplate('campaign-touch-outbound');
    // The key row names the org's External ID field: creates become upserts on the campaign touch's key.
    config.mapping = config.mapping.map((r) => (r.key && r.hubField === 'Touchpoint External Id' ? { ...r, crmField: 'Hubsync_External_Id__c' } : r));
    config.hubFilter = { ownerEmails: [owner.Email] };
    const { validation } = await createValidatedJob(pool, testSecretBox, { id: 'obr-campaigns', connectionId: C, config });
    expect(validation.issues.map((i) => i.code)).not.toContain('CREATE_NOT_IDEMPOTENT');
    const insert = (name: string, kind: string, recipients: number) =>
      pool.query<{ id: number }>(
        `INSERT INTO campaign_touches (account_id, campaign_name, campaign_kind, recipient_count, sender_email, start_date, description, created_by_email)
         VALUES ($1, $2, $3, $4, 'cs@acme.example', '2026-11-28T09:30:00Z', 'sent by the hub', $5) RETURNING id`,
        [account.hubId, name, kind, recipients, owner.Email],
      );
    const ongoing = (await insert('Q4 Onboarding', 'ongoing', 12)).rows[0]!.id;
    const oneTime = (await insert('Webinar invite', 'one_time', 1)).rows[0]!.id;
    const run = await hubsync.runJob('obr-campaigns', 'full');
    expect(run.stats).toMatchObject({ created: 2, rejected: {} });
    const event = async (hubId: number) =>
      (await conn.query<Record<string, unknown>>(`SELECT Subject, Type, ActivityDate, IsAllDayEvent, WhatId, OwnerId, Hubsync_External_Id__c FROM Event WHERE Id = '${(await linkOf('campaign_touch', hubId))!.crm_id}'`)).records[0];
    expect(await event(ongoing)).toMatchObject({
      Subject: 'Ongoing campaign "Q4 Onboarding" was sent to 12 users. From: cs@acme.example',
      Type: 'Email',
      ActivityDate: '2026-11-28',
      // Only a date is mapped (Start Date → ActivityDate): the event is an all-day one (README: Outbound jobs).
      IsAllDayEvent: true,
      WhatId: account.crmId,
      OwnerId: owner.Id,
      Hubsync_External_Id__c: `campaign-touch-${ongoing}`,
    });
    expect(await event(oneTime)).toMatchObject({ Subject: 'One time campaign "Webinar invite" was sent to 1 users. From: cs@acme.example', Type: 'Email' });
  });

  it('makes a touchpoint’s participant the Event’s WhoId and writes one hub date into two fields (T5, T22, T23)', async () => {
    const contact = (await conn.query<{ Id: string; Email: string }>(`SELECT Id, Email FROM Contact WHERE AccountId = '${account.crmId}' AND Email != null ORDER BY Id LIMIT 1`)).records[0]!;
    const config = configFromTemplate('touchpoints-outbound');
    config.mapping.push(
      { crmField: 'StartDateTime', crmFieldType: 'datetime', hubField: 'Touchpoint Date', hubFieldType: 'datetime', key: false },
      { crmField: 'WhoId', crmFieldType: 'reference', hubField: 'Participants', hubFieldType: 'participants', key: false },
    );
    config.hubFilter = { ownerEmails: [owner.Email] };
    await createJob('obr-touchpoints', config);
    const tp = (await pool.query<{ id: number }>(`INSERT INTO touchpoints (account_id, subject, content, touchpoint_date, creator_email) VALUES ($1, 'OBR QBR', 'notes', '2026-11-27T15:00:00Z', $2) RETURNING id`, [account.hubId, owner.Email])).rows[0]!.id;
    await pool.query(`INSERT INTO touchpoint_participants (touchpoint_id, participant_key, name, email) VALUES ($1, $2, 'Pat', $2)`, [tp, contact.Email.toLowerCase()]);
    const run = await hubsync.runJob('obr-touchpoints', 'full');
    expect(run.stats).toMatchObject({ created: 1, rejected: {} });
    const event = (await conn.query<Record<string, unknown>>(`SELECT WhoId, StartDateTime, ActivityDate, DurationInMinutes, IsAllDayEvent FROM Event WHERE Id = '${(await linkOf('touchpoint', tp))!.crm_id}'`)).records[0];
    // A start time and no end: the default duration (README: Outbound jobs).
    expect(event).toMatchObject({ WhoId: contact.Id, ActivityDate: '2026-11-27', DurationInMinutes: 30, IsAllDayEvent: false });
    expect(Date.parse(String(event?.['StartDateTime']))).toBe(Date.parse('2026-11-27T15:00:00Z'));
  });

  it('keeps a refused record with the CRM’s reason and retries it on every later run until it passes (T28)', async () => {
    const config = configFromTemplate('tasks-outbound');
    const email = 'obr-later-owner@hubsync.test';
    config.hubFilter = { ownerEmails: [email] };
    await createJob('obr-rejections', config);
    const task = await addTask('OBR task of an owner Salesforce does not know yet', { assignee: email });
    const first = await hubsync.runJob('obr-rejections', 'full');
    expect(first.stats.rejected).toEqual({ OWNER_NOT_FOUND: 1 });
    const kept = await pool.query(`SELECT reason_code, reason, attempts FROM rejected_records WHERE job_id = 'obr-rejections' AND source_id = $1`, [String(task)]);
    expect(kept.rows).toEqual([{ reason_code: 'OWNER_NOT_FOUND', reason: expect.stringContaining(email), attempts: 1 }]);

    // The CRM refuses it as well, per record (a record lock that outlasts the retries within the page).
    await conn.sobject('User').create({ Username: email, LastName: 'Later Owner', Email: email });
    await sf.admin('POST', '/__admin/faults', { kind: 'recordLock', object: 'Task', operations: ['create'] });
    try {
      const second = await hubsync.runJob('obr-rejections', 'incremental');
      expect(second.stats.rejected).toEqual({ UNABLE_TO_LOCK_ROW: 1 });
      expect((await pool.query(`SELECT reason_code, attempts FROM rejected_records WHERE job_id = 'obr-rejections'`)).rows).toEqual([{ reason_code: 'UNABLE_TO_LOCK_ROW', attempts: 2 }]);
    } finally {
      await sf.admin('DELETE', '/__admin/faults');
    }

    // Nothing changed in the hub; the next incremental run retries it anyway, and it passes.
    const third = await hubsync.runJob('obr-rejections', 'incremental');
    expect(third.stats).toMatchObject({ created: 1, rejected: {} });
    expect(await linkOf('task', task)).toBeDefined();
    expect((await pool.query(`SELECT 1 FROM rejected_records WHERE job_id = 'obr-rejections'`)).rows).toEqual([]);
  });

  it('rides out UNABLE_TO_LOCK_ROW and REQUEST_LIMIT_EXCEEDED on collection calls: each record once, exact statistics (P6)', async () => {
    const config = configFromTemplate('tasks-outbound');
    const email = 'obr-faults-owner@hubsync.test';
    await conn.sobject('User').create({ Username: email, LastName: 'Faults Owner', Email: email });
    config.hubFilter = { ownerEmails: [email] };
    // Keyed on the org's External ID field: a call refused half-way and retried cannot create a record twice.
    config.mapping = config.mapping.map((r) => (r.key && r.hubField === 'Task External Id' ? { ...r, crmField: 'Hubsync_External_Id__c' } : r));
    await createJob('obr-faults', config);
    for (let i = 0; i < 30; i++) await addTask(`OBR fault task ${i}`, { assignee: email });
    // The first collection call is refused as over the limit (the activity backs off and retries the page), then two
    // records are locked once each (retried within the page).
    await sf.admin('POST', '/__admin/faults', { kind: 'http', method: 'PATCH', path: '*composite/sobjects/Task/*', status: 403, count: 1 });
    await sf.admin('POST', '/__admin/faults', { kind: 'recordLock', object: 'Task', operations: ['upsert'], count: 2 });
    const run = await hubsync.runJob('obr-faults', 'full').finally(() => sf.admin('DELETE', '/__admin/faults'));
    expect({ ...run.stats, pages: 0 }).toEqual({ read: 30, created: 30, updated: 0, unchanged: 0, deleted: 0, skipped: {}, rejected: {}, pages: 0 });
    expect((await conn.query(`SELECT Id FROM Task WHERE Subject LIKE 'OBR fault task %'`)).totalSize).toBe(30);
    const calls = await loggedRequests(sf.admin, 'PATCH', '*composite/sobjects/Task/*');
    expect(calls.map((r) => r.status)).toEqual([403, 200, 200]);
  });
});
