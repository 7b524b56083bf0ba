// Dynamics sandbox: Entra ID client-credentials tokens (good, bad secret/tenant/scope, expiry → 401), service
// protection 429s with Retry-After, injected faults, and Dataverse's error shapes, as dynamics-web-api sees them.
import { DynamicsWebApi } from 'dynamics-web-api';
import { clientFor, failure, fetchToken, sandboxForFile } from './support';

const { sandbox, api, admin } = sandboxForFile();

const aadError = (code: number) => ({
  error: expect.any(String),
  error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z$`)),
  error_codes: [code],
  timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/),
  trace_id: expect.any(String),
  correlation_id: expect.any(String),
});

describe('Dynamics sandbox: token endpoint', () => {
  it('issues a Bearer token for the client credentials and the org scope', async () => {
    const { status, body } = await fetchToken(sandbox());
    expect(status).toBe(200);
    expect(body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
    expect(sandbox().tokenUrl).toBe(`${sandbox().url}/${sandbox().tenantId}/oauth2/v2.0/token`);
    expect(sandbox().scope).toBe(`${sandbox().url}/.default`);
  });

  it('accepts client_secret_basic (HTTP Basic) as Entra ID does', async () => {
    const s = sandbox();
    const res = await fetch(s.tokenUrl, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${s.clientId}:${encodeURIComponent(s.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: s.scope }) });
    expect(res.status).toBe(200);
  });

  it.each([
    ['a wrong secret', { client_secret: 'nope' }, 401, 'invalid_client', 7000215],
    ['an unknown client', { client_id: '00000000-0000-0000-0000-000000000000' }, 400, 'unauthorized_client', 700016],
    ['another grant', { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
    ['a scope without /.default', { scope: 'https://example.crm.dynamics.com/user_impersonation' }, 400, 'invalid_scope', 1002012],
    ['another resource', { scope: 'https://other.crm.dynamics.com/.default' }, 400, 'invalid_resource', 500011],
  ])('refuses %s with Entra ID’s error JSON', async (_what, overrides, status, error, code) => {
    const res = await fetchToken(sandbox(), overrides);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ ...aadError(code), error });
  });

  it('refuses an unknown tenant (AADSTS90002)', async () => {
    const res = await fetchToken(sandbox(), { tokenUrl: `${sandbox().url}/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token` });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ...aadError(90002), error: 'invalid_request' });
  });
});

describe('Dynamics sandbox: Web API authentication', () => {
  it('answers 401 with a WWW-Authenticate challenge to no token, an unknown one and an expired one', async () => {
    const s = sandbox();
    const raw = await fetch(`${s.url}/api/data/v9.2/accounts`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/.+, resource_id=http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await raw.text()).toBe('');

    const stranger = new DynamicsWebApi({ serverUrl: s.url, dataApi: { version: '9.2' }, onTokenRefresh: async () => 'not-a-token' });
    const unknown = await failure(stranger.retrieveMultiple({ collection: 'accounts' }));
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toMatch(/^Bearer error=invalid_token, /);

    await admin('POST', '/__admin/tokens', { accessTokenTtlSeconds: 60 });
    const { body } = await fetchToken(s);
    expect(body['expires_in']).toBe(60);
    const client = new DynamicsWebApi({ serverUrl: s.url, dataApi: { version: '9.2' }, onTokenRefresh: async () => String(body['access_token']) });
    await expect(client.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 })).resolves.toMatchObject({ value: [expect.any(Object)] });
    await admin('POST', '/__admin/clock', { advanceSeconds: 61 });
    const expired = await failure(client.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 }));
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toContain('error=invalid_token');
  });
});

describe('Dynamics sandbox: service protection limits and faults', () => {
  it('answers 429 with Retry-After and 0x80072322 over the request limit, and admits again when the window moves on', async () => {
    await admin('POST', '/__admin/limits', { maxRequests: 3, windowMs: 60_000 });
    const client = api();
    for (let i = 0; i < 3; i++) await client.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 });
    const refused = await failure(client.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 }));
    expect(refused).toMatchObject({ status: 429, code: '0x80072322', message: 'Number of requests exceeded the limit of 3 over time window of 60 seconds.' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    await admin('POST', '/__admin/clock', { advanceSeconds: Number(refused.headers['retry-after']) });
    await expect(client.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 })).resolves.toMatchObject({ value: expect.any(Array) });
  });

  it('answers 0x80072321 over the execution-time limit', async () => {
    await admin('POST', '/__admin/limits', { maxExecutionMs: 0.001 });
    const client = api();
    await client.retrieveMultiple({ collection: 'accounts', select: ['name'] });
    const refused = await failure(client.retrieveMultiple({ collection: 'accounts', select: ['name'] }));
    expect(refused).toMatchObject({ status: 429, code: '0x80072321', message: expect.stringMatching(/^Combined execution time of incoming requests exceeded limit of /) });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers 0x80072326 over the concurrency limit', async () => {
    await admin('POST', '/__admin/limits', { maxConcurrent: 1 });
    await admin('POST', '/__admin/faults', { path: '/api/data/v9.2/contacts', latencyMs: 1000 });
    const client = api();
    const slow = client.retrieveMultiple({ collection: 'contacts', select: ['fullname'] });
    await new Promise((r) => setTimeout(r, 200));
    const refused = await failure(client.retrieveMultiple({ collection: 'accounts', select: ['name'] }));
    expect(refused).toMatchObject({ status: 429, code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 1.' });
    await expect(slow).resolves.toMatchObject({ value: expect.any(Array) });
  });

  it('injects a 429 with Retry-After on a method and path, `count` times', async () => {
    await admin('POST', '/__admin/faults', { method: 'GET', path: '/api/data/v9.2/accounts*', status: 429, retryAfterSeconds: 7, count: 2 });
    const client = api();
    for (let i = 0; i < 2; i++) {
      const refused = await failure(client.retrieveMultiple({ collection: 'accounts', select: ['name'] }));
      expect(refused).toMatchObject({ status: 429, code: '0x80072322' });
      expect(refused.headers['retry-after']).toBe('7');
    }
    await expect(client.retrieveMultiple({ collection: 'accounts', select: ['name'] })).resolves.toMatchObject({ value: expect.any(Array) });
    const { requests } = await admin<{ requests: { method: string; status: number; prefer?: string }[] }>('GET', '/__admin/requests?path=/api/data/v9.2/accounts');
    expect(requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('with `rate`, injects into that share of the matching requests, the same ones for the same seed, until deleted', async () => {
    const statuses = async (seed: number) => {
      await admin('DELETE', '/__admin/faults');
      await admin('POST', '/__admin/faults', { method: 'GET', path: '/api/data/v9.2/accounts*', status: 429, retryAfterSeconds: 1, rate: 0.25, seed });
      await admin('DELETE', '/__admin/requests');
      const client = api();
      for (let i = 0; i < 80; i++) await client.retrieveMultiple({ collection: 'accounts', select: ['name'] }).catch((err: unknown) => {
        expect(err).toMatchObject({ status: 429, code: '0x80072322', headers: { 'retry-after': '1' } });
      });
      const { requests } = await admin<{ requests: { status: number }[] }>('GET', '/__admin/requests?path=/api/data/v9.2/accounts');
      return requests.map((r) => r.status);
    };
    const first = await statuses(3);
    const refused = first.filter((s) => s === 429).length;
    expect(first).toHaveLength(80);
    expect(refused).toBeGreaterThan(8);
    expect(refused).toBeLessThan(35);
    expect(first.filter((s) => s !== 429).every((s) => s === 200)).toBe(true);
    expect((await admin<{ faults: { rate: number; hits: number; count?: number }[] }>('GET', '/__admin/faults')).faults).toEqual([expect.objectContaining({ rate: 0.25, hits: refused })]);
    expect(await statuses(3)).toEqual(first);
    expect(await statuses(4)).not.toEqual(first);
  });
});

describe('Dynamics sandbox: error shapes', () => {
  it('answers OData JSON errors with Dataverse’s codes, application/json and OData-Version 4.0', async () => {
    const client = api();
    const segment = await failure(client.retrieveMultiple({ collection: 'account' }));
    expect(segment).toMatchObject({ status: 404, code: '0x8006088a', message: "Resource not found for the segment 'account'." });
    expect(segment.headers['content-type']).toMatch(/^application\/json/);
    expect(segment.headers['odata-version']).toBe('4.0');

    const id = '00000000-0000-0000-0000-0000000000aa';
    expect(await failure(client.retrieve({ collection: 'accounts', key: id }))).toMatchObject({ status: 404, code: '0x80040217', message: `account With Id = ${id} Does Not Exist` });
    expect(await failure(client.retrieveMultiple({ collection: 'accounts', select: ['nosuchcolumn'] }))).toMatchObject({
      status: 400,
      code: '0x80060888',
      message: "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.account'.",
    });
    expect(await failure(client.retrieveMultiple({ collection: 'accounts', filter: "name eq 'x' and" }))).toMatchObject({ status: 400, code: '0x80060888', message: expect.stringMatching(/^Syntax error/) });
    expect(await failure(client.retrieveMultiple({ collection: 'accounts', filter: 'name eq 5' }))).toMatchObject({ status: 400, message: expect.stringContaining("'Edm.String' and 'Edm.Int32'") });
    const raw = await fetch(`${sandbox().url}/api/data/v9.2/Account`, { headers: { authorization: `Bearer ${String((await fetchToken(sandbox())).body['access_token'])}` } });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ error: { code: '0x8006088a', message: "Resource not found for the segment 'Account'." } });
  });

  it('keeps a fresh client working after the limits are reset', async () => {
    await expect(clientFor(sandbox()).retrieveMultiple({ collection: 'systemusers', select: ['fullname'] })).resolves.toMatchObject({ value: expect.any(Array) });
  });
});
