// Write-back to Dataverse and across all three CRMs, end to end (issue 13; W3, W5, W10, W13, W14 faults): real
// Temporal dev server, PostgreSQL, the Salesforce (jsforce), HubSpot (@hubspot/api-client) and Dataverse
// (dynamics-web-api) sandboxes over HTTP, the typed client. One hub account has a source in each CRM. (The owner
// re-point on Dataverse, an account assignment, is in writeback.test.ts: only one assignment may have write-back on.)
import { Connection as SfConnection } from 'jsforce';
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob } from '../../activities/jobs/configure';
import type { JobConfig } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import { WriteBackRefusedError } from '../../client';
import type { WriteBackOutcome, WriteBackRequest } from '../../kernel/writeback';
import { startDynamicsFixture, type DynamicsFixture } from '../support/dynamics';
import { startHubSpotFixture, type HubSpotFixture } from '../support/hubspot';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { hubAccountOf, loggedRequests, prefixedAccountsConfig, prefixedCrmAccountsConfig, startFileWorker } from '../support/writeback';

jest.setTimeout(300000);

const SF = 'wdv-sf';
const HS = 'wdv-hs';
const DV = 'wdv-dv';
const P = 'WDV';

/** Dataverse's template with this file's prefix, the demo org's option sets, and the account key. */
function dataverseConfig(): JobConfig {
  const config = prefixedCrmAccountsConfig('dynamics', P, [
    { crmField: 'name', hubField: `${P} Account Key`, hubFieldType: 'text' },
    { crmField: 'hubsync_tier', hubField: `${P} Tier`, hubFieldType: 'single_select' },
    { crmField: 'hubsync_products', hubField: `${P} Products`, hubFieldType: 'multi_select' },
    { crmField: 'numberofemployees', hubField: `${P} Employees`, hubFieldType: 'number' },
  ]);
  config.matchAccountsBy = `${P} Account Key`;
  return config;
}

function hubspotConfig(): JobConfig {
  const config = prefixedCrmAccountsConfig('hubspot', P, [
    { crmField: 'name', hubField: `${P} Account Key`, hubFieldType: 'text' },
    { crmField: 'tier', hubField: `${P} Tier`, hubFieldType: 'single_select' },
  ]);
  config.matchAccountsBy = `${P} Account Key`;
  return config;
}

interface Options {
  tier: Map<string, number>;
  products: Map<string, number>;
}

