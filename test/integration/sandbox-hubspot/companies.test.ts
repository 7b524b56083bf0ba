// HubSpot sandbox, driven only through @hubspot/api-client 13.x with `basePath` pointed at it: auth, company
// CRUD and paging, batch (201/200/207, the 100-input limit), search (filters, sorts, paging, the 10,000 cap),
// the Properties and Owners APIs, and the admin API for seeding and custom properties.
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox, type HubSpotSandboxHandle } from '../../../sandbox/hubspot';
import { clearProxyVariables } from '../../../kernel/env';
import { adminCall, errorShape, failure } from './support';

clearProxyVariables();

let sandbox: HubSpotSandboxHandle;
let client: Client;

const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => adminCall<T>(sandbox.url, method, path, body);

beforeAll(async () => {
  // The search tests search faster than HubSpot's 5 a second (search-limit.test.ts covers that limit).
  sandbox = await startHubSpotSandbox({ port: 0, seed: 'none', rateLimits: { searchPerSecond: 1000 } });
  client = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url, numberOfApiCallRetries: 1 });
});
afterAll(() => sandbox.close());
beforeEach(() => admin('POST', '/__admin/reset', { seed: 'none' }));

describe('HubSpot sandbox: auth', () => {
  it('answers 401 INVALID_AUTHENTICATION for a missing or unknown token', async () => {
    const stranger = new Client({ accessToken: 'pat-na1-not-a-real-token', basePath: sandbox.url, numberOfApiCallRetries: 1 });
    const err = await failure(stranger.crm.companies.basicApi.getPage());
    expect(err.code).toBe(401);
    expect(err.body).toMatchObject(errorShape('INVALID_AUTHENTICATION'));
    const anonymous = await fetch(`${sandbox.url}/crm/v3/objects/companies`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/json/);
    // The request log saw both.
    const { requests } = await admin<{ requests: { status: number }[] }>('GET', '/__admin/requests?path=/crm/v3/objects*');
    expect(requests.map((r) => r.status)).toEqual([401, 401]);
  });
});

describe('HubSpot sandbox: companies', () => {
  it('creates (201), reads, updates (200), archives (204) with HubSpot’s object shape', async () => {
    const created = await client.crm.companies.basicApi.create({ properties: { name: 'Acme', domain: 'acme.example', industry: 'RETAIL' }, associations: [] });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.archived).toBe(false);
    expect(created.properties).toEqual({ name: 'Acme', domain: 'acme.example', industry: 'RETAIL', hs_object_id: created.id, createdate: expect.any(String), hs_lastmodifieddate: expect.any(String) });

    const read = await client.crm.companies.basicApi.getById(created.id);
    expect(Object.keys(read.properties).sort()).toEqual(['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name']);
    const withIndustry = await client.crm.companies.basicApi.getById(created.id, ['industry', 'city', 'no_such_property']);
    expect(withIndustry.properties).toEqual({ industry: 'RETAIL', city: null, createdate: expect.any(String), hs_lastmodifieddate: expect.any(String), hs_object_id: created.id });

    const updated = await client.crm.companies.basicApi.update(created.id, { properties: { city: 'Lisbon' } });
    expect(updated.properties['city']).toBe('Lisbon');
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    await expect(client.crm.companies.basicApi.archive(created.id)).resolves.toBeUndefined();
    expect((await failure(client.crm.companies.basicApi.getById(created.id))).code).toBe(404);
    const archived = await client.crm.companies.basicApi.getById(created.id, undefined, undefined, undefined, true);
    expect(archived).toMatchObject({ id: created.id, archived: true, archivedAt: expect.any(Date) });
  });

  it('rejects unknown, read-only and invalid enumeration values with 400 VALIDATION_ERROR', async () => {
    const err = await failure(client.crm.companies.basicApi.create({ properties: { name: 'X', nope: '1', hs_object_id: '5', industry: 'SPACE' }, associations: [] }));
    expect(err.code).toBe(400);
    expect(err.body).toMatchObject(errorShape('VALIDATION_ERROR'));
    const issues = JSON.parse(String(err.body['message']).replace(/^Property values were not valid: /, '')) as { name: string; error: string }[];
    expect(issues.map((i) => [i.name, i.error])).toEqual([['nope', 'PROPERTY_DOESNT_EXIST'], ['hs_object_id', 'READ_ONLY_VALUE'], ['industry', 'INVALID_OPTION']]);
    expect((await admin<{ records: { companies: number } }>('GET', '/__admin/health')).records.companies).toBe(0);
  });

  it('pages with limit ≤ 100 and after, and getAll walks every page; archived=true lists archived ones', async () => {
    await admin('POST', '/__admin/seed', { count: 130, seed: 7 });
    const first = await client.crm.companies.basicApi.getPage(500, undefined, ['name']);
    expect(first.results).toHaveLength(100);
    expect(first.paging?.next?.after).toMatch(/^\d+$/);
    const second = await client.crm.companies.basicApi.getPage(100, first.paging?.next?.after);
    expect(second.results).toHaveLength(30);
    expect(second.paging).toBeUndefined();
    const all = await client.crm.companies.getAll();
    expect(new Set(all.map((c) => c.id)).size).toBe(130);

    await client.crm.companies.batchApi.archive({ inputs: [{ id: all[0]?.id ?? '' }, { id: '1' }] });
    const archived = await client.crm.companies.basicApi.getPage(10, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((c) => [c.id, c.archived])).toEqual([[all[0]?.id, true]]);
  });
});

