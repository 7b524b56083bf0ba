// Real-time write-back to Salesforce, end to end (W1-W9, W11-W14, P4): real Temporal dev server, PostgreSQL,
// two Salesforce sandboxes over HTTP with jsforce, the typed client and the CLI.
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { HubsyncClient } from '../../client/hubsync-client';
import { WriteBackRefusedError } from '../../client';
import { makeAccountWriteBackWorkflowId, type WriteBackOutcome, type WriteBackRequest } from '../../kernel/writeback';
import { runCli } from '../support/cli';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, importAccounts, loggedRequests, prefixedAccountsConfig, prefixedCrmAccountsConfig, prefixedHubSpotAccountsConfig, startFileWorker } from '../support/writeback';
import { startDynamicsFixture, type DynamicsFixture } from '../support/dynamics';
import { startHubSpotFixture, type HubSpotFixture } from '../support/hubspot';

jest.setTimeout(240000);

const A = 'wb-a';
const B = 'wb-b';
/** A HubSpot portal whose companies are hub accounts of their own (the owner re-point on HubSpot, W12). */
const HS = 'wb-hs';
/** A Dataverse environment whose accounts are hub accounts of their own (the owner re-point on Dataverse, W12). */
const DV = 'wb-dv';
const P = 'WB';

interface SfAccount {
  Id: string;
  Name: string;
  Tier__c: string | null;
  Products__c: string | null;
  Health_Score__c: number | null;
  OwnerId: string;
  Owner: { Email: string; Name: string; Phone: string | null };
}

