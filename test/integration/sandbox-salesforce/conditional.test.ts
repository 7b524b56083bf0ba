// Salesforce sandbox, conditional request headers on sObject Rows, driven through jsforce: the Account ETag,
// If-Match / If-None-Match (Account only), If-Modified-Since / If-Unmodified-Since (any object), 304 and 412,
// 400 for malformed values on PATCH and POST, DELETE ignoring them, and a change made while a PATCH is held
// back by a latency fault turning that PATCH into a 412.
import { type Connection, type HttpMethods } from 'jsforce';
import HttpApi from 'jsforce/lib/http-api';
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, API_VERSION, connect, rejection, startSandbox } from './support';

let sandbox: SalesforceSandboxHandle;
let conn: Connection;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none' });
  conn = connect(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => admin(sandbox, 'DELETE', '/__admin/faults'));

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  error?: { errorCode?: string; message: string };
}

/** A REST call through jsforce's own HttpApi, which also hands over the response status and headers. */
async function call(method: HttpMethods, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  const api = new HttpApi(conn, {});
  let response: { statusCode: number; headers: Record<string, string> } | undefined;
  api.on('response', (r: { statusCode: number; headers: Record<string, string> }) => {
    response = r;
  });
  const request = {
    method,
    url: `${sandbox.url}/services/data/v${API_VERSION}${path}`,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  let result: unknown;
  let error: Answer['error'];
  try {
    result = await api.request(request);
  } catch (err) {
    error = err as Answer['error'];
  }
  if (!response) throw new Error(`no response to ${method} ${path}`);
  return error ? { status: response.statusCode, headers: response.headers, body: result, error } : { status: response.statusCode, headers: response.headers, body: result };
}

const ETAG = /^"[A-Za-z0-9+/]{43}=--gzip"$/;

async function etagOf(type: string, id: string): Promise<string> {
  const answer = await call('GET', `/sobjects/${type}/${id}`);
  expect(answer.status).toBe(200);
  const etag = answer.headers['etag'];
  if (!etag) throw new Error(`no ETag on ${type} ${id}`);
  return etag;
}

interface Row {
  Name?: string;
  LastName?: string;
  LastModifiedDate: string;
}

async function row(type: string, id: string): Promise<Row> {
  return (await conn.sobject(type).retrieve(id)) as unknown as Row;
}

/** LastModifiedDate (`...000+0000`) in epoch ms. */
async function lastModified(type: string, id: string): Promise<number> {
  return Date.parse((await row(type, id)).LastModifiedDate.replace('+0000', 'Z'));
}

/** The header date format Salesforce documents, `EEE, dd MMM yyyy HH:mm:ss z`, in GMT or MST (UTC-7). */
function httpDate(ms: number, zone: 'GMT' | 'MST' = 'GMT'): string {
  return zone === 'GMT' ? new Date(ms).toUTCString() : new Date(ms - 7 * 3600_000).toUTCString().replace('GMT', 'MST');
}

async function createAccount(name: string): Promise<string> {
  return (await conn.sobject('Account').create({ Name: name })).id ?? '';
}

async function createContact(lastName: string): Promise<string> {
  return (await conn.sobject('Contact').create({ LastName: lastName })).id ?? '';
}

/** Waits until the sandbox has taken up every injected fault (a spent `count: 1` fault is removed). */
async function faultsSpent(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { faults } = await admin<{ faults: unknown[] }>(sandbox, 'GET', '/__admin/faults');
    if (faults.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the injected fault was never used');
}

describe('Salesforce sandbox: ETag on sObject Rows (Account records only)', () => {
  it('answers Account GET, HEAD and PATCH with a quoted content hash that follows every change, and sends none for a Contact', async () => {
    await admin(sandbox, 'POST', '/__admin/clock', { frozen: true });
    try {
      const id = await createAccount('Tagged');
      const get = await call('GET', `/sobjects/Account/${id}`);
      expect(get.status).toBe(200);
      expect(get.headers['etag']).toMatch(ETAG);
      expect(get.body).toMatchObject({ Id: id, Name: 'Tagged' });
      // Salesforce documents no Last-Modified response header on sObject Rows.
      expect(get.headers['last-modified']).toBeUndefined();
      // Stable while nothing changes, whatever the field list, and on HEAD too.
      expect(await etagOf('Account', id)).toBe(get.headers['etag']);
      expect((await call('GET', `/sobjects/Account/${id}?fields=Name`)).headers['etag']).toBe(get.headers['etag']);
      const head = await call('HEAD', `/sobjects/Account/${id}`);
      expect([head.status, head.headers['etag']]).toEqual([200, get.headers['etag']]);

      // A PATCH answers with the ETag of the new version, which GET then reports.
      const patched = await call('PATCH', `/sobjects/Account/${id}`, {}, { Industry: 'Energy' });
      expect(patched.status).toBe(204);
      expect(patched.headers['etag']).toMatch(ETAG);
      expect(patched.headers['etag']).not.toBe(get.headers['etag']);
      expect(await etagOf('Account', id)).toBe(patched.headers['etag']);

      // The same values again within the same second: the content is unchanged, and so is the ETag...
      expect((await call('PATCH', `/sobjects/Account/${id}`, {}, { Industry: 'Energy' })).headers['etag']).toBe(patched.headers['etag']);
      // ...but a second later only LastModifiedDate/SystemModstamp differ, and that is a change.
      await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 1 });
      const touched = await call('PATCH', `/sobjects/Account/${id}`, {}, { Industry: 'Energy' });
      expect(touched.headers['etag']).toMatch(ETAG);
      expect(touched.headers['etag']).not.toBe(patched.headers['etag']);

      const contactId = await createContact('Untagged');
      const contact = await call('GET', `/sobjects/Contact/${contactId}`);
      expect(contact.status).toBe(200);
      expect(contact.headers['etag']).toBeUndefined();
      const contactPatch = await call('PATCH', `/sobjects/Contact/${contactId}`, {}, { FirstName: 'Still' });
      expect(contactPatch.status).toBe(204);
      expect(contactPatch.headers['etag']).toBeUndefined();
    } finally {
      await admin(sandbox, 'POST', '/__admin/clock', { frozen: false });
    }
  });
});

