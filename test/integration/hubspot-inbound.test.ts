// HubSpot companies inbound as durable workflows, end to end (issue 12; T1, T8, T9, T19, T24, T25, W12 inbound):
// real Temporal dev server, PostgreSQL, the HubSpot sandbox over HTTP with @hubspot/api-client.
import { Client, Connection } from '@temporalio/client';
import { createValidatedJob, editValidatedJob, JobValidationError } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import type { JobRunResult, RunMode } from '../../kernel/runs';
import { hubspotRequests, startHubSpotFixture, type HubSpotFixture } from '../support/hubspot';
import { testSecretBox } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack, withWorker } from '../support/test-env';

jest.setTimeout(300000);

const C = 'hs-in';
const JOB = `${C}-accounts`;
const P = 'HSI';

/** The HubSpot accounts template, its attributes prefixed for this file, plus the demo portal's tier and products. */
function hubspotAccountsConfig(prefix: string): JobConfig {
  const config = configFromTemplate('accounts-inbound', 'hubspot');
  config.mapping = [
    ...config.mapping.map((r) => (r.key || r.hubField === 'Account Name' ? r : { ...r, hubField: `${prefix} ${r.hubField}` })),
    { crmField: 'tier', crmFieldType: 'enumeration', hubField: `${prefix} Tier`, hubFieldType: 'single_select', key: false },
    { crmField: 'products', crmFieldType: 'enumeration', hubField: `${prefix} Products`, hubFieldType: 'multi_select', key: false },
    { crmField: 'numberofemployees', crmFieldType: 'number', hubField: `${prefix} Employees`, hubFieldType: 'number', key: false },
  ];
  return config;
}

