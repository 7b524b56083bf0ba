// HubSpot sandbox, company–contact associations through @hubspot/api-client 13.x: the v4 API (default and
// labelled create, getPage, batch read, archive) with HubSpot's type IDs (company→contact 280 / primary 2,
// contact→company 279 / primary 1), associations given on create, the v3 inline `associations=contacts`,
// archived records dropping out of listings, and the demo portal's data.
import { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/associations/v4/models/AssociationSpec';
import { DEMO_PRODUCTS, DEMO_TIERS } from '../../../sandbox/hubspot';
import { clearProxyVariables } from '../../../kernel/env';
import { errorShape, failure, sandboxForFile } from './support';

clearProxyVariables();

const { sandbox, admin } = sandboxForFile();
let client: Client;
beforeAll(() => {
  client = new Client({ accessToken: sandbox().accessToken, basePath: sandbox().url, numberOfApiCallRetries: 1 });
});

const HUBSPOT_DEFINED = AssociationSpecAssociationCategoryEnum.HubspotDefined;
const PRIMARY = 'Contact with Primary Company';
const unlabeled = (typeId: number) => ({ category: 'HUBSPOT_DEFINED', typeId, label: null });
const primary = (typeId: number) => ({ category: 'HUBSPOT_DEFINED', typeId, label: PRIMARY });

async function records(): Promise<{ acme: string; globex: string; ada: string; alan: string }> {
  const companies = await client.crm.companies.batchApi.create({ inputs: ['Acme', 'Globex'].map((name) => ({ properties: { name }, associations: [] })) });
  const contacts = await client.crm.contacts.batchApi.create({ inputs: ['ada', 'alan'].map((n) => ({ properties: { email: `${n}@example.com` }, associations: [] })) });
  const [acme = '', globex = ''] = companies.results.map((r) => r.id);
  const [ada = '', alan = ''] = contacts.results.map((r) => r.id);
  return { acme, globex, ada, alan };
}

describe('HubSpot sandbox: associations v4', () => {
  it('createDefault (200) associates both ways; the first company of a contact becomes its primary', async () => {
    const { acme, globex, ada } = await records();
    const made = await client.crm.associations.v4.basicApi.createDefault('contacts', ada, 'companies', acme);
    expect(made.status).toBe('COMPLETE');
    expect(made.results.map((r) => [r._from.id, r.to.id, r.associationSpec.associationTypeId])).toEqual([
      [ada, acme, 1],
      [acme, ada, 2],
      [ada, acme, 279],
      [acme, ada, 280],
    ]);
    // A second company is not primary.
    const second = await client.crm.associations.v4.basicApi.createDefault('contact', ada, 'company', globex);
    expect(second.results.map((r) => r.associationSpec.associationTypeId)).toEqual([279, 280]);

    const page = await client.crm.associations.v4.basicApi.getPage('contacts', ada, 'companies');
    expect(page.results).toEqual([
      { toObjectId: Number(acme), associationTypes: [primary(1), unlabeled(279)] },
      { toObjectId: Number(globex), associationTypes: [unlabeled(279)] },
    ]);
    const back = await client.crm.associations.v4.basicApi.getPage('0-2', acme, '0-1');
    expect(back.results).toEqual([{ toObjectId: Number(ada), associationTypes: [primary(2), unlabeled(280)] }]);
  });

  it('create with type IDs (201 with labels) moves the primary; archive (204) removes the pair; bad types and IDs are 400', async () => {
    const { acme, globex, ada } = await records();
    await client.crm.associations.v4.basicApi.createDefault('contacts', ada, 'companies', acme);
    const labelled = await client.crm.associations.v4.basicApi.create('companies', globex, 'contacts', ada, [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 2 }]);
    expect(labelled).toEqual({ fromObjectTypeId: '0-2', fromObjectId: Number(globex), toObjectTypeId: '0-1', toObjectId: Number(ada), labels: [PRIMARY] });
    const page = await client.crm.associations.v4.basicApi.getPage('contacts', ada, 'companies');
    expect(page.results.map((r) => [String(r.toObjectId), r.associationTypes.map((t) => t.typeId)])).toEqual([
      [acme, [279]],
      [globex, [1, 279]],
    ]);

    await expect(client.crm.associations.v4.basicApi.archive('contacts', ada, 'companies', globex)).resolves.toBeUndefined();
    expect((await client.crm.associations.v4.basicApi.getPage('companies', globex, 'contacts')).results).toEqual([]);
    expect((await client.crm.associations.v4.basicApi.getPage('contacts', ada, 'companies')).results.map((r) => String(r.toObjectId))).toEqual([acme]);

    const wrongType = await failure(client.crm.associations.v4.basicApi.create('companies', acme, 'contacts', ada, [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 279 }]));
    expect(wrongType).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
    const missing = await failure(client.crm.associations.v4.basicApi.createDefault('companies', acme, 'contacts', '123'));
    expect(missing).toMatchObject({ code: 400, body: { ...errorShape('VALIDATION_ERROR'), subCategory: 'crm.associations.INVALID_OBJECT_IDS' } });
  });

  it('batch read: 200 with every input’s associations, 207 with NO_ASSOCIATIONS_FOUND for those without', async () => {
    const { acme, globex, ada, alan } = await records();
    await client.crm.associations.v4.basicApi.createDefault('companies', acme, 'contacts', ada);
    await client.crm.associations.v4.basicApi.createDefault('companies', acme, 'contacts', alan);
    const all = await client.crm.associations.v4.batchApi.getPage('companies', 'contacts', { inputs: [{ id: acme }] });
    expect(all).toMatchObject({ status: 'COMPLETE', results: [{ _from: { id: acme }, to: [{ toObjectId: Number(ada) }, { toObjectId: Number(alan) }] }] });
    expect('errors' in all ? all.errors : undefined).toBeUndefined();
    const partial = await client.crm.associations.v4.batchApi.getPage('companies', 'contacts', { inputs: [{ id: acme }, { id: globex }] });
    expect(partial).toMatchObject({ results: [{ _from: { id: acme } }], numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND', subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND', context: { fromObjectId: [globex] } }] });
  });
});