describe('Salesforce sandbox: If-Match and If-None-Match', () => {
  it('If-Match: a matching ETag (one of a list, or *) lets the PATCH through; a stale one is 412 PRECONDITION_FAILED and writes nothing', async () => {
    const id = await createAccount('Matched');
    const etag = await etagOf('Account', id);
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Matched 2' }, { headers: { 'If-Match': etag } })).resolves.toEqual({ id, success: true, errors: [] });
    expect((await row('Account', id)).Name).toBe('Matched 2');

    // `etag` is stale now.
    const before = await row('Account', id);
    const stale = await rejection(conn.sobject('Account').update({ Id: id, Name: 'Lost update' }, { headers: { 'If-Match': etag } }));
    expect(stale).toMatchObject({ errorCode: 'PRECONDITION_FAILED', message: expect.stringContaining('If-Match') });
    expect(await row('Account', id)).toEqual(before);
    const raw = await call('PATCH', `/sobjects/Account/${id}`, { 'If-Match': etag }, { Name: 'Lost update' });
    expect(raw.status).toBe(412);
    expect(raw.error?.errorCode).toBe('PRECONDITION_FAILED');
    // A GET with a stale If-Match is refused the same way.
    expect((await rejection(conn.request({ method: 'GET', url: `/services/data/v${API_VERSION}/sobjects/Account/${id}`, headers: { 'If-Match': etag } }))).errorCode).toBe('PRECONDITION_FAILED');

    const current = await etagOf('Account', id);
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Matched 3' }, { headers: { 'If-Match': `"stale-one", ${current}` } })).resolves.toMatchObject({ success: true });
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Matched 4' }, { headers: { 'If-Match': '*' } })).resolves.toMatchObject({ success: true });
    // The -gzip suffix a compressing front end adds does not take part in the comparison.
    const latest = await etagOf('Account', id);
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Matched 5' }, { headers: { 'If-Match': latest.replace('--gzip"', '"') } })).resolves.toMatchObject({ success: true });
    // If-Match compares strongly: a weak tag never matches.
    const weak = await call('PATCH', `/sobjects/Account/${id}`, { 'If-Match': `W/${await etagOf('Account', id)}` }, { Name: 'Weak' });
    expect(weak.status).toBe(412);
    expect((await row('Account', id)).Name).toBe('Matched 5');
  });

  it('If-None-Match: a matching ETag makes GET and HEAD 304 without a body and a PATCH 412; any other passes', async () => {
    const id = await createAccount('Cached');
    const etag = await etagOf('Account', id);
    const notModified = await call('GET', `/sobjects/Account/${id}`, { 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers['content-length']).toBeUndefined();
    expect(notModified.headers['etag']).toBe(etag);
    expect((await call('HEAD', `/sobjects/Account/${id}`, { 'If-None-Match': `"other", ${etag}` })).status).toBe(304);
    // If-None-Match compares weakly, and `*` matches any version.
    expect((await call('GET', `/sobjects/Account/${id}`, { 'If-None-Match': `W/${etag}` })).status).toBe(304);
    expect((await call('GET', `/sobjects/Account/${id}`, { 'If-None-Match': '*' })).status).toBe(304);
    // jsforce's conn.request resolves a 304 to the empty body.
    await expect(conn.request({ method: 'GET', url: `/services/data/v${API_VERSION}/sobjects/Account/${id}`, headers: { 'If-None-Match': etag } })).resolves.toBe('');

    const fresh = await call('GET', `/sobjects/Account/${id}`, { 'If-None-Match': '"some-other-version--gzip"' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ Id: id, Name: 'Cached' });

    const refused = await rejection(conn.sobject('Account').update({ Id: id, Name: 'Not again' }, { headers: { 'If-None-Match': etag } }));
    expect(refused).toMatchObject({ errorCode: 'PRECONDITION_FAILED', message: expect.stringContaining('If-None-Match') });
    expect((await row('Account', id)).Name).toBe('Cached');
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Changed' }, { headers: { 'If-None-Match': '"some-other-version--gzip"' } })).resolves.toMatchObject({ success: true });
    expect((await row('Account', id)).Name).toBe('Changed');
  });

  it('ignores If-Match and If-None-Match on objects other than Account', async () => {
    const id = await createContact('Ignored');
    expect((await call('GET', `/sobjects/Contact/${id}`, { 'If-None-Match': '*' })).status).toBe(200);
    expect((await call('GET', `/sobjects/Contact/${id}`, { 'If-Match': '"not-its-etag"' })).status).toBe(200);
    await expect(conn.sobject('Contact').update({ Id: id, LastName: 'Written' }, { headers: { 'If-Match': '"not-its-etag"' } })).resolves.toMatchObject({ success: true });
    expect((await row('Contact', id)).LastName).toBe('Written');
  });
});

describe('Salesforce sandbox: If-Modified-Since and If-Unmodified-Since', () => {
  it('If-Modified-Since: 304 while the record has not changed after the date, 200 once it has (any object, any zone)', async () => {
    const id = await createContact('Dated');
    const modified = await lastModified('Contact', id);
    const path = `/sobjects/Contact/${id}`;
    expect((await call('GET', path, { 'If-Modified-Since': httpDate(modified) })).status).toBe(304);
    expect((await call('HEAD', path, { 'If-Modified-Since': httpDate(modified + 60_000) })).status).toBe(304);
    expect((await call('GET', path, { 'If-Modified-Since': httpDate(modified, 'MST') })).status).toBe(304);
    const older = await call('GET', path, { 'If-Modified-Since': httpDate(modified - 1000) });
    expect(older.status).toBe(200);
    expect(older.body).toMatchObject({ Id: id, LastName: 'Dated' });
    expect((await call('GET', path, { 'If-Modified-Since': httpDate(modified - 1000, 'MST') })).status).toBe(200);
    // A value that is not a date is ignored on GET, as HTTP has it.
    expect((await call('GET', path, { 'If-Modified-Since': 'yesterday' })).status).toBe(200);

    // After a change (a minute later on the sandbox clock) the old date no longer holds.
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 60 });
    await conn.sobject('Contact').update({ Id: id, FirstName: 'Newly' });
    const changed = await call('GET', path, { 'If-Modified-Since': httpDate(modified) });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ FirstName: 'Newly' });
    // Accounts too (there If-None-Match would take precedence; without it the date decides).
    const accountId = await createAccount('Dated Inc');
    expect((await call('GET', `/sobjects/Account/${accountId}`, { 'If-Modified-Since': httpDate(await lastModified('Account', accountId)) })).status).toBe(304);
  });

  it('If-Unmodified-Since: a date before LastModifiedDate is 412 and writes nothing; at or after it the PATCH is written', async () => {
    const id = await createContact('Guarded');
    const modified = await lastModified('Contact', id);
    const before = await row('Contact', id);
    const refused = await rejection(conn.sobject('Contact').update({ Id: id, LastName: 'Overwritten' }, { headers: { 'If-Unmodified-Since': httpDate(modified - 1000) } }));
    expect(refused).toMatchObject({ errorCode: 'PRECONDITION_FAILED', message: expect.stringContaining('If-Unmodified-Since') });
    expect(await row('Contact', id)).toEqual(before);
    expect((await call('GET', `/sobjects/Contact/${id}`, { 'If-Unmodified-Since': httpDate(modified - 1000) })).status).toBe(412);
    expect((await call('GET', `/sobjects/Contact/${id}`, { 'If-Unmodified-Since': httpDate(modified) })).status).toBe(200);

    await expect(conn.sobject('Contact').update({ Id: id, LastName: 'Written at' }, { headers: { 'If-Unmodified-Since': httpDate(modified) } })).resolves.toMatchObject({ success: true });
    expect((await row('Contact', id)).LastName).toBe('Written at');
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 5 });
    const later = await lastModified('Contact', id);
    await expect(conn.sobject('Contact').update({ Id: id, LastName: 'Written after' }, { headers: { 'If-Unmodified-Since': httpDate(later + 3600_000, 'MST') } })).resolves.toMatchObject({ success: true });
    expect((await row('Contact', id)).LastName).toBe('Written after');
  });

  it('evaluates If-Match before If-Unmodified-Since, as HTTP/1.1 orders them: a matching ETag wins over an old date', async () => {
    const id = await createAccount('Ordered');
    const modified = await lastModified('Account', id);
    const etag = await etagOf('Account', id);
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Ordered 2' }, { headers: { 'If-Match': etag, 'If-Unmodified-Since': httpDate(modified - 3600_000) } })).resolves.toMatchObject({ success: true });
    // Without If-Match, the same date refuses.
    expect((await rejection(conn.sobject('Account').update({ Id: id, Name: 'Ordered 3' }, { headers: { 'If-Unmodified-Since': httpDate(modified - 3600_000) } }))).errorCode).toBe('PRECONDITION_FAILED');
    expect((await row('Account', id)).Name).toBe('Ordered 2');
  });
});