describe('HubSpot sandbox: batch', () => {
  it('batch create 201, read 200 / 207 with OBJECT_NOT_FOUND, update 207 for unknown IDs', async () => {
    const created = await client.crm.companies.batchApi.create({ inputs: [{ properties: { name: 'A' }, associations: [] }, { properties: { name: 'B' }, associations: [] }] });
    expect(created.status).toBe('COMPLETE');
    expect(created.results.map((r) => r.properties['name'])).toEqual(['A', 'B']);
    const [a, b] = created.results.map((r) => r.id);

    const read = await client.crm.companies.batchApi.read({ inputs: [{ id: a ?? '' }, { id: b ?? '' }], properties: ['name'], propertiesWithHistory: [] });
    expect('errors' in read ? read.errors : undefined).toBeUndefined();
    const partial = await client.crm.companies.batchApi.read({ inputs: [{ id: a ?? '' }, { id: '999' }], properties: [], propertiesWithHistory: [] });
    expect(partial).toMatchObject({ status: 'COMPLETE', results: [{ id: a }], numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', context: { ids: ['999'] } }] });
    expect(partial.startedAt).toBeInstanceOf(Date);

    const updated = await client.crm.companies.batchApi.update({ inputs: [{ id: b ?? '', properties: { city: 'Paris' } }, { id: '998', properties: { city: 'Paris' } }] });
    expect(updated).toMatchObject({ results: [{ id: b, properties: { city: 'Paris' } }], numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['998'] } }] });
    const dup = await failure(client.crm.companies.batchApi.update({ inputs: [{ id: b ?? '', properties: {} }, { id: b ?? '', properties: {} }] }));
    expect(dup).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
  });

  it('refuses more than 100 inputs with 400 VALIDATION_ERROR, and invalid values fail the whole batch', async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ properties: { name: `C${i}` }, associations: [] }));
    const tooMany = await failure(client.crm.companies.batchApi.create({ inputs }));
    expect(tooMany.code).toBe(400);
    expect(tooMany.body).toMatchObject({ ...errorShape('VALIDATION_ERROR'), message: expect.stringContaining('100') });
    await expect(client.crm.companies.batchApi.create({ inputs: inputs.slice(0, 100) })).resolves.toMatchObject({ status: 'COMPLETE' });

    const invalid = await failure(client.crm.companies.batchApi.create({ inputs: [{ properties: { name: 'ok' }, associations: [] }, { properties: { industry: 'SPACE' }, associations: [] }] }));
    expect(invalid.code).toBe(400);
    expect((await admin<{ records: { companies: number } }>('GET', '/__admin/health')).records.companies).toBe(100);
  });
});

describe('HubSpot sandbox: search', () => {
  it('filters (groups ORed, filters ANDed), sorts, pages with after and reports total', async () => {
    await admin('POST', '/__admin/seed', { count: 60, seed: 3 });
    const search = (filterGroups: unknown[], extra: Record<string, unknown> = {}) =>
      client.crm.companies.searchApi.doSearch({ filterGroups, sorts: [], properties: ['name', 'industry', 'numberofemployees'], limit: 200, after: '0', ...extra } as Parameters<typeof client.crm.companies.searchApi.doSearch>[0]);

    const all = await search([]);
    expect(all.total).toBe(60);
    const retail = await search([{ filters: [{ propertyName: 'industry', operator: 'EQ', value: 'retail' }] }]);
    expect(retail.results.every((r) => r.properties['industry'] === 'RETAIL')).toBe(true);
    const notRetail = await search([{ filters: [{ propertyName: 'industry', operator: 'NEQ', value: 'RETAIL' }] }]);
    expect(retail.total + notRetail.total).toBe(60);
    const big = await search([{ filters: [{ propertyName: 'numberofemployees', operator: 'GTE', value: '1000' }, { propertyName: 'numberofemployees', operator: 'LT', value: '3000' }] }]);
    expect(big.results.every((r) => Number(r.properties['numberofemployees']) >= 1000 && Number(r.properties['numberofemployees']) < 3000)).toBe(true);
    const either = await search([{ filters: [{ propertyName: 'industry', operator: 'IN', values: ['RETAIL', 'ACCOUNTING'] }] }]);
    const acc = await search([{ filters: [{ propertyName: 'industry', operator: 'EQ', value: 'ACCOUNTING' }] }]);
    expect(either.total).toBe(retail.total + acc.total);
    const orGroups = await search([{ filters: [{ propertyName: 'industry', operator: 'EQ', value: 'RETAIL' }] }, { filters: [{ propertyName: 'industry', operator: 'EQ', value: 'ACCOUNTING' }] }]);
    expect(orGroups.total).toBe(either.total);
    expect((await search([{ filters: [{ propertyName: 'city', operator: 'NOT_HAS_PROPERTY' }] }])).total).toBe(0);
    expect((await search([{ filters: [{ propertyName: 'name', operator: 'CONTAINS_TOKEN', value: 'acme*' }] }])).results.every((r) => /^acme/i.test(r.properties['name'] ?? ''))).toBe(true);

    const sorted = await search([], { sorts: [{ propertyName: 'numberofemployees', direction: 'DESCENDING' }] });
    const sizes = sorted.results.map((r) => Number(r.properties['numberofemployees']));
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));

    const page1 = await search([], { limit: 25 });
    expect(page1.paging?.next?.after).toBe('25');
    const page3 = await search([], { limit: 25, after: '50' });
    expect(page3.results).toHaveLength(10);
    expect(page3.paging).toBeUndefined();
    const tooBig = await failure(search([], { limit: 201 }));
    expect(tooBig).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
  });

  it('stops at 10,000 results: no next page at the cap, and 400 when after reaches it', async () => {
    await admin('POST', '/__admin/seed', { count: 10_050, seed: 5 });
    const search = (after: string) => client.crm.companies.searchApi.doSearch({ filterGroups: [], sorts: [], properties: [], limit: 200, after });
    const last = await search('9800');
    expect(last.total).toBe(10_050);
    expect(last.results).toHaveLength(200);
    expect(last.paging).toBeUndefined();
    const past = await failure(search('10000'));
    expect(past).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
  });
});