describe('HubSpot sandbox: associations in the objects API', () => {
  it('returns associations=contacts inline on get and list, takes associations on create, and hides archived records', async () => {
    const { acme, globex, ada, alan } = await records();
    await client.crm.associations.v4.basicApi.createDefault('companies', acme, 'contacts', ada);
    // On create: contact → company, primary (type 1).
    const grace = await client.crm.contacts.basicApi.create({ properties: { email: 'grace@example.com' }, associations: [{ to: { id: acme }, types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 1 }] }] });

    const read = await client.crm.companies.basicApi.getById(acme, ['name'], undefined, ['contacts']);
    expect(read.associations).toEqual({
      contacts: {
        results: [
          { id: ada, type: 'company_to_contact' },
          { id: ada, type: 'company_to_contact_unlabeled' },
          { id: grace.id, type: 'company_to_contact' },
          { id: grace.id, type: 'company_to_contact_unlabeled' },
        ],
      },
    });
    const page = await client.crm.companies.basicApi.getPage(10, undefined, ['name'], undefined, ['contacts']);
    expect(page.results.map((c) => [c.id, c.associations?.['contacts']?.results.length ?? 0])).toEqual([
      [acme, 4],
      [globex, 0],
    ]);
    expect(page.results[1]).not.toHaveProperty('associations');
    const contact = await client.crm.contacts.basicApi.getById(ada, undefined, undefined, ['companies']);
    expect(contact.associations?.['companies']?.results).toEqual([
      { id: acme, type: 'contact_to_company' },
      { id: acme, type: 'contact_to_company_unlabeled' },
    ]);

    const badType = await failure(client.crm.contacts.basicApi.create({ properties: { email: 'x@example.com' }, associations: [{ to: { id: acme }, types: [{ associationCategory: HUBSPOT_DEFINED, associationTypeId: 280 }] }] }));
    expect(badType.code).toBe(400);
    expect((await admin<{ records: { contacts: number } }>('GET', '/__admin/health')).records.contacts).toBe(3);

    // Archiving the company takes its associations out of every listing.
    await client.crm.companies.basicApi.archive(acme);
    expect((await client.crm.contacts.basicApi.getById(ada, undefined, undefined, ['companies'])).associations).toBeUndefined();
    expect((await client.crm.associations.v4.basicApi.getPage('contacts', ada, 'companies')).results).toEqual([]);
    expect((await client.crm.associations.v4.basicApi.getPage('companies', acme, 'contacts')).results).toEqual([]);
    const batch = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', { inputs: [{ id: ada }, { id: alan }] });
    expect(batch.results).toEqual([]);
    // A new company of the contact becomes its primary one, the archived one no longer being there.
    const made = await client.crm.associations.v4.basicApi.createDefault('contacts', ada, 'companies', globex);
    expect(made.results.map((r) => r.associationSpec.associationTypeId)).toContain(1);
  });
});

