// Salesforce sandbox, demo data: a realistic, deterministic org with one record for each edge case the
// integration jobs must handle.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { connect, startSandbox } from './support';

const CLOCK = () => new Date('2024-05-20T12:00:00.000Z');
let sandbox: SalesforceSandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'demo', clock: CLOCK });
});
afterAll(() => sandbox.close());

interface Task {
  Id: string;
  Subject: string | null;
  Description: string | null;
  AccountId: string | null;
  WhatId: string | null;
  SystemModstamp: string;
  IsDeleted: boolean;
  What: { attributes: { type: string } } | null;
}

describe('Salesforce sandbox: demo data', () => {
  it('is a plausible customer-success org: owners (one inactive), accounts with custom fields, contacts, tasks, events', async () => {
    const conn = connect(sandbox);
    const users = await conn.query<{ Email: string; IsActive: boolean }>("SELECT Email, IsActive FROM User WHERE Email LIKE '%@hubsync.sandbox' AND Username != 'admin@hubsync.sandbox'");
    expect(users.totalSize).toBe(6);
    expect(users.records.filter((u) => !u.IsActive)).toHaveLength(1);
    const accounts = await conn.query<Record<string, unknown>>('SELECT Name, Industry, Type, Website, OwnerId, Tier__c, Health_Score__c, Products__c, CSM_Email__c FROM Account');
    expect(accounts.totalSize).toBe(50);
    for (const a of accounts.records) {
      expect(a).toMatchObject({ Name: expect.any(String), Industry: expect.any(String), Website: expect.stringMatching(/^https:\/\//), Tier__c: expect.stringMatching(/^Tier [123]$/), Health_Score__c: expect.any(Number), CSM_Email__c: expect.stringMatching(/@hubsync\.sandbox$/) });
    }
    expect((await conn.query('SELECT COUNT() FROM Contact')).totalSize).toBeGreaterThanOrEqual(100);
    expect((await conn.query('SELECT COUNT() FROM Task WHERE IsClosed = false')).totalSize).toBeGreaterThan(20);
    expect((await conn.query('SELECT COUNT() FROM Task WHERE IsClosed = true')).totalSize).toBeGreaterThan(20);
    const events = await conn.query<{ WhoId: string | null }>('SELECT WhoId FROM Event');
    expect(events.records.filter((e) => e.WhoId?.startsWith('003')).length).toBeGreaterThan(50);
    expect((await conn.query("SELECT COUNT() FROM Account WHERE ParentId != null")).totalSize).toBe(5);
  });

  it('holds the edge cases: no subject, no subject or description, non-account What, shared SystemModstamp, deleted, derived ActivityDate', async () => {
    const conn = connect(sandbox);
    const noSubject = await conn.query<Task>("SELECT Id, Subject, AccountId FROM Task WHERE Hubsync_External_Id__c = 'edge-task-no-subject'");
    expect(noSubject.records[0]).toMatchObject({ Subject: null, AccountId: expect.stringMatching(/^001/) });

    const bare = await conn.query<{ Subject: string | null; Description: string | null }>("SELECT Subject, Description FROM Event WHERE Hubsync_External_Id__c = 'edge-event-no-subject'");
    expect(bare.records).toEqual([expect.objectContaining({ Subject: null, Description: null })]);

    const project = await conn.query<Task>("SELECT Id, AccountId, What.Name, WhatId FROM Task WHERE Hubsync_External_Id__c = 'edge-task-project'");
    expect(project.records[0]).toMatchObject({ AccountId: null, WhatId: expect.stringMatching(/^a0x/), What: { attributes: { type: 'Project__c' } } });
    const viaContact = await conn.query<Task>("SELECT AccountId FROM Task WHERE Subject LIKE 'Edge case: project task with a contact%'");
    expect(viaContact.records[0]?.AccountId).toMatch(/^001/);

    const twins = await conn.query<Task>("SELECT Id, SystemModstamp FROM Task WHERE Hubsync_External_Id__c LIKE 'edge-task-same-stamp-%'");
    expect(twins.totalSize).toBe(2);
    expect(twins.records[0]?.SystemModstamp).toBe(twins.records[1]?.SystemModstamp);

    expect((await conn.query("SELECT Id FROM Task WHERE Hubsync_External_Id__c = 'edge-task-deleted'")).totalSize).toBe(0);
    const deleted = await conn.query<Task>("SELECT Id, IsDeleted FROM Task WHERE Hubsync_External_Id__c = 'edge-task-deleted'", { scanAll: true });
    expect(deleted.records[0]?.IsDeleted).toBe(true);

    const derived = await conn.query<{ StartDateTime: string; ActivityDate: string; EndDateTime: string }>("SELECT StartDateTime, ActivityDate, EndDateTime FROM Event WHERE Subject LIKE 'Edge case: event from StartDateTime%'");
    const e = derived.records[0];
    expect(e?.ActivityDate).toBe(e?.StartDateTime.slice(0, 10));
    expect(e?.EndDateTime.slice(0, 10)).not.toBe(e?.ActivityDate);
  });

  it('is the same data every time (same clock → same IDs and values)', async () => {
    const other = await startSandbox({ seed: 'demo', clock: CLOCK });
    try {
      const soql = 'SELECT Id, Subject, Status, ActivityDate, WhoId, WhatId, OwnerId, SystemModstamp FROM Task ORDER BY Id';
      const a = await connect(sandbox).query(soql, { autoFetch: true, maxFetch: 100000 });
      const b = await connect(other).query(soql, { autoFetch: true, maxFetch: 100000 });
      expect(b.records).toEqual(a.records);
    } finally {
      await other.close();
    }
  });
  it('stamps nothing after the moment it was seeded, even just after midnight UTC', async () => {
    const justAfterMidnight = new Date('2024-05-21T00:12:00.000Z');
    const early = await startSandbox({ seed: 'demo', clock: () => justAfterMidnight });
    try {
      const conn = connect(early);
      for (const object of ['User', 'Account', 'Contact', 'Task', 'Event']) {
        const latest = await conn.query<{ SystemModstamp: string; LastModifiedDate: string }>(`SELECT SystemModstamp, LastModifiedDate FROM ${object} ORDER BY SystemModstamp DESC LIMIT 1`);
        const row = latest.records[0]!;
        expect({ object, at: Date.parse(row.SystemModstamp) <= justAfterMidnight.getTime() }).toEqual({ object, at: true });
        expect({ object, at: Date.parse(row.LastModifiedDate) <= justAfterMidnight.getTime() }).toEqual({ object, at: true });
      }
    } finally {
      await early.close();
    }
  });
});