describe('write-back', () => {
  const pool = testPool();
  let sfA: SalesforceFixture;
  let sfB: SalesforceFixture;
  let hs: HubSpotFixture;
  let dv: DynamicsFixture;
  let connA: SfConnection;
  let connB: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  /** An account both orgs hold (same name), so one hub account with two sources (W5). */
  let shared: { hubId: number; a: SfAccount; b: SfAccount };
  let seq = 0;

  const account = async (conn: SfConnection, id: string): Promise<SfAccount> =>
    (await conn.query<SfAccount>(`SELECT Id, Name, Tier__c, Products__c, Health_Score__c, OwnerId, Owner.Email, Owner.Name, Owner.Phone FROM Account WHERE Id = '${id}'`)).records[0] as SfAccount;
  const request = (changes: WriteBackRequest['changes'], extra: Partial<WriteBackRequest> = {}): WriteBackRequest => ({
    account: shared.hubId,
    changes,
    origin: 'account-profile',
    actor: 'csm@hub.example',
    requestId: `wb-test-${Date.now()}-${seq++}`,
    ...extra,
  });
  const bySource = (outcome: WriteBackOutcome, connectionId: string, attribute?: string) => {
    const found = outcome.sources.find((s) => s.connectionId === connectionId && (!attribute || s.attribute === attribute));
    if (!found) throw new Error(`no outcome for ${connectionId} ${attribute ?? ''}: ${JSON.stringify(outcome)}`);
    return found;
  };
  const hubValue = async (key: string, connectionId: string, accountId = shared.hubId) =>
    (await pool.query<{ value: unknown; crm_value: unknown }>(
      `SELECT v.value, v.crm_value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE d.key = $1 AND v.connection_id = $2 AND v.account_id = $3`,
      [key, connectionId, accountId],
    )).rows[0];
  /** The tables a refused request or switch must leave as they were. */
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all([
        pool.query('SELECT key, write_back_enabled FROM attribute_definitions ORDER BY key'),
        pool.query('SELECT attribute_id, connection_id, reference_mode, crm_describe FROM attribute_sources ORDER BY 1, 2'),
        pool.query('SELECT account_id, attribute_id, connection_id, value, crm_value FROM attribute_values WHERE connection_id = ANY($1) ORDER BY 1, 2, 3', [[A, B]]),
        pool.query('SELECT count(*) FROM write_back_log'),
        pool.query('SELECT count(*) FROM write_back_requests'),
      ]).then((results) => results.map((r) => r.rows)),
    );
  /** Resolves once the write-back's PATCH has left (its pending row is written just before it). */
  const patchUnderWay = async (requestId: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await pool.query(`SELECT 1 FROM write_back_log WHERE request_id = $1 AND outcome = 'pending'`, [requestId])).rowCount) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 200));
  };
  const patches = async (fixture: SalesforceFixture) => (await loggedRequests(fixture.admin, 'PATCH', '*')).length;
  const crmCalls = async (fixture: SalesforceFixture) => (await loggedRequests(fixture.admin, '', '/services/data/*')).length;

  beforeAll(async () => {
    const env = { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress };
    sfA = await startSalesforceFixture(pool, A, env);
    sfB = await startSalesforceFixture(pool, B, env);
    connA = new SfConnection({ instanceUrl: sfA.sandbox.url, accessToken: sfA.sandbox.accessToken(), version: '62.0' });
    connB = new SfConnection({ instanceUrl: sfB.sandbox.url, accessToken: sfB.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;
    const extra = [
      { crmField: 'LastModifiedDate', hubField: `${P} Last Modified`, hubFieldType: 'datetime' },
      { crmField: 'CSM_Email__c', hubField: `${P} Backup CSM`, hubFieldType: 'user' },
      { crmField: 'Description', hubField: `${P} Notes`, hubFieldType: 'text' },
      { crmField: 'Health_Band__c', hubField: `${P} Health Band`, hubFieldType: 'text' },
    ];
    await importAccounts(pool, hubsync, A, prefixedAccountsConfig(P, extra));
    await importAccounts(pool, hubsync, B, prefixedAccountsConfig(P, extra));
    hs = await startHubSpotFixture(pool, HS);
    await importAccounts(pool, hubsync, HS, prefixedHubSpotAccountsConfig(P));
    dv = await startDynamicsFixture(pool, DV);
    await importAccounts(pool, hubsync, DV, prefixedCrmAccountsConfig('dynamics', P));
    const a = (await connA.query<SfAccount>('SELECT Id, Name FROM Account ORDER BY Name LIMIT 1')).records[0] as SfAccount;
    const bId = (await connB.query<{ Id: string }>(`SELECT Id FROM Account WHERE Name = '${a.Name.replace(/'/g, "\\'")}'`)).records[0]?.Id as string;
    const hubId = await hubAccountOf(pool, A, a.Id);
    expect(await hubAccountOf(pool, B, bId)).toBe(hubId);
    shared = { hubId, a: await account(connA, a.Id), b: await account(connB, bId) };
    for (const key of ['wb_tier', 'wb_products', 'wb_health_score', 'wb_notes', 'wb_success_manager']) await hubsync.setAttributeWriteBack(key, { on: true });
  });
  afterAll(async () => {
    await stopWorker?.();
    await sfA?.close();
    await sfB?.close();
    await hs?.close();
    await dv?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  describe('the write-back switch (W1, W2)', () => {
    it('lists attributes with their kind, type, sources and reference mode', async () => {
      const attributes = await hubsync.listAttributes();
      const tier = attributes.find((x) => x.key === 'wb_tier');
      expect(tier).toMatchObject({ kind: 'attribute', valueType: 'single_select', writeBack: true });
      expect(tier?.sources.map((s) => [s.connectionId, s.crmObject, s.crmField, s.referenceMode, s.mappedBy])).toEqual([
        [A, 'Account', 'Tier__c', null, [`${A}-accounts`]],
        [B, 'Account', 'Tier__c', null, [`${B}-accounts`]],
      ]);
      const manager = attributes.find((x) => x.key === 'wb_success_manager');
      expect(manager).toMatchObject({ kind: 'account_assignment', valueType: 'user' });
      expect(manager?.sources[0]).toMatchObject({ crmField: 'Owner.Email', referenceMode: 'repoint' });
    });

    it('refuses a formula, a field that is not updateable, an unmapped attribute and a second account assignment, writing nothing', async () => {
      const before = await snapshot();
      await expect(hubsync.setAttributeWriteBack('wb_health_band', { on: true })).rejects.toThrow(/Account\.Health_Band__c is a formula field/);
      await expect(hubsync.setAttributeWriteBack('wb_last_modified', { on: true })).rejects.toThrow(/Account\.LastModifiedDate is not updateable/);
      await expect(hubsync.setAttributeWriteBack('wb_success_manager_name', { on: true, referenceMode: 'edit-referenced', connection: A })).rejects.toThrow(/User\.Name is not updateable/);
      await expect(hubsync.setAttributeWriteBack('no_such_attribute', { on: true })).rejects.toThrow(/No attribute 'no_such_attribute'/);
      // An attribute whose source no job maps any more (the hub kept it from an earlier mapping).
      await pool.query(`INSERT INTO attribute_definitions (key, label, kind, value_type) VALUES ('wb_orphan', 'WB Orphan', 'attribute', 'text') ON CONFLICT DO NOTHING`);
      await pool.query(`INSERT INTO attribute_sources (attribute_id, connection_id, crm_object, crm_field) SELECT id, $1, 'Account', 'Website' FROM attribute_definitions WHERE key = 'wb_orphan' ON CONFLICT DO NOTHING`, [A]);
      const orphanBefore = await snapshot();
      await expect(hubsync.setAttributeWriteBack('wb_orphan', { on: true })).rejects.toThrow(/not mapped to a field of any CRM connection/);
      expect(await snapshot()).toBe(orphanBefore);
      expect(before).not.toBe(orphanBefore);

      expect((await hubsync.listAttributes()).find((x) => x.key === 'wb_success_manager')?.writeBack).toBe(true);
      const afterFirst = await snapshot();
      const second = hubsync.setAttributeWriteBack('wb_backup_csm', { on: true });
      await expect(second).rejects.toThrow(/'wb_success_manager' .* has write-back on already; only one account assignment may \(W2\)/);
      expect(await snapshot()).toBe(afterFirst);
    });

    it('switches off and on through the CLI and shows it in `attribute list --json`', async () => {
      const env = { ...sfA.cliEnv };
      const writeBackOf = async () => ((JSON.parse((await runCli(['attribute', 'list', '--json'], env)).stdout) as Array<{ key: string; writeBack: boolean }>).find((x) => x.key === 'wb_account_key')?.writeBack);
      expect(await writeBackOf()).toBe(false);
      const on = await runCli(['attribute', 'write-back', 'wb_account_key', 'on'], env);
      expect(on.stderr).toBe('');
      expect(on.code).toBe(0);
      expect(on.stdout).toMatch(/Write-back for 'wb_account_key' is on/);
      expect(await writeBackOf()).toBe(true);
      const bad = await runCli(['attribute', 'write-back', 'wb_account_key', 'on', '--reference-mode', 'repoint'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--reference-mode applies to reference fields such as Owner.Email/);
      const off = await runCli(['attribute', 'write-back', 'wb_account_key', 'off'], env);
      expect(off.code).toBe(0);
      expect(await writeBackOf()).toBe(false);
    });
  });

  describe('writing back (W3, W5, W6)', () => {
    it('writes a picklist value to both orgs the attribute comes from, with the outcome per source', async () => {
      const target = shared.a.Tier__c === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const outcome = await hubsync.writeBack(request({ wb_tier: target }));
      expect(outcome.ok).toBe(true);
      expect(outcome.sources).toHaveLength(2);
      for (const [connectionId, sf] of [[A, shared.a], [B, shared.b]] as const) {
        expect(bySource(outcome, connectionId)).toMatchObject({ status: 'written', crmObject: 'Account', crmId: sf.Id, crmField: 'Tier__c', writtenField: 'Tier__c', valueBefore: sf.Tier__c, valueAfter: target, crmCalls: 2 });
        expect(await hubValue('wb_tier', connectionId)).toEqual({ value: target, crm_value: target });
      }
      expect((await account(connA, shared.a.Id)).Tier__c).toBe(target);
      expect((await account(connB, shared.b.Id)).Tier__c).toBe(target);
      const log = await pool.query(`SELECT origin, actor, outcome, previous_value, value_after FROM write_back_log WHERE request_id = $1 ORDER BY connection_id`, [outcome.requestId]);
      expect(log.rows).toEqual([
        { origin: 'account_profile', actor: 'csm@hub.example', outcome: 'written', previous_value: shared.a.Tier__c, value_after: target },
        { origin: 'account_profile', actor: 'csm@hub.example', outcome: 'written', previous_value: shared.b.Tier__c, value_after: target },
      ]);
      shared.a.Tier__c = target;
      shared.b.Tier__c = target;
    });

    it('writes a multi-value attribute as a;b and a number converted from text (W3); an equal value is unchanged', async () => {
      const outcome = await hubsync.writeBack(request({ wb_products: ['Engage', 'Analytics'], wb_health_score: '77' }, { origin: 'segment-inline' }));
      expect(outcome.ok).toBe(true);
      expect((await account(connA, shared.a.Id)).Products__c).toBe('Engage;Analytics');
      expect((await account(connB, shared.b.Id)).Health_Score__c).toBe(77);
      expect(await hubValue('wb_products', A)).toEqual({ value: ['Engage', 'Analytics'], crm_value: ['Engage', 'Analytics'] });
      const again = await hubsync.writeBack(request({ wb_products: ['Analytics', 'Engage'] }));
      expect(again.sources.map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
      expect(bySource(again, A).crmCalls).toBe(1);
    });

    it('refuses bad requests before any CRM call, listing every problem and writing nothing (W3, W8, W9)', async () => {
      await pool.query(`INSERT INTO attribute_definitions (key, label, kind, value_type, write_back_enabled) VALUES ('wb_manager_email', 'WB Manager Email', 'attribute', 'text', true) ON CONFLICT DO NOTHING`);
      await pool.query(`INSERT INTO attribute_sources (attribute_id, connection_id, crm_object, crm_field) SELECT id, $1, 'Account', 'Owner.Manager.Email' FROM attribute_definitions WHERE key = 'wb_manager_email' ON CONFLICT DO NOTHING`, [A]);
      await pool.query(`INSERT INTO attribute_values (account_id, attribute_id, connection_id, crm_field, value, crm_value) SELECT $1, id, $2, 'Owner.Manager.Email', '"x@y.z"', '"x@y.z"' FROM attribute_definitions WHERE key = 'wb_manager_email' ON CONFLICT DO NOTHING`, [shared.hubId, A]);
      const lonely = (await pool.query<{ id: string }>(`INSERT INTO accounts (name) VALUES ('No CRM source') RETURNING id`)).rows[0]?.id as string;
      const before = await snapshot();
      const callsBefore = [await crmCalls(sfA), await crmCalls(sfB)];
      // Nothing reaches Temporal either: the account's workflow gets no event, and none starts for another account.
      const historyLength = async () => (await hubsync.temporal.workflow.getHandle(makeAccountWriteBackWorkflowId(shared.hubId)).describe()).historyLength;
      const historyBefore = await historyLength();
      const cases: Array<[WriteBackRequest, RegExp]> = [
        [request({ wb_tier: 'Tier 9' }), /'Tier 9' is not a value of the restricted picklist Tier__c; allowed: Tier 1, Tier 2, Tier 3/],
        [request({ wb_products: ['Analytics', 'Telepathy'] }), /'Telepathy' is not a value of the restricted picklist Products__c/],
        [request({ wb_health_score: 'high' }), /Health_Score__c \(double\) takes a number, not 'high'/],
        [request({ wb_tier: ['Tier 1', 'Tier 2'] }), /takes one value, not a list of 2/],
        [request({ wb_manager_email: 'boss@x.example' }), /reference 2 levels deep.*\(W8\)/],
        [request({ wb_tier: 'Tier 1' }, { origin: 'segment-bulk-update' as never }), /not supported for bulk updates.*W9/],
        [{ ...request({ wb_tier: 'Tier 1' }), account: [shared.hubId, shared.hubId] as never }, /one account per request.*W9/],
        [request({ nope: 'x' }), /nope: no such attribute/],
        [request({ wb_success_manager_name: 'Someone' }), /write-back is off for this attribute/],
        [request({ wb_tier: 'Tier 1' }, { account: Number(lonely) }), /has no value of this attribute from any CRM connection/],
        [request({ wb_tier: 'Tier 1' }, { account: `${A}:001000000000000AAA` }), /no hub account is linked to 001000000000000AAA on connection 'wb-a'/],
        [request({ wb_success_manager: 'nobody-in-the-hub@example.com' }), /no hub user has the email/],
      ];
      for (const [req, message] of cases) {
        const refusal = hubsync.writeBack(req);
        await expect(refusal).rejects.toBeInstanceOf(WriteBackRefusedError);
        await expect(hubsync.writeBack(req)).rejects.toThrow(message);
      }
      // Several problems at once are all listed.
      await expect(hubsync.writeBack(request({ wb_tier: 'Tier 9', wb_health_score: 'high' }))).rejects.toThrow(/Tier 9[\s\S]*high/);
      expect(await snapshot()).toBe(before);
      expect([await crmCalls(sfA), await crmCalls(sfB)]).toEqual(callsBefore);
      expect(await historyLength()).toBe(historyBefore);
      await expect(hubsync.temporal.workflow.getHandle(makeAccountWriteBackWorkflowId(Number(lonely))).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });

    it('addresses the account as connection:crmId too, and records the origin (W4)', async () => {
      const outcome = await hubsync.writeBack(request({ wb_notes: 'Renewal at risk' }, { account: `${B}:${shared.b.Id}`, origin: 'task-completion' }));
      expect(outcome.accountId).toBe(shared.hubId);
      expect(outcome.sources.map((s) => s.status)).toEqual(['written', 'written']);
      const origins = await pool.query(`SELECT DISTINCT origin FROM write_back_log WHERE request_id = $1`, [outcome.requestId]);
      expect(origins.rows).toEqual([{ origin: 'task_completion' }]);
    });
  });

  describe('compare-and-set (W13)', () => {
    it('reports stale, with both values, when the CRM changed since the hub saw it; force writes', async () => {
      await connA.sobject('Account').update({ Id: shared.a.Id, Tier__c: 'Tier 3' });
      const target = shared.a.Tier__c === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const patchesBefore = await patches(sfA);
      const stale = await hubsync.writeBack(request({ wb_tier: target }));
      expect(stale.ok).toBe(false);
      expect(bySource(stale, A)).toMatchObject({ status: 'stale', valueBefore: 'Tier 3', hubLastSeen: shared.a.Tier__c, valueAfter: 'Tier 3' });
      expect(bySource(stale, A).message).toMatch(/changed since the hub last saw it/);
      expect(bySource(stale, B)).toMatchObject({ status: 'written', valueAfter: target });
      expect(await patches(sfA)).toBe(patchesBefore);
      expect((await account(connA, shared.a.Id)).Tier__c).toBe('Tier 3');
      expect(await hubValue('wb_tier', A)).toEqual({ value: shared.a.Tier__c, crm_value: shared.a.Tier__c });

      const forced = await hubsync.writeBack(request({ wb_tier: target }, { force: true }));
      expect(bySource(forced, A)).toMatchObject({ status: 'written', valueBefore: 'Tier 3', valueAfter: target });
      expect(bySource(forced, B)).toMatchObject({ status: 'unchanged' });
      expect((await account(connA, shared.a.Id)).Tier__c).toBe(target);
      shared.a.Tier__c = target;
      shared.b.Tier__c = target;
    });

    it('re-reads and decides again when the record changes between the read and the write (412)', async () => {
      const path = `/services/data/*/sobjects/Account/${shared.a.Id}`;
      // Another user edits another field while hubsync's PATCH is on its way: the PATCH's If-Unmodified-Since
      // fails (412); the re-read shows the tier still as the hub saw it, so the write is sent again.
      await sfA.admin('DELETE', '/__admin/requests');
      await sfA.admin('POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path, latencyMs: 1500, count: 1 });
      const target = shared.a.Tier__c === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const first = request({ wb_tier: target });
      const pending = hubsync.writeBack(first);
      await patchUnderWay(first.requestId as string);
      await sfA.admin('POST', '/__admin/clock', { advanceSeconds: 5 });
      await connA.sobject('Account').update({ Id: shared.a.Id, Website: 'https://example.com/edited-by-someone-else' });
      const outcome = await pending;
      expect(bySource(outcome, A)).toMatchObject({ status: 'written', valueAfter: target });
      // Ours answered 412 and was sent again (204); the other user's edit is the third PATCH.
      expect((await loggedRequests(sfA.admin, 'PATCH', path)).map((r) => r.status).sort()).toEqual([204, 204, 412]);
      expect((await account(connA, shared.a.Id)).Tier__c).toBe(target);
      shared.a.Tier__c = target;

      // This time the other user changes the tier itself: after the 412, the re-read makes it stale.
      await sfA.admin('DELETE', '/__admin/requests');
      await sfA.admin('POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path, latencyMs: 1500, count: 1 });
      const next = target === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const second = request({ wb_tier: next });
      const racing = hubsync.writeBack(second);
      await patchUnderWay(second.requestId as string);
      await sfA.admin('POST', '/__admin/clock', { advanceSeconds: 5 });
      await connA.sobject('Account').update({ Id: shared.a.Id, Tier__c: 'Tier 3' });
      const raced = await racing;
      expect(bySource(raced, A)).toMatchObject({ status: 'stale', valueBefore: target, valueAfter: 'Tier 3' });
      expect((await loggedRequests(sfA.admin, 'PATCH', path)).map((r) => r.status).sort()).toEqual([204, 412]);
      expect((await account(connA, shared.a.Id)).Tier__c).toBe('Tier 3');
      await hubsync.writeBack(request({ wb_tier: target }, { force: true }));
    });
  });

  describe('reference fields and account assignments (W7, W11, W12)', () => {
    const users = async (conn: SfConnection) => (await conn.query<{ Id: string; Email: string; Name: string; IsActive: boolean; Phone: string | null }>('SELECT Id, Email, Name, IsActive, Phone FROM User ORDER BY Email')).records;

    it('re-points the owner to the active User with the email, and micro-syncs Owner.Name and Owner.Phone (W11, W12)', async () => {
      const current = await account(connA, shared.a.Id);
      const next = (await users(connA)).find((u) => u.IsActive && u.Email !== current.Owner.Email && u.Email.includes('@hubsync.sandbox')) as { Id: string; Email: string; Name: string };
      await pool.query(`INSERT INTO hub_users (email) VALUES ($1) ON CONFLICT DO NOTHING`, [next.Email]);
      const outcome = await hubsync.writeBack(request({ wb_success_manager: next.Email }, { origin: 'user-profile' }));
      expect(outcome.ok).toBe(true);
      const a = bySource(outcome, A);
      expect(a).toMatchObject({ status: 'written', crmField: 'Owner.Email', writtenField: 'OwnerId', referenceMode: 'repoint', valueBefore: current.Owner.Email, valueAfter: next.Email });
      expect(a.crmCalls).toBeLessThanOrEqual(4);
      expect(a.refreshed.map((r) => [r.attribute, r.before, r.after])).toEqual([
        ['wb_success_manager_name', current.Owner.Name, next.Name],
        ['wb_success_manager_phone', current.Owner.Phone, null],
      ]);
      expect((await account(connA, shared.a.Id)).OwnerId).toBe(next.Id);
      expect((await account(connB, shared.b.Id)).Owner.Email).toBe(next.Email);
      expect(await hubValue('wb_success_manager_name', A)).toEqual({ value: next.Name, crm_value: next.Name });
      const assignment = await pool.query(
        `SELECT u.email, x.crm_value FROM account_assignments x JOIN attribute_definitions d ON d.id = x.attribute_id JOIN hub_users u ON u.id = x.user_id
          WHERE d.key = 'wb_success_manager' AND x.account_id = $1 AND x.connection_id = $2`,
        [shared.hubId, A],
      );
      expect(assignment.rows).toEqual([{ email: next.Email, crm_value: next.Email }]);
    });

    it("re-points a HubSpot company's owner to the owner with the hub user's email (W12 on HubSpot); an email no owner has is rejected", async () => {
      const [company] = (await hs.client.crm.companies.basicApi.getPage(1, undefined, ['hubspot_owner_id'])).results;
      const hubId = await hubAccountOf(pool, HS, company!.id);
      const owners = (await hs.client.crm.owners.ownersApi.getPage(undefined, undefined, 500)).results;
      const current = owners.find((o) => o.id === company!.properties['hubspot_owner_id'])!;
      const next = owners.find((o) => o.id !== current.id)!;
      await pool.query('INSERT INTO hub_users (email) VALUES ($1), ($2) ON CONFLICT DO NOTHING', [next.email, 'not-an-owner@hub.example']);
      const outcome = await hubsync.writeBack(request({ wb_success_manager: next.email! }, { account: hubId }));
      expect(outcome.sources).toHaveLength(1);
      expect(outcome.sources[0]).toMatchObject({ connectionId: HS, crmObject: 'companies', crmField: 'Owner.email', writtenField: 'hubspot_owner_id', referenceMode: 'repoint', status: 'written', valueBefore: current.email, valueAfter: next.email });
      expect((await hs.client.crm.companies.basicApi.getById(company!.id, ['hubspot_owner_id'])).properties['hubspot_owner_id']).toBe(next.id);
      const assigned = await pool.query<{ email: string }>(
        `SELECT u.email FROM account_assignments x JOIN attribute_definitions d ON d.id = x.attribute_id JOIN hub_users u ON u.id = x.user_id
          WHERE d.key = 'wb_success_manager' AND x.account_id = $1 AND x.connection_id = $2`,
        [hubId, HS],
      );
      expect(assigned.rows[0]?.email.toLowerCase()).toBe(next.email!.toLowerCase());

      const nobody = await hubsync.writeBack(request({ wb_success_manager: 'not-an-owner@hub.example' }, { account: hubId }));
      expect(nobody.sources[0]).toMatchObject({ status: 'rejected' });
      expect(nobody.sources[0]!.message).toMatch(/no active owners has email = "not-an-owner@hub.example"/);
      expect((await hs.client.crm.companies.basicApi.getById(company!.id, ['hubspot_owner_id'])).properties['hubspot_owner_id']).toBe(next.id);
    });

    it("re-points a Dataverse account's owner by binding ownerid to the system user with the hub user's email (W12 on Dataverse); a disabled user's email is rejected", async () => {
      type Account = { accountid: string; _ownerid_value: string };
      type User = { systemuserid: string; internalemailaddress: string; isdisabled: boolean };
      const [acct] = (await dv.client.retrieveMultiple({ collection: 'accounts', select: ['accountid', '_ownerid_value'], orderBy: ['name'], top: 1 })).value as Account[];
      const hubId = await hubAccountOf(pool, DV, acct!.accountid);
      const users = (await dv.client.retrieveAll({ collection: 'systemusers', select: ['systemuserid', 'internalemailaddress', 'isdisabled'] })).value as User[];
      const current = users.find((u) => u.systemuserid === acct!._ownerid_value)!;
      const next = users.find((u) => u.systemuserid !== current.systemuserid && !u.isdisabled && u.internalemailaddress.endsWith('@hubsync.sandbox'))!;
      const disabled = users.find((u) => u.isdisabled)!;
      await pool.query('INSERT INTO hub_users (email) VALUES ($1), ($2) ON CONFLICT DO NOTHING', [next.internalemailaddress, disabled.internalemailaddress]);
      const outcome = await hubsync.writeBack(request({ wb_success_manager: next.internalemailaddress }, { account: hubId }));
      expect(outcome.sources).toHaveLength(1);
      expect(outcome.sources[0]).toMatchObject({ connectionId: DV, crmObject: 'accounts', crmField: 'ownerid.internalemailaddress', writtenField: '_ownerid_value', referenceMode: 'repoint', status: 'written', valueBefore: current.internalemailaddress, valueAfter: next.internalemailaddress });
      const owner = async () => ((await dv.client.retrieve({ collection: 'accounts', key: acct!.accountid, select: ['_ownerid_value'] })) as Account)._ownerid_value;
      expect(await owner()).toBe(next.systemuserid);

      const nobody = await hubsync.writeBack(request({ wb_success_manager: disabled.internalemailaddress }, { account: hubId }));
      expect(nobody.sources[0]).toMatchObject({ status: 'rejected' });
      expect(await owner()).toBe(next.systemuserid);
    });

    it('rejects a re-point when no active User or several Users have the email, writing nothing', async () => {
      const inactive = (await users(connA)).find((u) => !u.IsActive) as { Email: string };
      await pool.query(`INSERT INTO hub_users (email) VALUES ($1), ('twice@hub.example') ON CONFLICT DO NOTHING`, [inactive.Email]);
      const before = (await account(connA, shared.a.Id)).OwnerId;
      const none = await hubsync.writeBack(request({ wb_success_manager: inactive.Email }));
      expect(bySource(none, A)).toMatchObject({ status: 'rejected', writtenField: null });
      expect(bySource(none, A).message).toMatch(/no active User has Email = .* cannot be re-pointed/);
      // Emails need not be unique in Salesforce: two active users share one in org B.
      for (const last of ['One', 'Two']) {
        await connB.sobject('User').create({ LastName: last, Username: `twice-${last.toLowerCase()}@hub.example`, Email: 'twice@hub.example', Alias: last.slice(0, 3), TimeZoneSidKey: 'GMT', LocaleSidKey: 'en_US', EmailEncodingKey: 'UTF-8', LanguageLocaleKey: 'en_US' });
      }
      const several = await hubsync.writeBack(request({ wb_success_manager: 'twice@hub.example' }));
      expect(bySource(several, B).status).toBe('rejected');
      expect(bySource(several, B).message).toMatch(/several User records have Email = "twice@hub.example"/);
      expect((await account(connA, shared.a.Id)).OwnerId).toBe(before);
    });

    it('edits the field on the referenced record in edit-referenced mode (W7)', async () => {
      await hubsync.setAttributeWriteBack('wb_success_manager_phone', { on: true, referenceMode: 'edit-referenced', connection: A });
      await hubsync.setAttributeWriteBack('wb_success_manager_phone', { on: true, referenceMode: 'edit-referenced', connection: B });
      const listed = (await hubsync.listAttributes()).find((x) => x.key === 'wb_success_manager_phone');
      expect(listed?.sources.map((s) => s.referenceMode)).toEqual(['edit-referenced', 'edit-referenced']);
      const owner = (await account(connA, shared.a.Id)).OwnerId;
      const outcome = await hubsync.writeBack(request({ wb_success_manager_phone: '+1 415 555 0100' }));
      expect(bySource(outcome, A)).toMatchObject({ status: 'written', writtenField: 'User.Phone', referenceMode: 'edit-referenced', valueAfter: '+1 415 555 0100' });
      const user = (await connA.query<{ Phone: string }>(`SELECT Phone FROM User WHERE Id = '${owner}'`)).records[0];
      expect(user?.Phone).toBe('+1 415 555 0100');
      expect((await account(connA, shared.a.Id)).OwnerId).toBe(owner);
    });
  });

  describe('idempotence and faults (W14)', () => {
    it('never writes twice for one request ID, and refuses the ID for other changes', async () => {
      const target = shared.a.Tier__c === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const req = request({ wb_tier: target });
      const before = await patches(sfA);
      const first = await hubsync.writeBack(req);
      const second = await hubsync.writeBack(req);
      expect(first.replayed).toBe(false);
      expect(second).toEqual({ ...first, replayed: true });
      expect((await patches(sfA)) - before).toBe(1);
      await expect(hubsync.writeBack({ ...req, changes: { wb_tier: 'Tier 3' } })).rejects.toThrow(/was used already for other changes/);
      shared.a.Tier__c = target;
      // Several changes: a retry is the same request whatever order the store keeps their keys in.
      const two = request({ wb_health_score: 55, wb_tier: target === 'Tier 1' ? 'Tier 2' : 'Tier 1' });
      const firstOfTwo = await hubsync.writeBack(two);
      expect(await hubsync.writeBack(two)).toEqual({ ...firstOfTwo, replayed: true });
      shared.a.Tier__c = two.changes['wb_tier'] as string;
      shared.b.Tier__c = shared.a.Tier__c;
    });

    it('retries a 503 and UNABLE_TO_LOCK_ROW on the PATCH inside the call, writing once', async () => {
      const path = `/services/data/*/sobjects/Account/${shared.a.Id}`;
      await sfA.admin('DELETE', '/__admin/requests');
      await sfA.admin('POST', '/__admin/faults', { kind: 'http', method: 'PATCH', path, status: 503, count: 1 });
      const first = await hubsync.writeBack(request({ wb_notes: 'after a 503' }));
      expect(bySource(first, A)).toMatchObject({ status: 'written' });
      expect((await loggedRequests(sfA.admin, 'PATCH', path)).map((r) => r.status)).toEqual([503, 204]);

      await sfA.admin('DELETE', '/__admin/requests');
      await sfA.admin('POST', '/__admin/faults', { kind: 'recordLock', object: 'Account', operations: ['update'], count: 1 });
      const second = await hubsync.writeBack(request({ wb_notes: 'after a lock' }));
      expect(bySource(second, A)).toMatchObject({ status: 'written' });
      expect((await loggedRequests(sfA.admin, 'PATCH', path)).map((r) => r.status)).toEqual([400, 204]);
      expect((await connA.query<{ Description: string }>(`SELECT Description FROM Account WHERE Id = '${shared.a.Id}'`)).records[0]?.Description).toBe('after a lock');
    });

    it('refreshes an expired access token in the middle of a write-back and writes once', async () => {
      await sfA.admin('DELETE', '/__admin/requests');
      await sfA.admin('POST', '/__admin/tokens/expire');
      const outcome = await hubsync.writeBack(request({ wb_notes: 'after a token refresh' }));
      expect(bySource(outcome, A)).toMatchObject({ status: 'written' });
      const seen = ((await sfA.admin('GET', '/__admin/requests')) as { requests: Array<{ method: string; path: string; status: number }> }).requests;
      expect(seen.some((r) => r.status === 401)).toBe(true);
      expect(seen.some((r) => r.method === 'POST' && r.path.endsWith('/oauth2/token') && r.status === 200)).toBe(true);
      expect(seen.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([204]);
      // The test's own direct connection had its token expired too.
      connA = new SfConnection({ instanceUrl: sfA.sandbox.url, accessToken: sfA.sandbox.accessToken(), version: '62.0' });
    });

    it('reports failed for a CRM that stays down and still writes the other source, within the budget', async () => {
      await sfB.admin('POST', '/__admin/faults', { kind: 'http', path: '/services/data/*', status: 503 });
      try {
        const started = Date.now();
        const outcome = await hubsync.writeBack(request({ wb_notes: 'while B is down' }));
        expect(Date.now() - started).toBeLessThan(35_000);
        expect(bySource(outcome, A)).toMatchObject({ status: 'written' });
        expect(bySource(outcome, B).status).toBe('failed');
        expect(bySource(outcome, B).message).toMatch(/gave up after \d+ attempt\(s\) within the 20 s budget/);
        const log = await pool.query(`SELECT connection_id, outcome FROM write_back_log WHERE request_id = $1 ORDER BY 1`, [outcome.requestId]);
        expect(log.rows).toEqual([{ connection_id: A, outcome: 'written' }, { connection_id: B, outcome: 'failed' }]);
      } finally {
        await sfB.admin('DELETE', '/__admin/faults');
      }
    });
  });

  describe('the CLI', () => {
    it('prints a table per source and exits 0, 1 or 2', async () => {
      const env = sfA.cliEnv;
      const target = shared.a.Tier__c === 'Tier 1' ? 'Tier 2' : 'Tier 1';
      const ok = await runCli(['writeback', String(shared.hubId), '--set', `wb_tier=${target}`, '--set', 'wb_products=Insights', '--set', 'wb_products=Platform', '--actor', 'cli-test'], env);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/wb_tier\s+wb-a\s+Account\/\S+\s+Tier__c\s+written/);
      expect(ok.stdout).toMatch(/4 of 4 source\(s\) written or unchanged/);
      expect((await account(connB, shared.b.Id)).Products__c).toBe('Insights;Platform');
      shared.a.Tier__c = target;

      const refused = await runCli(['writeback', String(shared.hubId), '--set', 'wb_tier=Tier 9'], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/Write-back refused, nothing was written/);
      const malformed = await runCli(['writeback', String(shared.hubId), '--set', 'wb_tier'], env);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toMatch(/--set 'wb_tier' is not key=value/);

      await connA.sobject('Account').update({ Id: shared.a.Id, Tier__c: 'Tier 3' });
      const stale = await runCli(['writeback', `${A}:${shared.a.Id}`, '--set', `wb_tier=${target === 'Tier 1' ? 'Tier 2' : 'Tier 1'}`, '--json'], env);
      expect(stale.code).toBe(1);
      expect((JSON.parse(stale.stdout) as WriteBackOutcome).sources.find((s) => s.connectionId === A)?.status).toBe('stale');
    });
  });
});