describe('HubSpot sandbox: demo data', () => {
  it('has 25 companies with owners, tier and 1-3 products, and 20 contacts with owners associated with the first 10', async () => {
    await admin('POST', '/__admin/reset', { seed: 'demo' });
    const tier = await client.crm.properties.coreApi.getByName('companies', 'tier');
    expect(tier).toMatchObject({ type: 'enumeration', fieldType: 'select', hubspotDefined: false, options: DEMO_TIERS.map((t) => expect.objectContaining({ value: t, label: t })) });
    const products = await client.crm.properties.coreApi.getByName('companies', 'products');
    expect(products).toMatchObject({ type: 'enumeration', fieldType: 'checkbox', options: DEMO_PRODUCTS.map((p) => expect.objectContaining({ value: p })) });

    const owners = new Set((await client.crm.owners.ownersApi.getPage()).results.map((o) => o.id));
    const companies = await client.crm.companies.getAll(100, undefined, ['name', 'tier', 'products', 'hubspot_owner_id'], undefined, ['contacts']);
    expect(companies).toHaveLength(25);
    for (const c of companies) {
      expect(DEMO_TIERS).toContain(c.properties['tier']);
      const chosen = (c.properties['products'] ?? '').split(';');
      expect(chosen.length).toBeGreaterThanOrEqual(1);
      expect(chosen.length).toBeLessThanOrEqual(3);
      for (const p of chosen) expect(DEMO_PRODUCTS).toContain(p);
      expect(owners.has(c.properties['hubspot_owner_id'] ?? '')).toBe(true);
    }
    expect(companies.map((c) => (c.associations?.['contacts']?.results.length ?? 0) / 2)).toEqual([...Array<number>(10).fill(2), ...Array<number>(15).fill(0)]);

    const contacts = await client.crm.contacts.getAll(100, undefined, ['email', 'hubspot_owner_id'], undefined, ['companies']);
    expect(contacts).toHaveLength(20);
    for (const c of contacts) {
      expect(owners.has(c.properties['hubspot_owner_id'] ?? '')).toBe(true);
      expect(c.associations?.['companies']?.results.map((r) => r.type)).toEqual(['contact_to_company', 'contact_to_company_unlabeled']);
    }
    expect(new Set(contacts.map((c) => c.properties['email'])).size).toBe(20);

    // Deterministic: a second demo portal is the same.
    const names = companies.map((c) => [c.properties['name'], c.properties['tier'], c.properties['products']]);
    await admin('POST', '/__admin/reset', { seed: 'demo' });
    const again = await client.crm.companies.getAll(100, undefined, ['name', 'tier', 'products']);
    expect(again.map((c) => [c.properties['name'], c.properties['tier'], c.properties['products']])).toEqual(names);
  });
});
