// HubSpot sandbox, persistence: a portal saved to its data directory on close (companies, contacts, archived
// records, associations, owners, custom properties, ID sequences, issued OAuth tokens) comes back on the next
// start in the same directory, as @hubspot/api-client sees it; a fresh directory gets the seed and keeps it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox } from '../../../sandbox/hubspot';
import { clearProxyVariables } from '../../../kernel/env';
import { adminCall } from './support';

clearProxyVariables();

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubspot-sandbox-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('HubSpot sandbox: persistence', () => {
  it('brings back records, associations, owners, custom properties and ID sequences after close and start', async () => {
    const dir = tempDir();
    const first = await startHubSpotSandbox({ port: 0, seed: 'none', dataDir: dir });
    const c1 = new Client({ accessToken: first.accessToken, basePath: first.url, numberOfApiCallRetries: 1 });
    await adminCall(first.url, 'POST', '/__admin/properties', { name: 'tier', type: 'enumeration', options: ['gold', 'silver'] });
    const owner = await adminCall<{ id: string }>(first.url, 'POST', '/__admin/owners', { email: 'kept@hubsync.sandbox', firstName: 'Kept' });
    const acme = await c1.crm.companies.basicApi.create({ properties: { name: 'Acme "Quoted" Ünïcode', tier: 'gold', hubspot_owner_id: owner.id }, associations: [] });
    const gone = await c1.crm.companies.basicApi.create({ properties: { name: 'Gone' }, associations: [] });
    await c1.crm.companies.basicApi.archive(gone.id);
    const ada = await c1.crm.contacts.basicApi.create({ properties: { email: 'ada@example.com', firstname: 'Ada' }, associations: [] });
    await c1.crm.associations.v4.basicApi.createDefault('contacts', ada.id, 'companies', acme.id);
    const tokens = await new Client({ basePath: first.url }).oauth.tokensApi.create('refresh_token', undefined, undefined, first.oauth.clientId, first.oauth.clientSecret, first.oauth.refreshToken);
    await first.close();

    // What was written: the state file and one records file, no temporary files left.
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^records-\d+\.ndjson$/), 'state.json']);

    // The seed is ignored when the directory has a saved portal.
    const second = await startHubSpotSandbox({ port: 0, seed: 'demo', dataDir: dir });
    try {
      const c2 = new Client({ accessToken: second.accessToken, basePath: second.url, numberOfApiCallRetries: 1 });
      const read = await c2.crm.companies.basicApi.getById(acme.id, ['name', 'tier', 'hubspot_owner_id'], undefined, ['contacts']);
      expect(read).toMatchObject({ properties: { name: 'Acme "Quoted" Ünïcode', tier: 'gold', hubspot_owner_id: owner.id }, createdAt: acme.createdAt, updatedAt: acme.updatedAt });
      expect(read.associations?.['contacts']?.results).toEqual([
        { id: ada.id, type: 'company_to_contact' },
        { id: ada.id, type: 'company_to_contact_unlabeled' },
      ]);
      expect((await c2.crm.companies.getAll()).map((c) => c.id)).toEqual([acme.id]);
      expect(await c2.crm.companies.basicApi.getById(gone.id, undefined, undefined, undefined, true)).toMatchObject({ archived: true });
      expect((await c2.crm.contacts.basicApi.getById('ada@example.com', ['firstname'], undefined, undefined, false, 'email')).properties['firstname']).toBe('Ada');
      expect((await c2.crm.properties.coreApi.getByName('companies', 'tier')).options.map((o) => o.value)).toEqual(['gold', 'silver']);
      expect((await c2.crm.owners.ownersApi.getPage('kept@hubsync.sandbox')).results.map((o) => o.id)).toEqual([owner.id]);
      // The ID sequences go on where they stopped; the OAuth access token issued before still works.
      const next = await c2.crm.companies.basicApi.create({ properties: { name: 'Next' }, associations: [] });
      expect(Number(next.id)).toBe(Number(gone.id) + 1);
      const viaOAuth = new Client({ accessToken: tokens.accessToken, basePath: second.url, numberOfApiCallRetries: 1 });
      await expect(viaOAuth.crm.contacts.basicApi.getPage()).resolves.toMatchObject({ results: [expect.objectContaining({ id: ada.id })] });
    } finally {
      await second.close();
    }
    const third = await startHubSpotSandbox({ port: 0, seed: 'none', dataDir: dir });
    try {
      expect(await adminCall(third.url, 'GET', '/__admin/health')).toMatchObject({ records: { companies: 2, archivedCompanies: 1, contacts: 1, associations: 1, owners: 6 } });
    } finally {
      await third.close();
    }
    expect(fs.readdirSync(dir)).toHaveLength(2);
  });

  it('saves a fresh portal’s seed, and persist() saves while running', async () => {
    const dir = tempDir();
    const sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo', dataDir: dir });
    await sandbox.persist();
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { format: number; lines: number; customProperties: { companies: { name: string }[] } };
    // 25 companies, 20 contacts, 20 associations.
    expect(state).toMatchObject({ format: 1, lines: 65 });
    expect(state.customProperties.companies.map((p) => p.name).sort()).toEqual(['products', 'tier']);
    await sandbox.close();
    const again = await startHubSpotSandbox({ port: 0, seed: 'none', dataDir: dir });
    try {
      expect(await adminCall(again.url, 'GET', '/__admin/health')).toMatchObject({ records: { companies: 25, contacts: 20, associations: 20 } });
    } finally {
      await again.close();
    }
  });
});
