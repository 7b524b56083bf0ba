// HubSpot sandbox, contacts, driven through @hubspot/api-client 13.x: the same objects API as companies
// (basic, batch incl. upsert by email, search), contacts' own default properties and `lastmodifieddate`, the
// unique email (409 CONFLICT), the contacts Properties API, and the object type aliases of the generic API.
import { Client } from '@hubspot/api-client';
import { clearProxyVariables } from '../../../kernel/env';
import { errorShape, failure, sandboxForFile } from './support';

clearProxyVariables();

const { sandbox, admin } = sandboxForFile({ rateLimits: { searchPerSecond: 1000 } });
let client: Client;
const contact = (email: string, extra: Record<string, string> = {}) => ({ properties: { email, ...extra }, associations: [] });

beforeAll(() => {
  client = new Client({ accessToken: sandbox().accessToken, basePath: sandbox().url, numberOfApiCallRetries: 1 });
});

describe('HubSpot sandbox: contacts', () => {
  it('creates (201), reads, updates (200) and archives (204) contacts with their default properties', async () => {
    const owner = (await client.crm.owners.ownersApi.getPage()).results[0]?.id ?? '';
    const created = await client.crm.contacts.basicApi.create(contact('ada@example.com', { firstname: 'Ada', lastname: 'Lovelace', jobtitle: 'CTO', hubspot_owner_id: owner }));
    expect(created.id).toMatch(/^\d+$/);
    expect(created.properties).toEqual({ email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', jobtitle: 'CTO', hubspot_owner_id: owner, createdate: expect.any(String), lastmodifieddate: expect.any(String), hs_object_id: created.id });
    expect(created.properties).not.toHaveProperty('hs_lastmodifieddate');

    const read = await client.crm.contacts.basicApi.getById(created.id);
    expect(Object.keys(read.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    const byEmail = await client.crm.contacts.basicApi.getById('ADA@example.com', ['jobtitle'], undefined, undefined, false, 'email');
    expect(byEmail).toMatchObject({ id: created.id, properties: { jobtitle: 'CTO' } });

    const updated = await client.crm.contacts.basicApi.update(created.id, { properties: { phone: '+1 555 0100' } });
    expect(updated.properties).toMatchObject({ phone: '+1 555 0100', lastmodifieddate: expect.any(String) });
    const invalid = await failure(client.crm.contacts.basicApi.update(created.id, { properties: { hubspot_owner_id: '1', hs_lastmodifieddate: 'x' } }));
    expect(invalid).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });

    await client.crm.contacts.basicApi.archive(created.id);
    expect((await failure(client.crm.contacts.basicApi.getById(created.id))).code).toBe(404);
    expect(await client.crm.contacts.basicApi.getById(created.id, undefined, undefined, undefined, true)).toMatchObject({ archived: true, archivedAt: expect.any(Date) });
    // An archived contact's email is free again.
    await expect(client.crm.contacts.basicApi.create(contact('ada@example.com'))).resolves.toMatchObject({ id: expect.not.stringMatching(created.id) });
  });

  it('keeps email unique with 409 CONFLICT, on create, update and within a batch', async () => {
    const first = await client.crm.contacts.basicApi.create(contact('grace@example.com'));
    const second = await client.crm.contacts.basicApi.create(contact('alan@example.com'));
    const taken = await failure(client.crm.contacts.basicApi.create(contact('Grace@Example.com')));
    expect(taken).toMatchObject({ code: 409, body: { ...errorShape('CONFLICT'), message: `Contact already exists. Existing ID: ${first.id}` } });
    expect((await failure(client.crm.contacts.basicApi.update(second.id, { properties: { email: 'grace@example.com' } }))).code).toBe(409);
    await expect(client.crm.contacts.basicApi.update(first.id, { properties: { email: 'grace@example.com', firstname: 'Grace' } })).resolves.toMatchObject({ id: first.id });

    const twice = await failure(client.crm.contacts.batchApi.create({ inputs: [contact('x@example.com'), contact('X@example.com')] }));
    expect(twice).toMatchObject({ code: 409, body: errorShape('CONFLICT') });
    expect((await admin<{ records: { contacts: number } }>('GET', '/__admin/health')).records.contacts).toBe(2);
  });

  it('batch create 201, read (by ID or email) 200/207, update, upsert by email, archive; getAll pages', async () => {
    const created = await client.crm.contacts.batchApi.create({ inputs: Array.from({ length: 30 }, (_, i) => contact(`c${i}@example.com`, { firstname: `C${i}` })) });
    expect(created.results).toHaveLength(30);
    const [a, b] = created.results.map((r) => r.id);

    const read = await client.crm.contacts.batchApi.read({ inputs: [{ id: a ?? '' }, { id: '1' }], properties: ['firstname'], propertiesWithHistory: [] });
    expect(read).toMatchObject({ results: [{ id: a, properties: { firstname: 'C0' } }], numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND', message: expect.stringContaining('CONTACT'), context: { ids: ['1'] } }] });
    const byEmail = await client.crm.contacts.batchApi.read({ idProperty: 'email', inputs: [{ id: 'c1@example.com' }], properties: [], propertiesWithHistory: [] });
    expect(byEmail.results.map((r) => r.id)).toEqual([b]);

    const updated = await client.crm.contacts.batchApi.update({ inputs: [{ id: a ?? '', properties: { lastname: 'Zero' } }] });
    expect(updated.results[0]?.properties).toMatchObject({ lastname: 'Zero' });

    const upserted = await client.crm.contacts.batchApi.upsert({ inputs: [{ id: 'C1@example.com', idProperty: 'email', properties: { jobtitle: 'VP' } }, { id: 'new@example.com', idProperty: 'email', properties: { firstname: 'New' } }] });
    const byKey = new Map(upserted.results.map((r) => [r.properties['email']?.toLowerCase(), r]));
    expect(byKey.get('c1@example.com')).toMatchObject({ id: b, _new: false, properties: { jobtitle: 'VP' } });
    expect(byKey.get('new@example.com')).toMatchObject({ _new: true, properties: { firstname: 'New' } });

    await client.crm.contacts.batchApi.archive({ inputs: [{ id: a ?? '' }] });
    const all = await client.crm.contacts.getAll(undefined, undefined, ['email']);
    expect(all).toHaveLength(30);
    expect(all.map((c) => c.id)).not.toContain(a);
  });

  it('list pages show writes made between them (the next page is prepared ahead, and dropped on any change)', async () => {
    await admin('POST', '/__admin/seed', { objectType: 'contacts', count: 30, seed: 9 });
    const page = (after?: string) => client.crm.contacts.basicApi.getPage(10, after, ['jobtitle']);
    const first = await page();
    const ids = (await client.crm.contacts.getAll()).map((c) => c.id);
    await client.crm.contacts.basicApi.update(ids[12] ?? '', { properties: { jobtitle: 'Changed in between' } });
    const second = await page(first.paging?.next?.after);
    expect(second.results.find((c) => c.id === ids[12])?.properties['jobtitle']).toBe('Changed in between');
    await client.crm.contacts.basicApi.archive(ids[25] ?? '');
    const third = await page(second.paging?.next?.after);
    expect(third.results.map((c) => c.id)).toEqual(ids.slice(20, 30).filter((id) => id !== ids[25]));
    expect(third.paging).toBeUndefined();
  });

  it('searches contacts by filters, query and sorts', async () => {
    await admin('POST', '/__admin/seed', { objectType: 'contacts', count: 40, seed: 4 });
    await client.crm.contacts.basicApi.create(contact('zelda@hyrule.example', { firstname: 'Zelda', lastname: 'Hyrule' }));
    const search = (body: Record<string, unknown>) => client.crm.contacts.searchApi.doSearch({ filterGroups: [], sorts: [], properties: ['email', 'firstname', 'lastname'], limit: 100, after: '0', ...body } as Parameters<typeof client.crm.contacts.searchApi.doSearch>[0]);
    expect((await search({})).total).toBe(41);
    const zelda = await search({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'ZELDA@hyrule.example' }] }] });
    expect(zelda.results.map((r) => r.properties['firstname'])).toEqual(['Zelda']);
    expect((await search({ query: 'hyru' })).results.map((r) => r.properties['lastname'])).toEqual(['Hyrule']);
    const sorted = await search({ sorts: [{ propertyName: 'lastname', direction: 'ASCENDING' }] });
    const names = sorted.results.map((r) => (r.properties['lastname'] ?? '').toLowerCase());
    expect(names).toEqual([...names].sort());
    expect((await search({ filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'HAS_PROPERTY' }] }] })).total).toBe(41);
  });

  it('describes contact properties, takes custom ones, and answers the object type aliases', async () => {
    await admin('POST', '/__admin/properties', { objectType: 'contacts', name: 'nps', type: 'number', label: 'NPS' });
    const { results } = await client.crm.properties.coreApi.getAll('contacts');
    const byName = new Map(results.map((p) => [p.name, p]));
    for (const name of ['email', 'firstname', 'lastname', 'phone', 'jobtitle', 'hubspot_owner_id', 'createdate', 'lastmodifieddate', 'hs_object_id', 'nps']) expect(byName.has(name)).toBe(true);
    expect(byName.get('lastmodifieddate')).toMatchObject({ type: 'datetime', groupName: 'contactinformation', modificationMetadata: { readOnlyValue: true } });
    expect(byName.get('hubspot_owner_id')).toMatchObject({ label: 'Contact owner', referencedObjectType: 'OWNER', options: expect.arrayContaining([expect.objectContaining({ value: expect.any(String) })]) });
    expect(byName.has('domain')).toBe(false);
    expect((await client.crm.properties.coreApi.getByName('0-1', 'nps')).label).toBe('NPS');
    expect((await client.crm.properties.coreApi.getAll('company')).results.map((p) => p.name)).toContain('domain');

    const made = await client.crm.contacts.basicApi.create(contact('alias@example.com', { nps: '9' }));
    for (const alias of ['contacts', 'contact', '0-1']) {
      expect((await client.crm.objects.basicApi.getById(alias, made.id, ['nps'])).properties['nps']).toBe('9');
    }
    const company = await client.crm.companies.basicApi.create({ properties: { name: 'Alias Inc' }, associations: [] });
    for (const alias of ['companies', 'company', '0-2']) {
      expect((await client.crm.objects.basicApi.getPage(alias, 10)).results.map((c) => c.id)).toEqual([company.id]);
    }
    const unknown = await failure(client.crm.objects.basicApi.getPage('widgets'));
    expect(unknown).toMatchObject({ code: 400, body: { ...errorShape('VALIDATION_ERROR'), message: 'Unable to infer object type from: widgets' } });
  });
});