describe('Salesforce sandbox: malformed conditional headers, and DELETE', () => {
  it('answers 400 INVALID_HEADER_VALUE for a malformed If-Match, If-None-Match or If-Unmodified-Since on PATCH and POST, and writes nothing', async () => {
    const id = await createAccount('Strict');
    const before = await row('Account', id);
    for (const headers of [{ 'If-Match': 'not-quoted' }, { 'If-None-Match': '"unterminated' }, { 'If-Unmodified-Since': '2024-05-01T00:00:00Z' }, { 'If-Unmodified-Since': 'Fri, 31 Feb 2024 10:00:00 GMT' }]) {
      const err = await rejection(conn.sobject('Account').update({ Id: id, Name: 'Malformed' }, { headers }));
      expect(err).toMatchObject({ errorCode: 'INVALID_HEADER_VALUE', message: expect.stringContaining(Object.keys(headers)[0] ?? '') });
    }
    expect(await row('Account', id)).toEqual(before);
    const raw = await call('PATCH', `/sobjects/Account/${id}`, { 'If-Match': 'not-quoted' }, { Name: 'Malformed' });
    expect(raw.status).toBe(400);

    // On other objects If-Match has no effect, malformed or not; If-Unmodified-Since is still checked.
    const contactId = await createContact('Strict');
    expect((await rejection(conn.sobject('Contact').update({ Id: contactId, LastName: 'Malformed' }, { headers: { 'If-Unmodified-Since': 'soon' } }))).errorCode).toBe('INVALID_HEADER_VALUE');
    await expect(conn.sobject('Contact').update({ Id: contactId, LastName: 'Fine' }, { headers: { 'If-Match': 'not-quoted' } })).resolves.toMatchObject({ success: true });

    // POST (create): the same 400, and no record.
    const created = await call('POST', '/sobjects/Account', { 'If-None-Match': 'bare' }, { Name: 'Never created' });
    expect(created.status).toBe(400);
    expect(created.error?.errorCode).toBe('INVALID_HEADER_VALUE');
    expect((await conn.query("SELECT COUNT() FROM Account WHERE Name = 'Never created'")).totalSize).toBe(0);

    // GET ignores malformed values.
    expect((await call('GET', `/sobjects/Account/${id}`, { 'If-Match': 'not-quoted', 'If-Unmodified-Since': 'soon' })).status).toBe(200);
  });

  it('DELETE ignores the conditional headers (Salesforce does not support them on DELETE) and deletes', async () => {
    const id = await createAccount('Doomed');
    const modified = await lastModified('Account', id);
    const deleted = await call('DELETE', `/sobjects/Account/${id}`, { 'If-Match': '"stale--gzip"', 'If-Unmodified-Since': httpDate(modified - 3600_000) });
    expect(deleted.status).toBe(204);
    expect((await conn.query(`SELECT COUNT() FROM Account WHERE Id = '${id}'`)).totalSize).toBe(0);
    const other = await createAccount('Doomed too');
    expect((await call('DELETE', `/sobjects/Account/${other}`, { 'If-Match': 'not-quoted' })).status).toBe(204);
  });
});

