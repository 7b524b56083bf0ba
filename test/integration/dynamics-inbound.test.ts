// Dataverse accounts inbound as durable workflows, end to end (issue 13; T1, T9, T19, T24, T25, W12 inbound):
// real Temporal dev server, PostgreSQL, the Dataverse sandbox over HTTP with dynamics-web-api. Incremental
// runs read through change tracking: the delta link a run ends on is where the next one starts.
import { Client, Connection } from '@temporalio/client';
import { loadBudget } from '../../activities/hub/budgets';
import { createValidatedJob, JobValidationError } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { HubsyncClient } from '../../client/hubsync-client';
import type { JobRunResult, RunMode } from '../../kernel/runs';
import { startDynamicsFixture, type DynamicsFixture } from '../support/dynamics';
import { testSecretBox } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack, withWorker } from '../support/test-env';

jest.setTimeout(300000);

const C = 'dv-in';
const JOB = `${C}-accounts`;
const P = 'DVI';

interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

/** The Dataverse accounts template, its attributes prefixed for this file, plus the demo org's option sets. */
function dataverseAccountsConfig(prefix: string): JobConfig {
  const config = configFromTemplate('accounts-inbound', 'dynamics');
  config.mapping = [
    ...config.mapping.map((r) => (r.key || r.hubField === 'Account Name' ? r : { ...r, hubField: `${prefix} ${r.hubField}` })),
    { crmField: 'hubsync_tier', crmFieldType: 'option set', hubField: `${prefix} Tier`, hubFieldType: 'single_select', key: false },
    { crmField: 'hubsync_products', crmFieldType: 'multi-select option set', hubField: `${prefix} Products`, hubFieldType: 'multi_select', key: false },
    { crmField: 'numberofemployees', crmFieldType: 'integer', hubField: `${prefix} Employees`, hubFieldType: 'number', key: false },
  ];
  return config;
}

