// Salesforce sandbox, replication: getUpdated by SystemModstamp and getDeleted from the delete log, with
// Salesforce's window rules, plus queryAll for the same deletions.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, connect, rejection, startSandbox } from './support';

const NOW = Date.parse('2024-05-20T12:00:30.000Z');
let sandbox: SalesforceSandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none', clock: () => new Date(NOW) });
});
afterAll(() => sandbox.close());

const minutesAgo = (n: number) => new Date(NOW - n * 60000);

describe('Salesforce sandbox: replication', () => {
  it('lists records updated in the window by SystemModstamp, with latestDateCovered', async () => {
    const conn = connect(sandbox);
    await admin(sandbox, 'POST', '/__admin/clock', { now: minutesAgo(90).toISOString() });
    const old = await conn.sobject('Account').create({ Name: 'Old' });
    await admin(sandbox, 'POST', '/__admin/clock', { now: minutesAgo(30).toISOString() });
    const recent = await conn.sobject('Account').create({ Name: 'Recent' });
    await admin(sandbox, 'POST', '/__admin/clock', { now: minutesAgo(10).toISOString() });
    await conn.sobject('Account').update({ Id: old.id ?? '', Name: 'Old, touched' });
    await admin(sandbox, 'POST', '/__admin/clock', { now: new Date(NOW).toISOString() });

    const result = await conn.sobject('Account').updated(minutesAgo(60), new Date(NOW));
    expect(result).toEqual({ ids: [recent.id, old.id], latestDateCovered: '2024-05-20T12:00:00.000+0000' });
    const earlier = await conn.sobject('Account').updated(minutesAgo(100), minutesAgo(60));
    expect(earlier.ids).toEqual([]);
  });

  it('refuses windows Salesforce refuses: start not before end, or more than 30 days back', async () => {
    const conn = connect(sandbox);
    const reversed = await rejection(conn.sobject('Account').updated(new Date(NOW), minutesAgo(5)));
    expect(reversed.errorCode).toBe('INVALID_REPLICATION_DATE');
    const tooOld = await rejection(conn.sobject('Account').updated(minutesAgo(31 * 24 * 60), new Date(NOW)));
    expect(tooOld).toMatchObject({ errorCode: 'INVALID_REPLICATION_DATE', message: 'startDate cannot be more than 30 days ago' });
    const deletedTooOld = await rejection(conn.sobject('Account').deleted(minutesAgo(16 * 24 * 60), new Date(NOW)));
    expect(deletedTooOld.errorCode).toBe('INVALID_REPLICATION_DATE');
  });

  it('reports deletions through getDeleted and queryAll', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Task').create({ Subject: 'Soon gone' });
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 60 });
    await conn.sobject('Task').destroy(id ?? '');
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 120 });

    const deleted = await conn.sobject('Task').deleted(minutesAgo(5), new Date(NOW + 10 * 60000));
    expect(Object.keys(deleted).sort()).toEqual(['deletedRecords', 'earliestDateAvailable', 'latestDateCovered']);
    expect(deleted.deletedRecords).toEqual([{ id, deletedDate: expect.stringMatching(/^2024-05-20T12:01:30\.\d{3}\+0000$/) }]);
    expect(deleted.latestDateCovered).toBe('2024-05-20T12:03:00.000+0000');

    const all = await conn.query<{ Id: string; IsDeleted: boolean; Subject: string }>(`SELECT Id, IsDeleted, Subject FROM Task WHERE Id = '${id}'`, { scanAll: true });
    expect(all.records).toEqual([expect.objectContaining({ Id: id, IsDeleted: true, Subject: 'Soon gone' })]);
    // getUpdated does not list deleted records.
    const updated = await conn.sobject('Task').updated(minutesAgo(5), new Date(NOW + 10 * 60000));
    expect(updated.ids).not.toContain(id);

    // After the 15-day recycle bin, the record is gone from queryAll too.
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 16 * 24 * 3600 });
    const purged = await connect(sandbox).query(`SELECT Id FROM Task WHERE Id = '${id}'`, { scanAll: true });
    expect(purged.totalSize).toBe(0);
  });
});