describe('Salesforce sandbox: a change made while a PATCH is delayed', () => {
  const delay = (path: string) => admin(sandbox, 'POST', '/__admin/faults', { kind: 'latency', method: 'PATCH', path, latencyMs: 1500, count: 1 });

  it('turns the delayed PATCH sent with the earlier ETag into a 412, and keeps the other change', async () => {
    const id = await createAccount('Contended');
    const etag = await etagOf('Account', id);
    await delay(`*/sobjects/Account/${id}`);
    const mine = rejection(conn.sobject('Account').update({ Id: id, Name: 'Mine' }, { headers: { 'If-Match': etag } }));
    await faultsSpent();
    // Someone else writes while mine is held back (the fault is spent, so theirs is not delayed).
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 2 });
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Theirs' })).resolves.toMatchObject({ success: true });
    expect(await mine).toMatchObject({ errorCode: 'PRECONDITION_FAILED' });
    expect((await row('Account', id)).Name).toBe('Theirs');

    // Control: the same delay with nothing changed meanwhile, and the ETag still matches.
    const current = await etagOf('Account', id);
    await delay(`*/sobjects/Account/${id}`);
    const started = Date.now();
    await expect(conn.sobject('Account').update({ Id: id, Name: 'Mine after all' }, { headers: { 'If-Match': current } })).resolves.toMatchObject({ success: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect((await row('Account', id)).Name).toBe('Mine after all');
  });

  it('turns the delayed PATCH sent with the earlier If-Unmodified-Since into a 412 (any object)', async () => {
    const id = await createContact('Contended');
    const since = httpDate(await lastModified('Contact', id));
    await delay(`*/sobjects/Contact/${id}`);
    const mine = rejection(conn.sobject('Contact').update({ Id: id, LastName: 'Mine' }, { headers: { 'If-Unmodified-Since': since } }));
    await faultsSpent();
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 2 });
    await conn.sobject('Contact').update({ Id: id, LastName: 'Theirs' });
    expect(await mine).toMatchObject({ errorCode: 'PRECONDITION_FAILED' });
    expect((await row('Contact', id)).LastName).toBe('Theirs');

    // Control: nothing changed during the delay, so the same kind of PATCH is written.
    const now = httpDate(await lastModified('Contact', id));
    await delay(`*/sobjects/Contact/${id}`);
    await expect(conn.sobject('Contact').update({ Id: id, LastName: 'Mine after all' }, { headers: { 'If-Unmodified-Since': now } })).resolves.toMatchObject({ success: true });
    expect((await row('Contact', id)).LastName).toBe('Mine after all');
  });
});
