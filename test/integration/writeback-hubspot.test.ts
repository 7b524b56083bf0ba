// Write-back to HubSpot and across CRMs, end to end (issue 12; W3, W5, W6, W13, W14 faults): real Temporal dev
// server, PostgreSQL, a Salesforce sandbox (jsforce) and a HubSpot sandbox (@hubspot/api-client) over HTTP, the
// typed client. One hub account has a Salesforce account and a HubSpot company as sources. (The owner
// re-point on HubSpot, an account assignment, is in writeback.test.ts: only one assignment may have write-back on.)
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import type { JobConfig } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { WriteBackRefusedError } from '../../client';
import type { WriteBackOutcome, WriteBackRequest } from '../../kernel/writeback';
import { hubspotRequests, startHubSpotFixture, type HubSpotFixture } from '../support/hubspot';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, prefixedAccountsConfig, prefixedHubSpotAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(300000);

const SF = 'whs-sf';
const HS = 'whs-hs';
const P = 'WHS';

/** HubSpot's template with this file's prefix, the demo portal's select properties, and the account key. */
function hubspotConfig(): JobConfig {
  const config = prefixedHubSpotAccountsConfig(P, [
    { crmField: 'name', hubField: `${P} Account Key`, hubFieldType: 'text' },
    { crmField: 'tier', hubField: `${P} Tier`, hubFieldType: 'single_select' },
    { crmField: 'products', hubField: `${P} Products`, hubFieldType: 'multi_select' },
    { crmField: 'numberofemployees', hubField: `${P} Employees`, hubFieldType: 'number' },
    { crmField: 'segment', hubField: `${P} Segment`, hubFieldType: 'single_select' },
  ]);
  config.matchAccountsBy = `${P} Account Key`;
  return config;
}