describe('HubSpot companies inbound', () => {
  const pool = testPool();
  let hs: HubSpotFixture;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;

  const run = (jobId: string, mode: RunMode = 'incremental'): Promise<JobRunResult> =>
    withWorker(pool, async () => (await hubsync.startRun(jobId, mode)).result(), { secretBox: () => testSecretBox });
  const hubAccount = async (connectionId: string, crmId: string) =>
    (await pool.query<{ id: string; name: string }>(`SELECT a.id, a.name FROM record_links l JOIN accounts a ON a.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'account' AND l.crm_id = $2`, [connectionId, crmId])).rows[0];
  const attribute = async (accountId: string, key: string) =>
    (await pool.query<{ value: unknown }>(`SELECT v.value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE v.account_id = $1 AND d.key = $2 AND v.connection_id = $3`, [accountId, key, C])).rows[0]?.value;
  const assignee = async (accountId: string, key: string) =>
    (await pool.query<{ email: string | null }>(
      `SELECT u.email FROM account_assignments a JOIN attribute_definitions d ON d.id = a.attribute_id LEFT JOIN hub_users u ON u.id = a.user_id WHERE a.account_id = $1 AND d.key = $2 AND a.connection_id = $3`,
      [accountId, key, C],
    )).rows[0]?.email;
  const jobRow = async (id: string) => (await pool.query('SELECT version, config FROM integration_jobs WHERE id = $1', [id])).rows[0];

  beforeAll(async () => {
    hs = await startHubSpotFixture(pool, C, { searchPerSecond: 100, rateLimits: { searchPerSecond: 100 } });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue() });
    await createValidatedJob(pool, testSecretBox, { id: JOB, connectionId: C, config: hubspotAccountsConfig(P) });
  });
  afterAll(async () => {
    await hs?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('imports every company with its name, domain, owner email (through the Owners API) and select properties (T1)', async () => {
    const companies = await hs.client.crm.companies.getAll(undefined, undefined, ['name', 'domain', 'hubspot_owner_id', 'tier', 'products', 'numberofemployees']);
    expect(companies.length).toBeGreaterThan(20);
    const result = await run(JOB, 'full');
    expect(result.stats).toMatchObject({ read: companies.length, created: companies.length, updated: 0, rejected: {} });

    const owners = (await hs.client.crm.owners.ownersApi.getPage(undefined, undefined, 500)).results;
    const sample = companies[0]!;
    const account = await hubAccount(C, sample.id);
    expect(account?.name).toBe(sample.properties['name']);
    expect(await attribute(account!.id, 'hsi_domain')).toBe(sample.properties['domain']);
    expect(await attribute(account!.id, 'hsi_tier')).toBe(sample.properties['tier']);
    expect(await attribute(account!.id, 'hsi_products')).toEqual(String(sample.properties['products']).split(';'));
    expect(await attribute(account!.id, 'hsi_employees')).toBe(Number(sample.properties['numberofemployees']));
    const owner = owners.find((o) => o.id === sample.properties['hubspot_owner_id']);
    expect(owner?.email).toBeTruthy();
    expect(await assignee(account!.id, 'hsi_success_manager')).toBe(owner!.email!.toLowerCase());

    // The attribute remembers where it came from, for write-back (W1).
    const source = await pool.query(`SELECT s.crm_object, s.crm_field FROM attribute_sources s JOIN attribute_definitions d ON d.id = s.attribute_id WHERE d.key = 'hsi_success_manager' AND s.connection_id = $1`, [C]);
    expect(source.rows[0]).toEqual({ crm_object: 'companies', crm_field: 'Owner.email' });
  });

  it('incremental: a company changed in HubSpot is updated, one archived is deleted, the rest are unchanged (T19, T25)', async () => {
    const [changed, archived] = (await hs.client.crm.companies.basicApi.getPage(2)).results;
    await hs.client.crm.companies.basicApi.update(changed!.id, { properties: { name: 'Renamed in HubSpot', tier: 'Tier 1' } });
    await hs.client.crm.companies.basicApi.archive(archived!.id);

    const result = await run(JOB);
    expect(result.stats.updated).toBe(1);
    expect(result.stats.deleted).toBe(1);
    expect(result.stats.created).toBe(0);
    const account = await hubAccount(C, changed!.id);
    expect(account?.name).toBe('Renamed in HubSpot');
    expect(await attribute(account!.id, 'hsi_tier')).toBe('Tier 1');
    // The archived company's hub account keeps its other sources but loses this one and its values (T19).
    expect(await hubAccount(C, archived!.id)).toBeUndefined();

    // Nothing changed since: the run re-reads only the look-back window, and writes nothing.
    const again = await run(JOB);
    expect(again.stats).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('runs a filter through HubSpot search, and refuses OR, unknown properties and bad syntax with the fix, saving nothing (T8, T9)', async () => {
    const before = await jobRow(JOB);
    for (const [filter, message] of [
      ["tier = 'Tier 1' OR tier = 'Tier 2'", /HubSpot filters combine conditions with AND only/],
      ["no_such_property = 'x'", /companies has no property 'no_such_property'/],
      ["tier = 'Tier 1' AND", /ends with AND/],
      ["tier 'Tier 1'", /expected an operator after 'tier'/],
    ] as const) {
      const refused = editValidatedJob(pool, testSecretBox, JOB, { filter });
      await expect(refused).rejects.toBeInstanceOf(JobValidationError);
      await expect(refused).rejects.toThrow(message);
    }
    expect(await jobRow(JOB)).toEqual(before);

    const filtered = `${C}-tier1`;
    const config = { ...hubspotAccountsConfig(P), filter: "tier = 'Tier 1' AND domain IS NOT NULL" };
    await createValidatedJob(pool, testSecretBox, { id: filtered, connectionId: C, config });
    const tier1 = (await hs.client.crm.companies.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'tier', operator: 'EQ' as never, value: 'Tier 1' }] }], limit: 200 })).total;
    const result = await run(filtered, 'full');
    expect(result.stats.read).toBe(tier1);
  });

  it('validates mappings against the properties API and refuses kinds HubSpot does not run', async () => {
    const bad = hubspotAccountsConfig(P);
    bad.mapping.push({ crmField: 'annualrevenue_missing', crmFieldType: '', hubField: `${P} Revenue`, hubFieldType: 'number', key: false });
    await expect(createValidatedJob(pool, testSecretBox, { id: `${C}-bad`, connectionId: C, config: bad })).rejects.toThrow(/companies has no field 'annualrevenue_missing'/);
    await expect(createValidatedJob(pool, testSecretBox, { id: `${C}-tasks`, connectionId: C, config: configFromTemplate('tasks-inbound') })).rejects.toThrow(/hubspot connections do not run tasks-inbound jobs/);
    expect((await pool.query(`SELECT 1 FROM integration_jobs WHERE id = ANY($1)`, [[`${C}-bad`, `${C}-tasks`]])).rowCount).toBe(0);
  });

  it('pages past the 10,000-result search cap, even when all the companies share one modification stamp', async () => {
    const CAP = 'hs-cap';
    // The sandbox's clock stands still while the bulk change below is made (and only then).
    let frozen: number | null = null;
    const cap = await startHubSpotFixture(pool, CAP, { seed: 'none', clock: () => new Date(frozen ?? Date.now()), searchPerSecond: 1000, rateLimits: { searchPerSecond: 1000 } });
    try {
      const N = 10_250;
      await cap.admin('POST', '/__admin/seed', { count: N, seed: 7 });
      const minimal = configFromTemplate('accounts-inbound', 'hubspot');
      minimal.mapping = minimal.mapping.filter((r) => r.key || r.hubField === 'Account Name');
      await createValidatedJob(pool, testSecretBox, { id: `${CAP}-accounts`, connectionId: CAP, config: minimal });
      const first = await run(`${CAP}-accounts`, 'full');
      expect(first.stats).toMatchObject({ read: N, created: N });

      // One bulk change: every company modified in the same millisecond.
      frozen = Date.now();
      const ids = (await cap.client.crm.companies.getAll(100)).map((c) => c.id);
      for (let i = 0; i < ids.length; i += 100) {
        await cap.client.crm.companies.batchApi.update({ inputs: ids.slice(i, i + 100).map((id) => ({ id, properties: { name: `Bulk ${id}` } })) });
      }
      frozen = null;
      await cap.admin('DELETE', '/__admin/requests');
      const second = await run(`${CAP}-accounts`);
      expect(second.stats).toMatchObject({ read: N, updated: N, created: 0 });
      const names = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM record_links l JOIN accounts a ON a.id = l.hub_id WHERE l.connection_id = $1 AND a.name = 'Bulk ' || l.crm_id`, [CAP]);
      expect(names.rows[0]?.n).toBe(N);
      // One search per page of 100, one more where the dense stamp starts, the progress count and the last empty page.
      const searches = (await hubspotRequests(cap, 'POST', '/crm/v3/objects/companies/search')).length;
      expect(searches).toBeLessThanOrEqual(Math.ceil(N / 100) + 4);
      expect(searches).toBeGreaterThanOrEqual(Math.ceil(N / 100));
    } finally {
      await cap.close();
    }
  });
});