describe('HubSpot sandbox: properties and owners', () => {
  it('describes default and custom company properties', async () => {
    await admin('POST', '/__admin/properties', { name: 'tier', label: 'Tier', type: 'enumeration', options: ['gold', 'silver'] });
    await admin('POST', '/__admin/properties', { name: 'products', type: 'enumeration', multiple: true, options: [{ label: 'Widgets', value: 'widgets' }, { label: 'Gadgets', value: 'gadgets' }] });
    const { results } = await client.crm.properties.coreApi.getAll('companies');
    const byName = new Map(results.map((p) => [p.name, p]));
    for (const name of ['name', 'domain', 'hubspot_owner_id', 'industry', 'hs_lastmodifieddate', 'createdate', 'tier', 'products']) expect(byName.has(name)).toBe(true);
    expect(byName.get('hs_lastmodifieddate')).toMatchObject({ type: 'datetime', hubspotDefined: true, calculated: false, modificationMetadata: { readOnlyValue: true } });
    expect(byName.get('industry')).toMatchObject({ type: 'enumeration', fieldType: 'select', options: expect.arrayContaining([expect.objectContaining({ value: 'RETAIL', label: 'Retail' })]) });
    expect(byName.get('hubspot_owner_id')?.options).toHaveLength(5);
    const products = await client.crm.properties.coreApi.getByName('companies', 'products');
    expect(products).toMatchObject({ name: 'products', type: 'enumeration', fieldType: 'checkbox', hubspotDefined: false, modificationMetadata: { readOnlyValue: false } });
    expect(byName.get('tier')).toMatchObject({ fieldType: 'select', options: [expect.objectContaining({ value: 'gold', label: 'gold' }), expect.objectContaining({ value: 'silver' })] });

    const company = await client.crm.companies.basicApi.create({ properties: { name: 'Multi', products: 'widgets;gadgets', tier: 'gold' }, associations: [] });
    expect(company.properties['products']).toBe('widgets;gadgets');
    expect((await failure(client.crm.companies.basicApi.update(company.id, { properties: { products: 'widgets;spanners' } }))).code).toBe(400);
    const found = await client.crm.companies.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'products', operator: 'EQ', value: 'gadgets' }] }], sorts: [], properties: ['products'], limit: 10, after: '0' } as Parameters<typeof client.crm.companies.searchApi.doSearch>[0]);
    expect(found.results.map((r) => r.id)).toEqual([company.id]);
  });

  it('lists owners with paging and an email filter; hubspot_owner_id takes owner IDs only', async () => {
    const page = await client.crm.owners.ownersApi.getPage(undefined, undefined, 2);
    expect(page.results).toHaveLength(2);
    expect(page.results[0]).toMatchObject({ id: expect.stringMatching(/^\d+$/), email: expect.any(String), type: 'PERSON', archived: false, createdAt: expect.any(Date) });
    const rest = await client.crm.owners.ownersApi.getPage(undefined, page.paging?.next?.after, 100);
    expect(rest.results).toHaveLength(3);
    const grace = await client.crm.owners.ownersApi.getPage('Grace@hubsync.sandbox');
    expect(grace.results.map((o) => o.firstName)).toEqual(['Grace']);

    const owned = await client.crm.companies.basicApi.create({ properties: { name: 'Owned', hubspot_owner_id: grace.results[0]?.id ?? '' }, associations: [] });
    expect(owned.properties['hubspot_owner_id']).toBe(grace.results[0]?.id);
    expect((await failure(client.crm.companies.basicApi.update(owned.id, { properties: { hubspot_owner_id: '12345' } }))).code).toBe(400);
  });
});
