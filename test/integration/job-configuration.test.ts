// Connections and job configuration through the real CLI against the Salesforce sandbox (issue: T7-T9,
// T13-T15, T17, T22): templates, validation row by row, preview, and every refusal writing nothing.
import fs from 'node:fs';
import { Connection as SfConnection } from 'jsforce';
import { runCli } from '../support/cli';
import { startSalesforceFixture, type SalesforceFixture } from '../support/salesforce';
import { testPool, testStack } from '../support/test-env';

const CONNECTION = 'cfg-sbx';

describe('connections and job configuration (CLI, Salesforce sandbox)', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { ...sf.cliEnv, ...extra });
  const jobState = async (id: string) => (await pool.query<{ version: number; config: unknown }>('SELECT version, config FROM integration_jobs WHERE id = $1', [id])).rows[0];

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, CONNECTION, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
  });
  afterAll(async () => {
    await sf.close();
    await pool.end();
  });

  describe('connections', () => {
    it('stores secrets encrypted and never prints them', async () => {
      const { rows } = await pool.query<{ secrets_ciphertext: Buffer; settings: Record<string, unknown> }>('SELECT secrets_ciphertext, settings FROM crm_connections WHERE id = $1', [CONNECTION]);
      expect(rows[0]!.secrets_ciphertext.toString('latin1')).not.toContain(sf.sandbox.credentials.refreshToken);
      expect(JSON.stringify(rows[0]!.settings)).not.toContain(sf.sandbox.credentials.clientSecret);
      const list = await cli(['connection', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(CONNECTION);
      expect(list.stdout).not.toContain(sf.sandbox.credentials.refreshToken);
      expect(list.stdout).not.toContain(sf.sandbox.credentials.clientSecret);
    });

    it('tests a connection with a real authenticated call and reports API usage', async () => {
      const result = await cli(['connection', 'test', CONNECTION]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(`authenticated to ${sf.sandbox.url}`);
      expect(result.stdout).toMatch(/API usage today: \d+ of 100000 requests/);
    });

    it('refuses to store secrets without a key, and writes nothing', async () => {
      const result = await cli(['connection', 'add', 'no-key', '--base-url', sf.sandbox.url, '--client-id', 'x', '--refresh-token', 'y'], { HUBSYNC_SECRET_KEY: '' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/HUBSYNC_SECRET_KEY is not set/);
      expect((await pool.query(`SELECT 1 FROM crm_connections WHERE id = 'no-key'`)).rowCount).toBe(0);
    });

    it('refuses a connection without credentials, naming what is missing', async () => {
      const result = await cli(['connection', 'add', 'no-creds', '--base-url', sf.sandbox.url, '--client-id', 'x']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/give a refreshToken, or a username and password, or a clientSecret/);
      expect((await pool.query(`SELECT 1 FROM crm_connections WHERE id = 'no-creds'`)).rowCount).toBe(0);
    });
  });

  describe('jobs from templates', () => {
    it('creates a job of every kind from its template in one command, disabled, at version 1', async () => {
      for (const kind of ['accounts-inbound', 'tasks-inbound', 'tasks-outbound', 'touchpoints-inbound', 'touchpoints-outbound', 'campaign-touch-outbound']) {
        const result = await cli(['job', 'create', '--kind', kind, '--connection', CONNECTION, '--from-template']);
        expect({ kind, code: result.code, stderr: result.stderr }).toEqual({ kind, code: 0, stderr: '' });
        expect(result.stdout).toContain(`Created job '${CONNECTION}-${kind}' (disabled)`);
        expect(await jobState(`${CONNECTION}-${kind}`)).toMatchObject({ version: 1 });
      }
      const show = await cli(['job', 'show', `${CONNECTION}-tasks-inbound`]);
      expect(show.stdout).toMatch(/8\s+Owner\.Email\s+reference field\s+Assigned To\s+text/);
    });

    it('validates row by row against the CRM describe', async () => {
      const result = await cli(['job', 'validate', `${CONNECTION}-tasks-inbound`, '--json']);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { ok: boolean; rows: Array<{ crmField: string; crmType: string; ok: boolean }> };
      expect(report.ok).toBe(true);
      expect(report.rows.find((r) => r.crmField === 'Owner.Email')).toMatchObject({ crmType: 'Owner.email', ok: true });
      expect(report.rows.find((r) => r.crmField === 'ActivityDate')).toMatchObject({ crmType: 'date', ok: true });
    });

    it('edits the mapping (add a row, one hub field into two CRM fields, T22) and bumps the version', async () => {
      const id = `${CONNECTION}-touchpoints-outbound`;
      const result = await cli(['job', 'edit', id, '--file', writeTemp({ addRows: [{ crmField: 'StartDateTime', crmFieldType: 'datetime', hubField: 'Touchpoint Date', hubFieldType: 'Date' }] })]);
      expect(result.stderr).toBe('');
      expect(await jobState(id)).toMatchObject({ version: 2 });
      const versions = await pool.query('SELECT version FROM integration_job_versions WHERE job_id = $1 ORDER BY version', [id]);
      expect(versions.rows.map((r: { version: number }) => r.version)).toEqual([1, 2]);
    });
  });

  describe('refusals: a message naming the job, the row and the fix, and nothing written', () => {
    const refusals: Array<[string, string, Record<string, unknown> | string, RegExp]> = [
      ['unknown field', 'tasks-inbound', { addRows: [{ crmField: 'Colour__c', hubField: 'Colour', hubFieldType: 'text' }] }, /row 12 \(Colour__c → Colour\): Task has no field 'Colour__c'[\s\S]*fix: pick a field of Task/],
      ['wrong type', 'tasks-inbound', { changeRows: [{ row: 'ActivityDate', crmField: 'Subject' }] }, /row 7 \(Subject → Due Date\): Subject is combobox, which cannot fill 'Due Date' \(date\)/],
      ['read-only outbound target', 'tasks-outbound', { addRows: [{ crmField: 'IsHighPriority', hubField: 'Urgent', hubFieldType: 'boolean' }] }, /row 9 \(Urgent → IsHighPriority\): Task.IsHighPriority is not updateable[\s\S]*fix: remove row 9/],
      ['Created By outbound (T21)', 'tasks-outbound', { addRows: [{ crmField: 'CreatedById', hubField: 'Assigner', hubFieldType: 'text' }] }, /the CRM sets CreatedById itself; it cannot be written \(T21\)/],
      ['reference field outbound', 'tasks-outbound', { addRows: [{ crmField: 'WhatId', hubField: 'Description', hubFieldType: 'text' }] }, /WhatId is a lookup to .*; reference fields cannot be mapped outbound/],
      ['relationship path outbound', 'tasks-outbound', { changeRows: [{ row: 'OwnerId', crmField: 'Owner.Email' }] }, /reference fields \(Owner.Email\) cannot be written outbound/],
      ['too deep a reference', 'tasks-inbound', { changeRows: [{ row: 'Owner.Email', crmField: 'Owner.Manager.Email' }] }, /only first-level references/],
      ['missing mandatory row (T17)', 'campaign-touch-outbound', { removeRows: ['ActivityDate'] }, /must map 'Start Date' → ActivityDate \(T17\)/],
      ['missing key row', 'tasks-inbound', { removeRows: ['Id'] }, /no key row for 'Task External Id'[\s\S]*fix: add a row/],
      ['malformed filter', 'tasks-inbound', "Status = ", /filter: not a valid SOQL condition/],
      ['injected filter', 'tasks-inbound', "Status = 'x') OR (Id != null", /filter: unbalanced '\)'/],
      ['filter with LIMIT', 'tasks-inbound', "Status = 'x' LIMIT 1", /LIMIT is not allowed in a filter/],
      ['filter on an unknown field', 'tasks-inbound', "Colour__c = 'red'", /filter: Task has no field 'Colour__c'/],
      ['filter the CRM refuses (T8)', 'tasks-inbound', "ActivityDate = 'tomorrow'", /filter: the CRM refused the filter:[\s\S]*ERROR at Row:1:Column:28\nvalue of filter criterion for field 'ActivityDate' must be of type date/],
    ];
    it.each(refusals)('%s', async (_name, kind, edit, message) => {
      const id = `${CONNECTION}-${kind}`;
      const before = await jobState(id);
      const args = typeof edit === 'string' ? ['job', 'edit', id, '--filter', edit] : ['job', 'edit', id, '--file', writeTemp(edit)];
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Job '${id}'`);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('nothing was saved');
      expect(await jobState(id)).toEqual(before);
    });

    it('unknown connection', async () => {
      const result = await cli(['job', 'create', '--kind', 'tasks-inbound', '--connection', 'nope', '--from-template', '--id', 'orphan-job']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Job 'orphan-job': Unknown connection 'nope'.*Add one with `hubsync connection add`/);
      expect((await pool.query(`SELECT 1 FROM integration_jobs WHERE id = 'orphan-job'`)).rowCount).toBe(0);
    });

    it('accepts a valid filter, checked by the CRM, and saves it as a new version', async () => {
      const id = `${CONNECTION}-tasks-inbound`;
      const before = await jobState(id);
      const result = await cli(['job', 'edit', id, '--filter', "Status != 'Deferred' AND ActivityDate = LAST_N_DAYS:365"]);
      expect(result.stderr).toBe('');
      expect(await jobState(id)).toMatchObject({ version: before!.version + 1, config: expect.objectContaining({ filter: "Status != 'Deferred' AND ActivityDate = LAST_N_DAYS:365" }) });
      await cli(['job', 'edit', id, '--filter', '']);
    });
  });

  describe('custom objects (T7)', () => {
    it('validates and previews a job whose CRM object is a custom object replacing Task', async () => {
      await sf.admin('POST', '/__admin/schema/objects', {
        name: 'Activity__c',
        fields: [
          { name: 'Title__c', type: 'text', length: 255 },
          { name: 'Due__c', type: 'date' },
          { name: 'Account__c', type: 'lookup', referenceTo: 'Account', relationshipName: 'Account__r' },
        ],
      });
      const conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
      const account = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Name LIMIT 1')).records[0]!;
      await conn.sobject('Activity__c').create({ Name: 'A-1', Title__c: 'Custom activity', Due__c: '2026-12-01', Account__c: account.Id });
      const file = writeTemp({
        crmObject: 'Activity__c',
        mapping: [
          { crmField: 'Account__c', crmFieldType: 'reference', hubField: 'Account Id', hubFieldType: 'text', key: true },
          { crmField: 'Id', crmFieldType: 'id', hubField: 'Task External Id', hubFieldType: 'text', key: true },
          { crmField: 'Title__c', crmFieldType: 'text', hubField: 'Title', hubFieldType: 'text' },
          { crmField: 'Due__c', crmFieldType: 'date', hubField: 'Due Date', hubFieldType: 'Date' },
        ],
      });
      const created = await cli(['job', 'create', '--kind', 'tasks-inbound', '--connection', CONNECTION, '--id', 'cfg-custom-activities', '--file', file]);
      expect(created.stderr).toBe('');
      const preview = JSON.parse((await cli(['job', 'preview', 'cfg-custom-activities', '--json'])).stdout) as { rows: Array<{ target: Record<string, unknown>; decision: { code?: string } }> };
      expect(preview.rows).toHaveLength(1);
      expect(preview.rows[0]).toMatchObject({ target: { title: 'Custom activity', due_date: '2026-12-01', parentCrmId: account.Id }, decision: { code: 'PARENT_NOT_MATCHED' } });
    });
  });

  describe('outbound preview (T9, T11, T14-T16)', () => {
    it('shows create with WhatId, outside-window and no-CRM-parent decisions for hub tasks', async () => {
      const conn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
      const crmAccount = (await conn.query<{ Id: string }>('SELECT Id FROM Account ORDER BY Name LIMIT 1')).records[0]!;
      // A CRM user of this test's own (the demo users own tasks that other test files import into the hub).
      const email = 'cfg-preview-owner@hubsync.test';
      const created = await conn.sobject('User').create({ Username: email, LastName: 'Preview Owner', Email: email });
      const owner = { Id: String((created as { id: string }).id), Email: email };
      // Hub-native records (as the hub's own UI creates them): one matched account, one that is not.
      const matched = (await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('Matched Co') RETURNING id`)).rows[0]!.id;
      const unmatched = (await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('Hub-only Co') RETURNING id`)).rows[0]!.id;
      await pool.query(`INSERT INTO record_links (connection_id, crm_object, crm_id, hub_type, hub_id) VALUES ($1, 'Account', $2, 'account', $3)`, [CONNECTION, crmAccount.Id, matched]);
      await pool.query(
        `INSERT INTO tasks (account_id, title, status, priority, due_date, assignee_email, updated_at) VALUES
           ($1, 'Fresh hub task', 'Not Started', 'High', '2026-12-24', $3, now()),
           ($1, 'Task of a stranger', 'Not Started', 'Normal', NULL, 'cfg-stranger@example.com', now()),
           ($1, 'Old hub task', 'Completed', 'Normal', NULL, 'old@example.com', now() - interval '45 days'),
           ($2, 'Task of a hub-only account', 'Not Started', 'Normal', NULL, 'hub-only@example.com', now() - interval '1 day'),
           ($1, 'Someone else''s task', 'Not Started', 'Normal', NULL, 'other@example.com', now())`,
        [matched, unmatched, owner.Email],
      );
      // The outbound hub filter selects these tasks (the hub may hold many others).
      const filter = await cli(['job', 'edit', `${CONNECTION}-tasks-outbound`, '--file', writeTemp({ hubFilter: { ownerEmails: [owner.Email, 'cfg-stranger@example.com', 'old@example.com', 'hub-only@example.com'] } })]);
      expect(filter.stderr).toBe('');
      const result = await cli(['job', 'preview', `${CONNECTION}-tasks-outbound`, '--json']);
      expect(result.stderr).toBe('');
      const preview = JSON.parse(result.stdout) as { rows: Array<{ target: Record<string, unknown>; decision: { action: string; code?: string } }> };
      const byTitle = Object.fromEntries(preview.rows.map((r) => [String(r.target['Subject']), r]));
      expect(Object.keys(byTitle).sort()).toEqual(['Fresh hub task', 'Old hub task', 'Task of a hub-only account', 'Task of a stranger']);
      // The owner is the CRM user with the hub user's email; preview resolves it as a run does.
      expect(byTitle['Fresh hub task']).toMatchObject({
        decision: { action: 'create' },
        target: { Subject: 'Fresh hub task', Priority: 'High', ActivityDate: '2026-12-24', WhatId: crmAccount.Id, OwnerId: owner.Id },
      });
      expect(byTitle['Task of a stranger']?.decision).toMatchObject({ action: 'reject', code: 'OWNER_NOT_FOUND' });
      expect(byTitle['Old hub task']?.decision).toMatchObject({ action: 'skip', code: 'OUTSIDE_WINDOW' });
      expect(byTitle['Task of a hub-only account']?.decision).toMatchObject({ action: 'skip', code: 'NO_CRM_PARENT' });
      // With creation turned off (T14), the fresh task would be skipped instead.
      expect((await cli(['job', 'edit', `${CONNECTION}-tasks-outbound`, '--allow-create', 'false'])).stderr).toBe('');
      const noCreate = JSON.parse((await cli(['job', 'preview', `${CONNECTION}-tasks-outbound`, '--json'])).stdout) as typeof preview;
      expect(noCreate.rows.find((r) => r.target['Subject'] === 'Fresh hub task')?.decision).toMatchObject({ action: 'skip', code: 'CREATE_DISABLED' });
    });
  });

  describe('preview (T9)', () => {
    it('shows the first 10 records mapped, each with what a run would do and why', async () => {
      const result = await cli(['job', 'preview', `${CONNECTION}-tasks-inbound`, '--json']);
      expect(result.stderr).toBe('');
      const preview = JSON.parse(result.stdout) as { validation: { ok: boolean }; rows: Array<{ source: string; target: Record<string, unknown>; decision: { action: string; code?: string } }> };
      expect(preview.validation.ok).toBe(true);
      expect(preview.rows).toHaveLength(10);
      for (const row of preview.rows) {
        expect(row.source).toMatch(/^00T[A-Za-z0-9]{15}$/);
        expect(row.target['externalId']).toBe(row.source.toLowerCase());
        // No account has been imported for this connection yet: every task waits for its parent (T11).
        expect(['skip', 'reject']).toContain(row.decision.action);
        if (row.decision.action === 'skip') expect(['PARENT_NOT_MATCHED', 'NO_PARENT']).toContain(row.decision.code);
      }
      const accounts = JSON.parse((await cli(['job', 'preview', `${CONNECTION}-accounts-inbound`, '--json'])).stdout) as typeof preview;
      expect(accounts.rows.map((r) => r.decision.action)).toEqual(Array(10).fill('create'));
      expect(accounts.rows[0]!.target).toEqual(expect.objectContaining({ name: expect.any(String), Tier: expect.stringMatching(/^Tier [123]$/), Products: expect.any(Array) }));
    });

    it('prints a readable preview', async () => {
      const result = await cli(['job', 'preview', `${CONNECTION}-accounts-inbound`]);
      expect(result.stdout).toMatch(/^001[A-Za-z0-9]{15}: CREATE$/m);
      expect(result.stdout).toMatch(/^ {4}name: ".+"$/m);
    });
  });
});

function writeTemp(content: unknown): string {
  const file = `${testStack.workDir}/edit-${Math.random().toString(36).slice(2)}.json`;
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}
