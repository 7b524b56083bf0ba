// Salesforce sandbox, API usage and fault injection: Sforce-Limit-Info into conn.limitInfo, /limits,
// REQUEST_LIMIT_EXCEEDED, the request log, UNABLE_TO_LOCK_ROW per record, injected HTTP errors and latency.
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, connect, rejection, rest, startSandbox } from './support';

let sandbox: SalesforceSandboxHandle;

interface LogEntry {
  method: string;
  path: string;
  status: number;
  timestamp: string;
  durationMs: number;
  counted: boolean;
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none', apiDailyLimit: 1000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await admin(sandbox, 'DELETE', '/__admin/faults');
  await admin(sandbox, 'POST', '/__admin/limits', { dailyApiLimit: 1000, used: 0 });
  await admin(sandbox, 'DELETE', '/__admin/requests');
});

describe('Salesforce sandbox: API limits', () => {
  it('reports usage in Sforce-Limit-Info (parsed into conn.limitInfo) and in /limits', async () => {
    const conn = connect(sandbox);
    await conn.query('SELECT Id FROM User');
    expect(conn.limitInfo).toEqual({ apiUsage: { used: 1, limit: 1000 } });
    await conn.query('SELECT Id FROM User');
    expect(conn.limitInfo.apiUsage?.used).toBe(2);
    const limits = await conn.limits();
    expect(limits['DailyApiRequests']).toEqual({ Max: 1000, Remaining: 997 });
    expect(limits).toHaveProperty('DataStorageMB.Max');
    const raw = await rest(sandbox, 'GET', '/sobjects');
    expect(raw.headers.get('sforce-limit-info')).toBe('api-usage=4/1000');
  });

  it('refuses calls with 403 REQUEST_LIMIT_EXCEEDED once the daily allocation is spent', async () => {
    await admin(sandbox, 'POST', '/__admin/limits', { used: 998 });
    const conn = connect(sandbox);
    await conn.query('SELECT Id FROM User');
    await conn.query('SELECT Id FROM User');
    const err = await rejection(conn.query('SELECT Id FROM User'));
    expect(err).toMatchObject({ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' });
    const raw = await rest(sandbox, 'GET', '/limits');
    expect(raw).toMatchObject({ status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
    expect(raw.headers.get('sforce-limit-info')).toBe('api-usage=1000/1000');
    // The window rolls: 24 hours later the allocation is back (with a new session: the old one expired meanwhile).
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 24 * 3600 });
    await expect(connect(sandbox).query('SELECT Id FROM User')).resolves.toMatchObject({ done: true });
  });

  it('logs every API request with method, path, status and timestamp', async () => {
    const conn = connect(sandbox);
    await conn.query('SELECT Id FROM User');
    await conn.sobject('Account').create({ Name: 'Logged' });
    await rejection(conn.sobject('Account').create({}));
    const log = await admin<{ count: number; counted: number; requests: LogEntry[] }>(sandbox, 'GET', '/__admin/requests');
    expect(log.count).toBe(3);
    expect(log.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/services/data/v62.0/query', 200],
      ['POST', '/services/data/v62.0/sobjects/Account', 201],
      ['POST', '/services/data/v62.0/sobjects/Account', 400],
    ]);
    expect(log.requests[0]?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const posts = await admin<{ count: number }>(sandbox, 'GET', '/__admin/requests?method=POST&path=*/sobjects/*');
    expect(posts.count).toBe(2);
  });
});

describe('Salesforce sandbox: fault injection', () => {
  it('fails N records of a collection with UNABLE_TO_LOCK_ROW (statusCode) and writes the others', async () => {
    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'recordLock', object: 'Task', count: 2 });
    const conn = connect(sandbox);
    const results = await conn.sobject('Task').create(Array.from({ length: 5 }, (_, i) => ({ Subject: `Locked ${i}` })));
    expect(results.map((r) => r.success)).toEqual([false, false, true, true, true]);
    expect((results[0] as unknown as { errors: unknown[] }).errors).toEqual([{ statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] }]);
    expect((await conn.query("SELECT COUNT() FROM Task WHERE Subject LIKE 'Locked %'")).totalSize).toBe(3);
    // The fault is spent after two records.
    await expect(conn.sobject('Task').create({ Subject: 'Locked later' })).resolves.toMatchObject({ success: true });

    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'recordLock', operations: ['update'], rate: 1 });
    const { id } = await conn.sobject('Task').create({ Subject: 'Update me' });
    const single = await rejection(conn.sobject('Task').update({ Id: id ?? '', Subject: 'no' }));
    expect(single).toMatchObject({ errorCode: 'UNABLE_TO_LOCK_ROW', message: `unable to obtain exclusive access to this record or 1 records: ${id}` });
  });

  it('answers matching requests with an injected status and body (403 on a query)', async () => {
    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '*/query', status: 403, body: [{ message: 'Injected', errorCode: 'INSUFFICIENT_ACCESS' }], count: 1 });
    const conn = connect(sandbox);
    const err = await rejection(conn.query('SELECT Id FROM User'));
    expect(err).toMatchObject({ errorCode: 'INSUFFICIENT_ACCESS', message: 'Injected' });
    await expect(conn.query('SELECT Id FROM User')).resolves.toMatchObject({ done: true });
    // Default body when none is given: Salesforce's for that status.
    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'http', path: '/services/data/*/sobjects/Account', status: 403, count: 1 });
    expect((await rejection(conn.sobject('Account').create({ Name: 'x' }))).errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
  });

  it('shows jsforce retrying an injected 503 on a GET silently', async () => {
    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'http', method: 'GET', path: '*/query', status: 503, count: 1 });
    const conn = connect(sandbox);
    await expect(conn.query('SELECT Id FROM User')).resolves.toMatchObject({ done: true });
    const log = await admin<{ requests: LogEntry[] }>(sandbox, 'GET', '/__admin/requests?path=*/query');
    expect(log.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(log.requests[0]?.counted).toBe(false);
  });

  it('adds latency to matching requests', async () => {
    await admin(sandbox, 'POST', '/__admin/faults', { kind: 'latency', path: '*/limits', latencyMs: 300, count: 1 });
    const conn = connect(sandbox);
    await conn.limits();
    await conn.limits();
    const log = await admin<{ requests: LogEntry[] }>(sandbox, 'GET', '/__admin/requests?path=*/limits');
    expect(log.requests[0]?.durationMs).toBeGreaterThanOrEqual(300);
    expect(log.requests[1]?.durationMs).toBeLessThan(300);
    const faults = await admin<{ faults: unknown[] }>(sandbox, 'GET', '/__admin/faults');
    expect(faults.faults).toEqual([]);
  });
});