describe('write-back to Dataverse and across the three CRMs', () => {
  const pool = testPool();
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dv: DynamicsFixture;
  let sfConn: SfConnection;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let shared: { hubId: number; sfId: string; hsId: string; dvId: string };
  let options: Options;
  let seq = 0;

  const request = (changes: WriteBackRequest['changes'], extra: Partial<WriteBackRequest> = {}): WriteBackRequest => ({
    account: shared.hubId,
    changes,
    origin: 'account-profile',
    actor: 'csm@hub.example',
    requestId: `wdv-${Date.now()}-${seq++}`,
    ...extra,
  });
  const bySource = (outcome: WriteBackOutcome, connectionId: string, attribute?: string) => {
    const found = outcome.sources.find((s) => s.connectionId === connectionId && (!attribute || s.attribute === attribute));
    if (!found) throw new Error(`no outcome for ${connectionId} ${attribute ?? ''}: ${JSON.stringify(outcome)}`);
    return found;
  };
  const row = async () => (await dv.client.retrieve({ collection: 'accounts', key: shared.dvId, select: ['hubsync_tier', 'hubsync_products', 'numberofemployees', 'websiteurl', 'versionnumber'] })) as Record<string, unknown>;
  const accountPath = () => `/api/data/v9.2/accounts(${shared.dvId})`;
  /** The PATCHes of the shared row Dataverse answered, by status. */
  const patches = async () => (await loggedRequests(dv.admin, 'PATCH', accountPath())).map((r) => r.status);
  const sfTier = async () => (await sfConn.query<{ Tier__c: string }>(`SELECT Tier__c FROM Account WHERE Id = '${shared.sfId}'`)).records[0]?.Tier__c;
  const hubValue = async (key: string, connectionId: string) =>
    (await pool.query(`SELECT v.value, v.crm_value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE d.key = $1 AND v.connection_id = $2 AND v.account_id = $3`, [key, connectionId, shared.hubId])).rows[0];
  /** Waits until the write-back's PATCH is held by the sandbox (the row read done, the PATCH in flight). */
  const patchInFlight = async () => {
    for (let i = 0; i < 200; i++) {
      const read = (await loggedRequests(dv.admin, 'GET', accountPath())).length > 0;
      if (read && (await dv.admin<{ inFlight: number }>('GET', '/__admin/limits')).inFlight > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the PATCH never got under way');
  };

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, SF, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    hs = await startHubSpotFixture(pool, HS, { searchPerSecond: 100, rateLimits: { searchPerSecond: 100 } });
    dv = await startDynamicsFixture(pool, DV);
    sfConn = new SfConnection({ instanceUrl: sf.sandbox.url, accessToken: sf.sandbox.accessToken(), version: '62.0' });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    stopWorker = (await startFileWorker(pool)).stop;

    const meta = async (cast: string) =>
      (await dv.client.retrieveAttributes({ entityKey: "LogicalName='account'", castType: cast, select: ['LogicalName'], expand: [{ property: 'OptionSet', select: ['Options'] }] })).value as Array<{ LogicalName: string; OptionSet: { Options: Array<{ Value: number; Label: { UserLocalizedLabel: { Label: string } } }> } }>;
    const optionsOf = (attrs: Awaited<ReturnType<typeof meta>>, name: string) => new Map(attrs.find((a) => a.LogicalName === name)!.OptionSet.Options.map((o) => [o.Label.UserLocalizedLabel.Label, o.Value]));
    options = {
      tier: optionsOf(await meta('Microsoft.Dynamics.CRM.PicklistAttributeMetadata'), 'hubsync_tier'),
      products: optionsOf(await meta('Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata'), 'hubsync_products'),
    };

    // The Salesforce account, a HubSpot company and a Dataverse account of the same name: one hub account, three sources (W5).
    const sfAccount = (await sfConn.query<{ Id: string; Name: string; Tier__c: string }>('SELECT Id, Name, Tier__c FROM Account ORDER BY Name LIMIT 1')).records[0]!;
    const company = await hs.client.crm.companies.basicApi.create({ properties: { name: sfAccount.Name, tier: sfAccount.Tier__c }, associations: [] });
    const dvId = String(await dv.client.create<Record<string, unknown>, string>({ collection: 'accounts', data: { name: sfAccount.Name, accountnumber: 'WDV-1', hubsync_tier: options.tier.get(sfAccount.Tier__c), hubsync_products: String(options.products.get('Platform')), numberofemployees: 120 } })).toLowerCase();
    for (const [id, connectionId, config] of [
      [`${SF}-accounts`, SF, prefixedAccountsConfig(P)],
      [`${HS}-accounts`, HS, hubspotConfig()],
      [`${DV}-accounts`, DV, dataverseConfig()],
    ] as const) {
      await createValidatedJob(pool, testSecretBox, { id, connectionId, config });
      await hubsync.runJob(id, 'full');
    }
    const hubId = await hubAccountOf(pool, SF, sfAccount.Id);
    expect(await hubAccountOf(pool, HS, company.id)).toBe(hubId);
    expect(await hubAccountOf(pool, DV, dvId)).toBe(hubId);
    shared = { hubId, sfId: sfAccount.Id, hsId: company.id, dvId };
    for (const key of ['wdv_tier', 'wdv_products', 'wdv_employees', 'wdv_website']) await hubsync.setAttributeWriteBack(key, { on: true });
  });
  afterAll(async () => {
    await stopWorker?.();
    await sf?.close();
    await hs?.close();
    await dv?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('W5 across all three CRMs: one write-back of one attribute gives three outcomes, the option-set label written as its value', async () => {
    const target = (await sfTier()) === 'Tier 1' ? 'Tier 2' : 'Tier 1';
    const outcome = await hubsync.writeBack(request({ wdv_tier: target }));
    expect(outcome.ok).toBe(true);
    expect(outcome.sources.map((s) => s.connectionId).sort()).toEqual([DV, HS, SF].sort());
    expect(bySource(outcome, SF)).toMatchObject({ status: 'written', crmField: 'Tier__c', valueAfter: target });
    expect(bySource(outcome, HS)).toMatchObject({ status: 'written', crmField: 'tier', valueAfter: target });
    // Dataverse: the row read (values and version), then one PATCH with If-Match on that version.
    expect(bySource(outcome, DV)).toMatchObject({ status: 'written', crmObject: 'accounts', crmId: shared.dvId, crmField: 'hubsync_tier', valueAfter: target, crmCalls: 2 });
    expect((await row())['hubsync_tier']).toBe(options.tier.get(target));
    expect(await hubValue('wdv_tier', DV)).toEqual({ value: target, crm_value: target });
    const ifMatch = (await dv.admin<{ requests: Array<{ method: string; path: string; ifMatch?: string; headers?: Record<string, string> }> }>('GET', `/__admin/requests?method=PATCH&path=${encodeURIComponent(accountPath())}`)).requests.at(-1);
    expect(JSON.stringify(ifMatch)).toMatch(/W\/\\"\d+\\"/);
  });

  it('writes a multi-select as the comma-separated option values, a number and text; an equal value is unchanged (W3)', async () => {
    const outcome = await hubsync.writeBack(request({ wdv_products: ['Engage', 'Analytics'], wdv_employees: '250', wdv_website: 'https://renamed.example.com' }));
    expect(outcome.sources.filter((s) => s.connectionId === DV).map((s) => [s.attribute, s.status]).sort()).toEqual([
      ['wdv_employees', 'written'],
      ['wdv_products', 'written'],
      ['wdv_website', 'written'],
    ]);
    const now = await row();
    expect(String(now['hubsync_products']).split(',').map(Number).sort()).toEqual([options.products.get('Engage'), options.products.get('Analytics')].sort());
    expect(now).toMatchObject({ numberofemployees: 250, websiteurl: 'https://renamed.example.com' });
    expect((await hubValue('wdv_products', DV))?.value).toEqual(expect.arrayContaining(['Engage', 'Analytics']));

    const before = (await patches()).length;
    const again = await hubsync.writeBack(request({ wdv_products: ['Analytics', 'Engage'], wdv_employees: 250 }));
    expect(again.sources.filter((s) => s.connectionId === DV).map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
    expect((await patches()).length).toBe(before);
  });

  it('refuses an option-set label that does not exist before any CRM call (W3)', async () => {
    const before = (await patches()).length;
    const refused = hubsync.writeBack(request({ wdv_products: ['Engage', 'Teleportation'] }));
    await expect(refused).rejects.toBeInstanceOf(WriteBackRefusedError);
    await expect(refused).rejects.toThrow(/'Teleportation' is not a value of the restricted picklist hubsync_products/);
    expect((await patches()).length).toBe(before);
  });

  it('compare-and-set is If-Match on the row version: a change between the read and the PATCH is a 412, re-read and decided again (W13)', async () => {
    // Another user edits another column while hubsync's PATCH is held in flight: the PATCH's If-Match fails (412);
    // the re-read shows employees still as the hub saw them, so the write is sent again with the new version.
    await dv.admin('DELETE', '/__admin/requests');
    await dv.admin('POST', '/__admin/faults', { method: 'PATCH', path: accountPath(), latencyMs: 1500, count: 1 });
    const first = hubsync.writeBack(request({ wdv_employees: 300 }));
    await patchInFlight();
    await dv.client.update({ collection: 'accounts', key: shared.dvId, data: { description: 'edited by someone else' } });
    const outcome = await first;
    expect(bySource(outcome, DV)).toMatchObject({ status: 'written', valueAfter: 300 });
    expect((await patches()).sort()).toEqual([204, 204, 412]);
    expect((await row())['numberofemployees']).toBe(300);

    // This time the other user changes the value itself: after the 412, the re-read makes it stale, both values shown.
    await dv.admin('DELETE', '/__admin/requests');
    await dv.admin('POST', '/__admin/faults', { method: 'PATCH', path: accountPath(), latencyMs: 1500, count: 1 });
    const second = hubsync.writeBack(request({ wdv_employees: 310 }));
    await patchInFlight();
    await dv.client.update({ collection: 'accounts', key: shared.dvId, data: { numberofemployees: 999 } });
    const raced = await second;
    expect(bySource(raced, DV)).toMatchObject({ status: 'stale', valueBefore: 300, valueAfter: 999 });
    expect((await patches()).sort()).toEqual([204, 412]);
    expect((await row())['numberofemployees']).toBe(999);

    const forced = await hubsync.writeBack(request({ wdv_employees: 310 }, { force: true }));
    expect(bySource(forced, DV)).toMatchObject({ status: 'written', valueBefore: 999, valueAfter: 310 });
  });

  it("waits a 429's Retry-After inside the call's budget and writes once", async () => {
    await dv.admin('DELETE', '/__admin/requests');
    await dv.admin('POST', '/__admin/faults', { method: 'PATCH', path: accountPath(), status: 429, retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    const outcome = await hubsync.writeBack(request({ wdv_employees: 320 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(bySource(outcome, DV)).toMatchObject({ status: 'written', valueAfter: 320 });
    expect(await patches()).toEqual([429, 204]);
  });

  it('a Retry-After longer than the budget is failed at once with the reason, and the other CRMs are still written', async () => {
    await dv.admin('POST', '/__admin/faults', { method: 'PATCH', path: accountPath(), status: 429, retryAfterSeconds: 120, count: 5 });
    try {
      const started = Date.now();
      const target = (await sfTier()) === 'Tier 3' ? 'Tier 1' : 'Tier 3';
      const outcome = await hubsync.writeBack(request({ wdv_tier: target }));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(bySource(outcome, SF)).toMatchObject({ status: 'written', valueAfter: target });
      expect(bySource(outcome, HS)).toMatchObject({ status: 'written', valueAfter: target });
      expect(bySource(outcome, DV).status).toBe('failed');
      expect(bySource(outcome, DV).message).toMatch(/asks to wait 120 s/);
    } finally {
      await dv.admin('DELETE', '/__admin/faults');
    }
  });

  it('gets a new token when the cached one has expired for Dataverse in the middle of a write-back, and writes once', async () => {
    // An hour and more passes on Dataverse's clock: the token the worker's session holds (3,599 s) is expired there.
    await dv.admin('POST', '/__admin/clock', { advanceSeconds: 3700 });
    await dv.admin('DELETE', '/__admin/requests');
    const outcome = await hubsync.writeBack(request({ wdv_employees: 330 }));
    expect(bySource(outcome, DV)).toMatchObject({ status: 'written', valueAfter: 330 });
    const gets = await loggedRequests(dv.admin, 'GET', accountPath());
    expect(gets.map((r) => r.status)).toEqual([401, 200]);
    expect(await patches()).toEqual([204]);
  });
});
