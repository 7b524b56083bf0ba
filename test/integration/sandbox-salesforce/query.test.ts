// Salesforce sandbox, query resources: paging through queryMore and autoFetch, batch sizes, fixed result
// sets, queryAll, locators and cursor limits, relationship fields, and the shape jsforce expects.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, API_VERSION, connect, rejection, rest, startSandbox, unknownId } from './support';

let sandbox: SalesforceSandboxHandle;

interface TaskRow {
  Id: string;
  Subject: string | null;
  Owner: { attributes: { type: string; url: string }; Email: string } | null;
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none' });
  await admin(sandbox, 'POST', '/__admin/seed', { object: 'Account', count: 3 });
  await admin(sandbox, 'POST', '/__admin/seed', { object: 'Task', count: 10500 });
});
afterAll(() => sandbox.close());

describe('Salesforce sandbox: query', () => {
  it('pages 4,500 rows through queryMore with nextRecordsUrl locators of the form 01g…-offset', async () => {
    const conn = connect(sandbox);
    const soql = 'SELECT Id, Subject FROM Task ORDER BY SystemModstamp, Id LIMIT 4500';
    let page = await conn.query<TaskRow>(soql);
    const pages = [page];
    while (!page.done) {
      // jsforce hands back its own absolute URL built from the locator (the last path segment).
      expect(page.nextRecordsUrl).toMatch(new RegExp(`/services/data/v${API_VERSION}/query/01g[0-9A-Za-z]{15}-\\d+$`));
      page = await conn.queryMore<TaskRow>(page.nextRecordsUrl ?? '');
      pages.push(page);
    }
    expect(pages.map((p) => p.records.length)).toEqual([2000, 2000, 500]);
    expect(pages.every((p) => p.totalSize === 4500)).toBe(true);
    expect(pages[0]?.nextRecordsUrl).toMatch(/-2000$/);
    expect(pages[1]?.nextRecordsUrl).toMatch(/-4000$/);
    expect(pages[2]?.nextRecordsUrl).toBeUndefined();
    const ids = pages.flatMap((p) => p.records.map((r) => r.Id));
    expect(new Set(ids).size).toBe(4500);

    // On the wire, Salesforce's relative form.
    const raw = await rest(sandbox, 'GET', `/query?q=${encodeURIComponent(soql)}`);
    expect(raw.body).toMatchObject({ totalSize: 4500, done: false, nextRecordsUrl: expect.stringMatching(new RegExp(`^/services/data/v${API_VERSION}/query/01g[0-9A-Za-z]{15}-2000$`)) });
    expect(Object.keys(raw.body as object)).toEqual(['totalSize', 'done', 'nextRecordsUrl', 'records']);
  });

  it('follows locators with autoFetch: stops silently at maxFetch 10,000 by default, gets everything with maxFetch raised', async () => {
    const conn = connect(sandbox);
    const capped = await conn.query('SELECT Id FROM Task', { autoFetch: true });
    expect(capped.records).toHaveLength(10000);
    expect(capped.totalSize).toBe(10500);
    expect(capped.done).toBe(false);
    expect(capped.nextRecordsUrl).toMatch(/\/query\/01g/);

    const all = await conn.query<{ Id: string }>('SELECT Id FROM Task', { autoFetch: true, maxFetch: 20000 });
    expect(all.records).toHaveLength(10500);
    expect(all.done).toBe(true);
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(10500);
  });

  it('honours Sforce-Query-Options batchSize (clamped to 200..2000)', async () => {
    const conn = connect(sandbox);
    const page = await conn.query('SELECT Id FROM Task', { headers: { 'Sforce-Query-Options': 'batchSize=500' } });
    expect(page.records).toHaveLength(500);
    expect(page.nextRecordsUrl).toMatch(/-500$/);
    const next = await conn.queryMore(page.nextRecordsUrl ?? '');
    expect(next.records).toHaveLength(500);
    const tiny = await conn.query('SELECT Id FROM Task', { headers: { 'Sforce-Query-Options': 'batchSize=10' } });
    expect(tiny.records).toHaveLength(200);
  });

  it('keeps the result set of a started query when records change afterwards', async () => {
    const conn = connect(sandbox);
    const soql = "SELECT Id, Subject FROM Task WHERE Subject = 'Call' ORDER BY Id";
    const first = await conn.query<TaskRow>(soql, { headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    expect(first.done).toBe(false);
    const total = first.totalSize;
    // Change a row of the next page and delete another: the cursor still serves what matched at the start.
    const expected = (await conn.query<TaskRow>(soql, { autoFetch: true, maxFetch: 100000 })).records;
    const victim = expected[300];
    const edited = expected[301];
    if (!victim || !edited) throw new Error('not enough rows');
    await conn.sobject('Task').destroy(victim.Id);
    await conn.sobject('Task').update({ Id: edited.Id, Subject: 'Changed' });
    const rest = await conn.queryMore<TaskRow>(first.nextRecordsUrl ?? '');
    expect(rest.totalSize).toBe(total);
    expect(rest.records[100]?.Id).toBe(victim.Id);
    expect(rest.records[101]).toMatchObject({ Id: edited.Id, Subject: 'Call' });
    // A new query sees the changes.
    const now = await conn.query<TaskRow>(soql, { autoFetch: true, maxFetch: 100000 });
    expect(now.totalSize).toBe(total - 2);
  });

  it('includes deleted rows in queryAll (IsDeleted = true) and pages it through /query/ locators', async () => {
    const conn = connect(sandbox);
    const { id } = await conn.sobject('Task').create({ Subject: 'to be deleted' });
    await conn.sobject('Task').destroy(id ?? '');
    const live = await conn.query(`SELECT Id FROM Task WHERE Id = '${id}'`);
    expect(live.totalSize).toBe(0);
    const all = await conn.query<{ Id: string; IsDeleted: boolean }>(`SELECT Id, IsDeleted FROM Task WHERE Id = '${id}'`, { scanAll: true });
    expect(all.records).toEqual([expect.objectContaining({ Id: id, IsDeleted: true })]);
    const paged = await conn.query('SELECT Id FROM Task WHERE IsDeleted = true', { scanAll: true });
    expect(paged.totalSize).toBeGreaterThanOrEqual(2);
    const big = await conn.query('SELECT Id FROM Task', { scanAll: true });
    expect(big.nextRecordsUrl).toMatch(new RegExp(`/services/data/v${API_VERSION}/query/01g`));
  });

  it('nests relationship fields as jsforce expects (Owner.Email), and gives done/records on empty results', async () => {
    const conn = connect(sandbox);
    const result = await conn.query<TaskRow>('SELECT Id, Subject, Owner.Email FROM Task LIMIT 2');
    const row = result.records[0];
    expect(row?.Owner).toEqual({ attributes: { type: 'User', url: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/User\/005/) }, Email: sandbox.credentials.username });
    expect(Object.keys(row ?? {})).toEqual(['attributes', 'Id', 'Subject', 'Owner']);

    const raw = await rest(sandbox, 'GET', `/query?q=${encodeURIComponent("SELECT Id FROM Task WHERE Subject = 'no such subject'")}`);
    expect(raw.status).toBe(200);
    expect(raw.body).toEqual({ totalSize: 0, done: true, records: [] });
    expect(raw.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    const count = await rest(sandbox, 'GET', `/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`);
    expect(count.body).toEqual({ totalSize: 3, done: true, records: [] });
  });

  it('answers query errors as Salesforce does', async () => {
    const conn = connect(sandbox);
    expect((await rejection(conn.query('SELECT Nope__c FROM Task'))).errorCode).toBe('INVALID_FIELD');
    expect((await rejection(conn.query('SELECT Id FROM Nope__c'))).errorCode).toBe('INVALID_TYPE');
    expect((await rejection(conn.query('SELEKT Id FROM Task'))).errorCode).toBe('MALFORMED_QUERY');
    const missing = await rest(sandbox, 'GET', '/query');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual([{ message: 'A query string has to be specified', errorCode: 'MALFORMED_QUERY' }]);
  });

  it('refuses unknown locators, releases the oldest of more than 10 open cursors, and expires idle ones', async () => {
    const conn = connect(sandbox);
    expect((await rejection(conn.queryMore(`${unknownId('01g')}-2000`))).errorCode).toBe('INVALID_QUERY_LOCATOR');
    const open = [];
    for (let i = 0; i < 11; i++) open.push(await conn.query('SELECT Id FROM Task'));
    const oldest = await rejection(conn.queryMore(open[0]?.nextRecordsUrl ?? ''));
    expect(oldest).toMatchObject({ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' });
    await expect(conn.queryMore(open[10]?.nextRecordsUrl ?? '')).resolves.toMatchObject({ totalSize: expect.any(Number) });

    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 16 * 60 });
    const fresh = connect(sandbox);
    expect((await rejection(fresh.queryMore(open[5]?.nextRecordsUrl ?? ''))).errorCode).toBe('INVALID_QUERY_LOCATOR');
  });

  it('accepts any vNN.N API version in the path', async () => {
    const old = connect(sandbox, '48.0');
    const page = await old.query('SELECT Id FROM Account');
    expect(page.records[0]?.attributes?.url).toMatch(/^\/services\/data\/v48\.0\/sobjects\/Account\//);
  });
});