describe('Dataverse accounts inbound', () => {
  const pool = testPool();
  let dv: DynamicsFixture;
  let temporalConnection: Connection;
  let hubsync: HubsyncClient;

  const run = (jobId: string, mode: RunMode = 'incremental'): Promise<JobRunResult> =>
    withWorker(pool, async () => (await hubsync.startRun(jobId, mode)).result(), { secretBox: () => testSecretBox });
  const hubAccount = async (crmId: string) =>
    (await pool.query<{ id: string; name: string }>(`SELECT a.id, a.name FROM record_links l JOIN accounts a ON a.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'account' AND l.crm_id = $2`, [C, crmId])).rows[0];
  const attribute = async (accountId: string, key: string) =>
    (await pool.query<{ value: unknown }>(`SELECT v.value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE v.account_id = $1 AND d.key = $2 AND v.connection_id = $3`, [accountId, key, C])).rows[0]?.value;
  const assignee = async (accountId: string, key: string) =>
    (await pool.query<{ email: string | null }>(
      `SELECT u.email FROM account_assignments a JOIN attribute_definitions d ON d.id = a.attribute_id LEFT JOIN hub_users u ON u.id = a.user_id WHERE a.account_id = $1 AND d.key = $2 AND a.connection_id = $3`,
      [accountId, key, C],
    )).rows[0]?.email;
  const requests = async (method: string, path: string) => (await dv.admin<{ requests: LoggedRequest[] }>('GET', `/__admin/requests?method=${method}&path=${encodeURIComponent(path)}`)).requests;
  const clearLog = () => dv.admin('DELETE', '/__admin/requests');
  const storedPosition = async () => (await pool.query<{ position: string | null }>('SELECT position FROM sync_cursors WHERE job_id = $1', [JOB])).rows[0]?.position;

  beforeAll(async () => {
    dv = await startDynamicsFixture(pool, C);
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection }), pool, { taskQueue: fileTaskQueue() });
    await createValidatedJob(pool, testSecretBox, { id: JOB, connectionId: C, config: dataverseAccountsConfig(P) });
  });
  afterAll(async () => {
    await dv?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('imports every account with its name, number, owner email (through systemusers) and option-set labels (T1, W12)', async () => {
    const accounts = (await dv.client.retrieveAll({ collection: 'accounts', select: ['accountid', 'name', 'accountnumber', '_ownerid_value', 'numberofemployees'], includeAnnotations: 'OData.Community.Display.V1.FormattedValue' })).value as Array<Record<string, unknown>>;
    expect(accounts.length).toBeGreaterThan(20);
    const result = await run(JOB, 'full');
    expect(result.stats).toMatchObject({ read: accounts.length, created: accounts.length, updated: 0, rejected: {} });

    const sample = (await dv.client.retrieve({ collection: 'accounts', key: String(accounts[0]!['accountid']), select: ['name', 'accountnumber', 'hubsync_tier', 'hubsync_products', 'numberofemployees', '_ownerid_value'], includeAnnotations: 'OData.Community.Display.V1.FormattedValue' })) as Record<string, unknown>;
    const account = await hubAccount(String(accounts[0]!['accountid']));
    expect(account?.name).toBe(sample['name']);
    expect(await attribute(account!.id, 'dvi_account_number')).toBe(sample['accountnumber']);
    // Option sets come in as their labels; a multi-select as its labels, in the option set's order.
    expect(await attribute(account!.id, 'dvi_tier')).toBe(sample['hubsync_tier_Formatted']);
    expect(await attribute(account!.id, 'dvi_products')).toEqual(String(sample['hubsync_products_Formatted']).split('; '));
    expect(await attribute(account!.id, 'dvi_employees')).toBe(sample['numberofemployees']);
    const owner = (await dv.client.retrieve({ collection: 'systemusers', key: String(sample['_ownerid_value']), select: ['internalemailaddress'] })) as { internalemailaddress: string };
    expect(await assignee(account!.id, 'dvi_success_manager')).toBe(owner.internalemailaddress.toLowerCase());
    // The run ends on the delta link change tracking gave it.
    expect(await storedPosition()).toMatch(/\$deltatoken=/);
  });

  it('reads only the changes since the last run through the delta link: an update, a create and a delete (T25, T19)', async () => {
    const quiet = await run(JOB);
    expect(quiet.stats).toMatchObject({ read: 0, created: 0, updated: 0, deleted: 0 });

    const [changed, victim] = ((await dv.client.retrieveMultiple({ collection: 'accounts', select: ['accountid'], orderBy: ['name'], top: 2 })).value as Array<{ accountid: string }>).map((a) => a.accountid);
    await dv.client.update({ collection: 'accounts', key: changed!, data: { name: 'Renamed in Dataverse', hubsync_tier: (await tierValue('Tier 3'))! } });
    const createdId = await dv.client.create<Record<string, unknown>, string>({ collection: 'accounts', data: { name: 'Created in Dataverse', accountnumber: 'A-NEW-1' } });
    const victimHub = await hubAccount(victim!);
    await dv.client.deleteRecord({ collection: 'accounts', key: victim! });

    await clearLog();
    const incremental = await run(JOB);
    expect(incremental.stats).toMatchObject({ read: 3, created: 1, updated: 1, deleted: 1, rejected: {} });
    const renamed = await hubAccount(changed!);
    expect(renamed?.name).toBe('Renamed in Dataverse');
    expect(await attribute(renamed!.id, 'dvi_tier')).toBe('Tier 3');
    expect((await hubAccount(String(createdId).toLowerCase()))?.name).toBe('Created in Dataverse');
    // A deleted account loses its link and the values this connection gave it (it may have other sources).
    expect(await hubAccount(victim!)).toBeUndefined();
    expect(await attribute(victimHub!.id, 'dvi_account_number')).toBeUndefined();
    // One read of the delta link, sent with change tracking asked for; no full read.
    const reads = await requests('GET', '/api/data/v9.2/accounts');
    expect(reads).toHaveLength(1);

    const full = await run(JOB, 'full');
    expect(full.stats.created + full.stats.updated + full.stats.deleted).toBe(0);
    expect(full.stats.unchanged).toBe(full.stats.read);
  });

  it('pages past 5,000 rows, 5,000 a page, and imports them all (API calls: one a page + a constant)', async () => {
    const before = (await dv.client.retrieveMultiple({ collection: 'accounts', select: ['accountid'], count: true, maxPageSize: 1 })).oDataCount ?? 0;
    await dv.admin('POST', '/__admin/generate', { table: 'account', count: 10_250 });
    await clearLog();
    const result = await run(JOB);
    expect(result.stats).toMatchObject({ read: 10_250, created: 10_250, rejected: {} });
    expect(result.stats.pages).toBe(3);
    const reads = await requests('GET', '/api/data/v9.2/accounts');
    expect(reads).toHaveLength(3);
    // Everything else the run asked, once each: the table index, the metadata of accounts and of systemusers (the
    // owner lookup's target; five calls a table, at validation) and the system users (for the owners' emails).
    const all = await requests('', '/api/data/v9.2/*');
    expect(all.length - reads.length).toBeLessThanOrEqual(1 + 5 + 5 + 1);
    const linked = (await pool.query('SELECT count(*)::int AS n FROM record_links WHERE connection_id = $1 AND hub_type = $2', [C, 'account'])).rows[0]?.n;
    expect(linked).toBe(before + 10_250);
  });

  it('waits out a 429 with Retry-After, gets a new token when Dataverse refuses the one it has, and completes', async () => {
    const id = ((await dv.client.retrieveMultiple({ collection: 'accounts', select: ['accountid'], top: 1 })).value as Array<{ accountid: string }>)[0]!.accountid;
    await dv.client.update({ collection: 'accounts', key: id, data: { name: 'Changed before a 429' } });
    // The delta read is held 2 s in flight; meanwhile every issued token is revoked. The read of the system
    // users that follows first meets a 429 asking for a second's wait, then a 401 for the revoked token.
    await dv.admin('POST', '/__admin/faults', { method: 'GET', path: '/api/data/v9.2/accounts', latencyMs: 2000, count: 1 });
    await dv.admin('POST', '/__admin/faults', { method: 'GET', path: '/api/data/v9.2/systemusers', status: 429, retryAfterSeconds: 1, count: 1 });
    try {
      await clearLog();
      const running = run(JOB);
      for (let i = 0; i < 200 && (await dv.admin<{ inFlight: number }>('GET', '/__admin/limits')).inFlight === 0; i++) await new Promise((r) => setTimeout(r, 25));
      await dv.admin('DELETE', '/__admin/tokens');
      const result = await running;
      expect(result.stats).toMatchObject({ read: 1, updated: 1, rejected: {} });
      expect((await hubAccount(id))?.name).toBe('Changed before a 429');
      expect((await requests('GET', '/api/data/v9.2/accounts')).map((r) => r.status)).toEqual([200]);
      expect((await requests('GET', '/api/data/v9.2/systemusers')).map((r) => r.status)).toEqual([429, 401, 200]);
      expect(await requests('POST', '/*/oauth2/v2.0/token')).toHaveLength(2);
    } finally {
      await dv.admin('DELETE', '/__admin/faults');
    }
  });

  it("pauses on a timer for a 429 whose Retry-After is longer than the client waits, stored for the connection, then completes (P6)", async () => {
    const id = ((await dv.client.retrieveMultiple({ collection: 'accounts', select: ['accountid'], top: 1 })).value as Array<{ accountid: string }>)[0]!.accountid;
    await dv.client.update({ collection: 'accounts', key: id, data: { name: 'Changed before a long 429' } });
    // 31 s: past the 30 s a job's client waits on its own, so the run itself pauses.
    await dv.admin('POST', '/__admin/faults', { method: 'GET', path: '/api/data/v9.2/accounts', status: 429, retryAfterSeconds: 31, count: 1 });
    try {
      await clearLog();
      const result = await withWorker(
        pool,
        async () => {
          const handle = await hubsync.startRun(JOB, 'incremental');
          let progress = await hubsync.progress(handle).catch(() => undefined);
          for (let i = 0; i < 300 && progress?.phase !== 'waiting'; i++) {
            await new Promise((r) => setTimeout(r, 100));
            progress = await hubsync.progress(handle).catch(() => undefined);
          }
          expect(progress?.waiting).toMatchObject({ connectionId: C, cause: 'rate-limit', reason: expect.stringMatching(/asked to wait 31 s/) });
          // Every job of the connection sees the pause: it is in the hub store, not in one worker.
          const stored = await loadBudget(pool, C);
          expect(Date.parse(stored.blocked!.until) - Date.now()).toBeGreaterThan(20_000);
          const done = await handle.result();
          const history = (await handle.fetchHistory()).events ?? [];
          expect(history.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(0);
          expect(history.some((e) => e.timerStartedEventAttributes)).toBe(true);
          return done;
        },
        { secretBox: () => testSecretBox },
      );
      expect(result.stats).toMatchObject({ read: 1, updated: 1, rejected: {} });
      expect((await hubAccount(id))?.name).toBe('Changed before a long 429');
      expect((await requests('GET', '/api/data/v9.2/accounts')).map((r) => r.status)).toEqual([429, 200]);
    } finally {
      await dv.admin('DELETE', '/__admin/faults');
    }
  });

  it('reads every row again when the delta link has outlived change tracking retention, changing nothing that is current', async () => {
    const total = (await pool.query('SELECT count(*)::int AS n FROM record_links WHERE connection_id = $1 AND hub_type = $2', [C, 'account'])).rows[0]?.n as number;
    // Eight days later (the sandbox keeps changes seven), the stored delta token is refused with 0x80044352.
    await dv.admin('POST', '/__admin/clock', { advanceSeconds: 8 * 86_400 });
    await clearLog();
    const result = await run(JOB);
    expect(result.stats).toMatchObject({ read: total, created: 0, updated: 0, rejected: {} });
    expect(result.stats.unchanged).toBe(total);
    const reads = (await requests('GET', '/api/data/v9.2/accounts')).map((r) => r.status);
    expect(reads[0]).toBe(400);
    expect(reads.slice(1).every((s) => s === 200)).toBe(true);
    // The run ends on a fresh delta link: the next one reads only changes again.
    const next = await run(JOB);
    expect(next.stats.read).toBe(0);
  });

  it('refuses a filter on a Dataverse job at validation, saving nothing (T9)', async () => {
    const config = { ...dataverseAccountsConfig(P), filter: "name eq 'Contoso'" };
    const refused = createValidatedJob(pool, testSecretBox, { id: `${C}-filtered`, connectionId: C, config });
    await expect(refused).rejects.toBeInstanceOf(JobValidationError);
    await expect(refused).rejects.toThrow(/take no filter; change tracking/);
    expect((await pool.query('SELECT 1 FROM integration_jobs WHERE id = $1', [`${C}-filtered`])).rowCount).toBe(0);
  });

  it('refuses job kinds Dataverse connections do not run', async () => {
    const refused = createValidatedJob(pool, testSecretBox, { id: `${C}-tasks`, connectionId: C, config: configFromTemplate('tasks-inbound') });
    await expect(refused).rejects.toThrow(/tasks-inbound/);
    expect((await pool.query('SELECT 1 FROM integration_jobs WHERE id = $1', [`${C}-tasks`])).rowCount).toBe(0);
  });

  /** The value of a Tier option, from the option set's metadata. */
  async function tierValue(label: string): Promise<number | undefined> {
    const answer = await dv.client.retrieveAttributes({ entityKey: "LogicalName='account'", castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata', select: ['LogicalName'], expand: [{ property: 'OptionSet', select: ['Options'] }] });
    const tier = (answer.value as Array<{ LogicalName: string; OptionSet: { Options: Array<{ Value: number; Label: { UserLocalizedLabel: { Label: string } } }> } }>).find((a) => a.LogicalName === 'hubsync_tier');
    return tier?.OptionSet.Options.find((o) => o.Label.UserLocalizedLabel.Label === label)?.Value;
  }
});
