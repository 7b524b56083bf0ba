// Salesforce sandbox, persistence: an org saved to its data directory on close comes back on the next start
// (records, deletions, custom schema, the ID sequence), and a fresh data directory gets the seed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { admin, connect, startSandbox } from './support';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-sfdc-sandbox-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Salesforce sandbox: persistence', () => {
  it('keeps records, deletions and custom schema across a restart with the same data directory', async () => {
    const first = await startSandbox({ seed: 'none', dataDir: dir });
    let accountId: string;
    let deletedId: string;
    try {
      await admin(first, 'POST', '/__admin/schema/fields', { object: 'Account', name: 'Segment__c', type: 'picklist', values: ['SMB', 'Enterprise'] });
      const conn = connect(first);
      accountId = (await conn.sobject('Account').create({ Name: 'Persisted', Segment__c: 'Enterprise' })).id ?? '';
      deletedId = (await conn.sobject('Task').create({ Subject: 'Deleted before restart', WhatId: accountId })).id ?? '';
      await conn.sobject('Task').destroy(deletedId);
    } finally {
      await first.close();
    }
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^records-\d+\.ndjson$/), 'state.json']);

    const second = await startSandbox({ seed: 'demo', dataDir: dir });
    try {
      const conn = connect(second);
      const account = await conn.query<{ Id: string; Segment__c: string }>(`SELECT Id, Segment__c FROM Account WHERE Name = 'Persisted'`);
      expect(account.records).toEqual([expect.objectContaining({ Id: accountId, Segment__c: 'Enterprise' })]);
      // The saved org wins over the seed option: no demo accounts appeared.
      expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBe(1);
      const deleted = await conn.query<{ IsDeleted: boolean }>(`SELECT IsDeleted FROM Task WHERE Id = '${deletedId}'`, { scanAll: true });
      expect(deleted.records[0]?.IsDeleted).toBe(true);
      expect((await conn.sobject('Task').deleted(new Date(Date.now() - 3600000), new Date(Date.now() + 60000))).deletedRecords.map((d) => d.id)).toEqual([deletedId]);
      const describe = await conn.describe('Account');
      expect(describe.fields.map((f) => f.name)).toContain('Segment__c');
      // The ID sequence continues: a new record never reuses an ID.
      const next = await conn.sobject('Account').create({ Name: 'After restart' });
      expect((next.id ?? '') > accountId).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('seeds a fresh data directory and saves it on close', async () => {
    const fresh = path.join(dir, 'fresh');
    const sandbox = await startSandbox({ seed: 'demo', dataDir: fresh });
    const before = (await connect(sandbox).query('SELECT COUNT() FROM Account')).totalSize;
    await sandbox.close();
    expect(before).toBeGreaterThanOrEqual(40);
    const again = await startSandbox({ seed: 'none', dataDir: fresh });
    try {
      expect((await connect(again).query('SELECT COUNT() FROM Account')).totalSize).toBe(before);
    } finally {
      await again.close();
    }
  });
});
