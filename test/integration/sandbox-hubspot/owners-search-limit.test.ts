// HubSpot sandbox through @hubspot/api-client 13.x: owners added and archived through the admin API (the
// Owners API and hubspot_owner_id options follow), and the search endpoints' own rate limit (HubSpot's 5 a
// second by default; a SECONDLY 429 the client's RetryDecorator retries), configurable at start and through
// the admin API.
//
// Mind the client's process-wide decorator singleton (contract §2.1): each test takes its API objects right
// after `new Client`.
import { Client } from '@hubspot/api-client';
import { DEFAULT_RATE_LIMITS } from '../../../sandbox/hubspot';
import { clearProxyVariables } from '../../../kernel/env';
import { failure, sandboxForFile } from './support';

clearProxyVariables();

const { sandbox, admin } = sandboxForFile({ rateLimits: { searchPerSecond: 3 } });
const api = (numberOfApiCallRetries = 1) => new Client({ accessToken: sandbox().accessToken, basePath: sandbox().url, numberOfApiCallRetries }).crm;
const emptySearch = { filterGroups: [], sorts: [], properties: [], limit: 10, after: '0' };
afterEach(() => jest.restoreAllMocks());

describe('HubSpot sandbox: owners admin', () => {
  it('adds an owner that the Owners API lists and hubspot_owner_id accepts; archiving takes it out of both', async () => {
    const added = await admin<{ id: string; userId: number; archived: boolean }>('POST', '/__admin/owners', { email: 'margaret@hubsync.sandbox', firstName: 'Margaret', lastName: 'Hamilton' });
    expect(added).toMatchObject({ id: expect.stringMatching(/^\d+$/), email: 'margaret@hubsync.sandbox', firstName: 'Margaret', lastName: 'Hamilton', type: 'PERSON', archived: false, userId: expect.any(Number) });
    const crm = api();
    const found = await crm.owners.ownersApi.getPage('margaret@hubsync.sandbox');
    expect(found.results).toMatchObject([{ id: added.id, firstName: 'Margaret', archived: false }]);
    expect((await crm.owners.ownersApi.getPage()).results).toHaveLength(6);
    expect(await crm.owners.ownersApi.getById(Number(added.id))).toMatchObject({ id: added.id });
    const options = async () => (await crm.properties.coreApi.getByName('contacts', 'hubspot_owner_id')).options.map((o) => o.value);
    expect(await options()).toContain(added.id);
    const owned = await crm.contacts.basicApi.create({ properties: { email: 'owned@example.com', hubspot_owner_id: added.id }, associations: [] });

    const archived = await admin('DELETE', `/__admin/owners/${added.id}`);
    expect(archived).toMatchObject({ id: added.id, archived: true });
    expect((await crm.owners.ownersApi.getPage('margaret@hubsync.sandbox')).results).toEqual([]);
    expect((await crm.owners.ownersApi.getPage(undefined, undefined, 100, true)).results).toMatchObject([{ id: added.id, archived: true }]);
    expect(await options()).not.toContain(added.id);
    expect((await failure(crm.companies.basicApi.create({ properties: { name: 'X', hubspot_owner_id: added.id }, associations: [] }))).code).toBe(400);
    // Records keep the ID of an owner archived since.
    expect((await crm.contacts.basicApi.getById(owned.id, ['hubspot_owner_id'])).properties['hubspot_owner_id']).toBe(added.id);

    await expect(admin('DELETE', `/__admin/owners/${added.id}`)).rejects.toThrow(/HTTP 404/);
    await expect(admin('POST', '/__admin/owners', { email: 'ada@hubsync.sandbox' })).rejects.toThrow(/HTTP 400/);
    await expect(admin('POST', '/__admin/owners', { email: 'not-an-email' })).rejects.toThrow(/HTTP 400/);
  });
});

describe('HubSpot sandbox: search rate limit', () => {
  it('defaults to HubSpot’s five searches a second', () => {
    expect(DEFAULT_RATE_LIMITS.searchPerSecond).toBe(5);
  });

  it('answers searches over the limit with the SECONDLY 429 while other calls go through; the client retries it', async () => {
    const crm = api(1);
    for (let i = 0; i < 3; i++) await crm.companies.searchApi.doSearch(emptySearch);
    const limited = await failure(crm.contacts.searchApi.doSearch(emptySearch));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY', category: 'RATE_LIMITS', correlationId: expect.any(String) });
    // The general limit is not used up: lists, reads and writes still work.
    await expect(crm.companies.basicApi.getPage()).resolves.toMatchObject({ results: [] });
    expect(await admin('GET', '/__admin/rate-limits')).toMatchObject({ config: { searchPerSecond: 3 }, searchWindowUsed: 3 });

    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const retrying = api(2);
    const started = Date.now();
    await expect(retrying.companies.searchApi.doSearch(emptySearch)).resolves.toMatchObject({ total: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('takes another limit through POST /__admin/rate-limits; a reset restores the start-up one', async () => {
    expect(await admin('POST', '/__admin/rate-limits', { searchPerSecond: 1 })).toMatchObject({ config: { searchPerSecond: 1 } });
    const crm = api(1);
    await crm.companies.searchApi.doSearch(emptySearch);
    expect((await failure(crm.companies.searchApi.doSearch(emptySearch))).code).toBe(429);
    await expect(admin('POST', '/__admin/rate-limits', { searchPerSecond: 0 })).rejects.toThrow(/HTTP 400/);
    await admin('POST', '/__admin/reset', { seed: 'none' });
    expect(await admin('GET', '/__admin/rate-limits')).toMatchObject({ config: { searchPerSecond: 3 }, searchWindowUsed: 0 });
  });
});