describe('write-back to HubSpot and across CRMs', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let sfConn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let shared: { hubId: number; sfId: string; hsId: string };
  let seq = 0;

  const request = (changes: WriteBackRequest['changes'], extra: Partial<WriteBackRequest> = {}): WriteBackRequest => ({
    account: shared.hubId,
    changes,
    origin: 'account-profile',
    actor: 'csm@hub.example',
    requestId: `whs-${Date.now()}-${seq++}`,
    ...extra,
  });
  const bySource = (outcome: WriteBackOutcome, connectionId: string, attribute?: string) => {
    const found = outcome.sources.find((s) => s.connectionId === connectionId && (!attribute || s.attribute === attribute));
    if (!found) throw new Error(`no outcome for ${connectionId} ${attribute ?? ''}: ${JSON.stringify(outcome)}`);
    return found;
  };
  const company = async () => (await hs.client.crm.companies.basicApi.getById(shared.hsId, ['tier', 'products', 'numberofemployees', 'domain', 'segment', 'hs_lastmodifieddate'])).properties;
  const sfTier = async () => (await sfConn.query<{ Tier__c: string }>(`SELECT Tier__c FROM Account WHERE Id = '${shared.sfId}'`)).records[0]?.Tier__c;
  const hubValue = async (key: string, connectionId: string) =>
    (await pool.query(`SELECT v.value, v.crm_value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE d.key = $1 AND v.connection_id = $2 AND v.account_id = $3`, [key, connectionId, shared.hubId])).rows[0];
  /** PATCHes HubSpot applied (a 429 answer applies nothing). */
  const patches = async () => (await hubspotRequests(hs, 'PATCH', '/crm/v3/objects/companies/*')).filter((r) => r.status === 200).length;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, SF, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    hs = await startHubSpotFixture(pool, HS, { searchPerSecond: 100, rateLimits: { searchPerSecond: 100 } });
    sfConn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;

    // A HubSpot-only property with options of its own (HubSpot's option check, W3).
    await hs.admin('POST', '/__admin/properties', { name: 'segment', type: 'enumeration', options: ['SMB', 'Enterprise'] });
    // The Salesforce account and a HubSpot company of the same name: one hub account with two sources (W5).
    const sfAccount = (await sfConn.query<{ Id: string; Name: string; Tier__c: string }>('SELECT Id, Name, Tier__c FROM Account ORDER BY Name LIMIT 1')).records[0]!;
    const created = await hs.client.crm.companies.basicApi.create({ properties: { name: sfAccount.Name, domain: 'shared.example.com', tier: sfAccount.Tier__c, products: 'Platform', numberofemployees: '120', segment: 'SMB' }, associations: [] });
    await createValidatedJob(pool, testSecretBox, { id: `${SF}-accounts`, connectionId: SF, config: prefixedAccountsConfig(P) });
    await hubsync.runJob(`${SF}-accounts`, 'full');
    await createValidatedJob(pool, testSecretBox, { id: `${HS}-accounts`, connectionId: HS, config: hubspotConfig() });
    await hubsync.runJob(`${HS}-accounts`, 'full');
    const hubId = await hubAccountOf(pool, SF, sfAccount.Id);
    expect(await hubAccountOf(pool, HS, created.id)).toBe(hubId);
    shared = { hubId, sfId: sfAccount.Id, hsId: created.id };
    for (const key of ['whs_tier', 'whs_products', 'whs_employees', 'whs_domain', 'whs_segment']) await hubsync.setAttributeWriteBack(key, { on: true });
  });
  afterAll(async () => {
    await stopWorker?.();
    await sf?.close();
    await hs?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('W5 across CRMs: one write-back of one attribute writes the Salesforce account and the HubSpot company, one outcome each', async () => {
    const target = (await sfTier()) === 'Tier 1' ? 'Tier 2' : 'Tier 1';
    const outcome = await hubsync.writeBack(request({ whs_tier: target }));
    expect(outcome.ok).toBe(true);
    expect(outcome.sources).toHaveLength(2);
    expect(bySource(outcome, SF)).toMatchObject({ status: 'written', crmObject: 'Account', crmField: 'Tier__c', valueAfter: target });
    // HubSpot: read (value + hs_lastmodifieddate), the check right before the PATCH, the PATCH.
    expect(bySource(outcome, HS)).toMatchObject({ status: 'written', crmObject: 'companies', crmId: shared.hsId, crmField: 'tier', writtenField: 'tier', valueAfter: target, crmCalls: 3 });
    expect(await sfTier()).toBe(target);
    expect((await company())['tier']).toBe(target);
    expect(await hubValue('whs_tier', HS)).toEqual({ value: target, crm_value: target });
  });

  it('writes text, a number, a single select and a multi-select (as a;b) to HubSpot; an equal value is unchanged (W3)', async () => {
    const outcome = await hubsync.writeBack(request({ whs_domain: 'renamed.example.com', whs_employees: '250', whs_segment: 'Enterprise', whs_products: ['Engage', 'Analytics'] }));
    expect(outcome.ok).toBe(true);
    expect(outcome.sources.map((s) => [s.attribute, s.status])).toEqual(
      expect.arrayContaining([['whs_domain', 'written'], ['whs_employees', 'written'], ['whs_segment', 'written'], ['whs_products', 'written']]),
    );
    const now = await company();
    expect(now).toMatchObject({ domain: 'renamed.example.com', numberofemployees: '250', segment: 'Enterprise', products: 'Engage;Analytics' });
    expect(await hubValue('whs_products', HS)).toEqual({ value: ['Engage', 'Analytics'], crm_value: ['Engage', 'Analytics'] });
    expect(await hubValue('whs_employees', HS)).toEqual({ value: 250, crm_value: 250 });

    const before = await patches();
    const again = await hubsync.writeBack(request({ whs_products: ['Analytics', 'Engage'], whs_segment: 'Enterprise' }));
    expect(again.sources.filter((s) => s.connectionId === HS).map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
    expect(await patches()).toBe(before);
  });

  it("refuses a value that is not one of the HubSpot property's options before any CRM call (W3)", async () => {
    const before = await patches();
    const refused = hubsync.writeBack(request({ whs_segment: 'Mid-Market' }));
    await expect(refused).rejects.toBeInstanceOf(WriteBackRefusedError);
    await expect(refused).rejects.toThrow(/'Mid-Market' is not a value of the restricted picklist segment; allowed: SMB, Enterprise/);
    expect(await patches()).toBe(before);
  });

  it('compare-and-set: a value changed in HubSpot since the hub saw it is stale, with both values; force writes it (W13)', async () => {
    await hs.client.crm.companies.basicApi.update(shared.hsId, { properties: { segment: 'SMB' } });
    const stale = await hubsync.writeBack(request({ whs_segment: 'Enterprise', whs_employees: 300 }));
    expect(bySource(stale, HS, 'whs_segment')).toMatchObject({ status: 'stale', hubLastSeen: 'Enterprise', valueBefore: 'SMB' });
    expect(bySource(stale, HS, 'whs_segment').message).toMatch(/changed since the hub last saw it/);
    expect(bySource(stale, HS, 'whs_employees').status).toBe('written');
    expect((await company())['segment']).toBe('SMB');

    const forced = await hubsync.writeBack(request({ whs_segment: 'Enterprise' }, { force: true }));
    expect(bySource(forced, HS)).toMatchObject({ status: 'written', valueBefore: 'SMB', valueAfter: 'Enterprise' });
    expect((await company())['segment']).toBe('Enterprise');
  });

  it("retries HubSpot's secondly limit (429) inside the call and writes once", async () => {
    await hs.admin('POST', '/__admin/rate-limits', { secondly: 2, intervalMs: 1000 });
    try {
      const before = await patches();
      const outcome = await hubsync.writeBack(request({ whs_employees: 310 }));
      expect(bySource(outcome, HS)).toMatchObject({ status: 'written', valueAfter: 310 });
      expect(await patches()).toBe(before + 1);
      const limited = (await hubspotRequests(hs, '', '/crm/v3/*')).filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
    } finally {
      await hs.admin('POST', '/__admin/rate-limits', { secondly: 1000, intervalMs: 1000 });
    }
  });

  it('reports failed with the reason when the daily limit is reached, at once, and still writes Salesforce', async () => {
    await hs.admin('POST', '/__admin/rate-limits', { daily: 1 });
    try {
      const started = Date.now();
      const target = (await sfTier()) === 'Tier 1' ? 'Tier 3' : 'Tier 1';
      const outcome = await hubsync.writeBack(request({ whs_tier: target }));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(bySource(outcome, SF)).toMatchObject({ status: 'written', valueAfter: target });
      expect(bySource(outcome, HS).status).toBe('failed');
      expect(bySource(outcome, HS).message).toMatch(/daily limit/);
      expect(bySource(outcome, HS).crmMessage).toBe('DAILY_LIMIT');
    } finally {
      await hs.admin('POST', '/__admin/rate-limits', { daily: 500_000 });
    }
  });

  it('a HubSpot outage does not stop the Salesforce write: failed for HubSpot within the budget, written for Salesforce', async () => {
    await hs.admin('POST', '/__admin/faults', { path: '/crm/v3/*', status: 503, count: 1000 });
    try {
      const started = Date.now();
      const target = (await sfTier()) === 'Tier 2' ? 'Tier 3' : 'Tier 2';
      const outcome = await hubsync.writeBack(request({ whs_tier: target }));
      expect(Date.now() - started).toBeLessThan(35_000);
      expect(bySource(outcome, SF)).toMatchObject({ status: 'written', valueAfter: target });
      expect(bySource(outcome, HS).status).toBe('failed');
      expect(bySource(outcome, HS).message).toMatch(/gave up after \d+ attempt\(s\) within the 20 s budget/);
    } finally {
      await hs.admin('DELETE', '/__admin/faults');
    }
  });

  it('links a hub account to a HubSpot company by hand (`hubsync account link`), checking the company first', async () => {
    const other = (await hs.client.crm.companies.basicApi.create({ properties: { name: 'Linked by hand', tier: 'Tier 2' }, associations: [] })).id;
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO accounts (name) VALUES ('Hub-only account') RETURNING id`);
    const hubId = Number(rows[0]!.id);
    // This file's links and every link of the account: other test files link accounts of their own meanwhile.
    const links = async () =>
      (
        await pool.query(
          `SELECT connection_id, crm_object, crm_id, hub_id, last_inbound_hash FROM record_links
            WHERE hub_type = 'account' AND (connection_id = ANY($1) OR hub_id = $2) ORDER BY 1, 2, 3`,
          [[SF, HS], hubId],
        )
      ).rows;
    const before = await links();
    await expect(hubsync.linkAccount({ account: hubId, connectionId: HS, crmId: '999999999999' })).rejects.toThrow(/has no companies '999999999999'/);
    await expect(hubsync.linkAccount({ account: hubId, connectionId: HS, crmId: shared.hsId })).rejects.toThrow(/is hub account \d+'s already/);
    // A refused link changes no link.
    expect(await links()).toEqual(before);
    const linked = await hubsync.linkAccount({ account: hubId, connectionId: HS, crmId: other });
    expect(linked).toMatchObject({ unchanged: false, movedFrom: null, account: { id: hubId, sources: [{ connectionId: HS, crmObject: 'companies', crmId: other }] } });
    const run = await hubsync.runJob(`${HS}-accounts`, 'incremental');
    expect(run.stats.created).toBe(0);
    expect((await pool.query(`SELECT name FROM accounts WHERE id = $1`, [hubId])).rows[0]?.name).toBe('Linked by hand');
  });
});
