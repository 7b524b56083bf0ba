// Dynamics sandbox, persistence: an org saved to its data directory on close (rows, lookups, row versions,
// tombstones for change tracking, change-tracking switches, issued tokens) comes back on the next start in the
// same directory, as dynamics-web-api sees it; a fresh directory gets the seed and keeps it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamicsWebApi } from 'dynamics-web-api';
import { startDynamicsSandbox } from '../../../sandbox/dynamics';
import { adminCall, clientFor, fetchToken } from './support';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynamics-sandbox-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Dynamics sandbox: persistence', () => {
  it('brings back rows, versions, deletions for deltas and tokens after close and start', async () => {
    const dir = tempDir();
    const first = await startDynamicsSandbox({ port: 0, seed: 'none', dataDir: dir });
    const c1 = clientFor(first);
    const parent = String(await c1.create({ collection: 'accounts', data: { name: 'Ünïcode "Parent"', accountnumber: 'P-1', hubsync_products: '100000001,100000002' } }));
    const gone = String(await c1.create({ collection: 'accounts', data: { name: 'Gone' } }));
    const tracked = await c1.retrieveAll({ collection: 'accounts', select: ['name'], trackChanges: true });
    await c1.deleteRecord({ collection: 'accounts', key: gone });
    const contact = String(await c1.create({ collection: 'contacts', data: { firstname: 'Kept', lastname: 'Contact', 'parentcustomerid_account@odata.bind': `/accounts(${parent})` } }));
    const before = await c1.retrieve({ collection: 'accounts', key: parent, select: ['versionnumber', 'modifiedon'] });
    const token = String((await fetchToken(first)).body['access_token']);
    await first.close();
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^rows-\d+\.ndjson$/), 'state.json']);

    // The seed is ignored when the directory has a saved org.
    const second = await startDynamicsSandbox({ port: 0, seed: 'demo', dataDir: dir });
    try {
      // A token issued before the restart still works.
      const c2 = new DynamicsWebApi({ serverUrl: second.url, dataApi: { version: '9.2' }, onTokenRefresh: async () => token });
      await expect(c2.retrieve({ collection: 'accounts', key: "accountnumber='P-1'", select: ['name', 'hubsync_products', 'versionnumber', 'modifiedon'] })).resolves.toMatchObject({ name: 'Ünïcode "Parent"', hubsync_products: '100000001,100000002', versionnumber: before['versionnumber'], modifiedon: before['modifiedon'] });
      await expect(c2.retrieve({ collection: 'contacts', key: contact, select: ['fullname', '_parentcustomerid_value'] })).resolves.toMatchObject({ fullname: 'Kept Contact', _parentcustomerid_value: parent });
      const delta = await c2.retrieveMultiple({ collection: 'accounts' }, String(tracked.oDataDeltaLink).replace(first.url, second.url));
      expect(delta.value).toEqual([expect.objectContaining({ id: gone, reason: 'deleted' })]);
      // Versions go on where they stopped.
      await c2.update({ collection: 'accounts', key: parent, data: { name: 'Next' } });
      const after = await c2.retrieve({ collection: 'accounts', key: parent, select: ['versionnumber'] });
      expect(after['versionnumber']).toBeGreaterThan(before['versionnumber'] as number);
      expect(await adminCall(second.url, 'GET', '/__admin/health')).toMatchObject({ rows: { account: 1, contact: 1, systemuser: 1 } });
    } finally {
      await second.close();
    }
    expect(fs.readdirSync(dir)).toHaveLength(2);
  });

  it('saves a fresh org’s seed, and persist() saves while running', async () => {
    const dir = tempDir();
    const sandbox = await startDynamicsSandbox({ port: 0, seed: 'demo', dataDir: dir });
    await sandbox.persist();
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { format: number; lines: number };
    // 6 users, 25 accounts, 20 contacts.
    expect(state).toMatchObject({ format: 1, lines: 51 });
    await adminCall(sandbox.url, 'POST', '/__admin/rows/systemuser', { values: { firstname: 'New', lastname: 'User', internalemailaddress: 'new@hubsync.sandbox' } });
    await adminCall(sandbox.url, 'POST', '/__admin/persist');
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { lines: number }).lines).toBe(52);
    await sandbox.close();
  });
});
