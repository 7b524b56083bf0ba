// HubSpot sandbox, second part, driven through @hubspot/api-client 13.x: the OAuth refresh-token grant and
// expiring access tokens, rate limits (headers, SECONDLY 429s the client's RetryDecorator retries, DAILY ones
// it does not), fault injection through the admin API, and batch upsert by a unique property.
//
// Mind the client's process-wide decorator singleton (contract §2.1): a Client's API objects take the retry
// settings of the most recently constructed Client, so each test takes its API objects right after `new Client`.
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox, type HubSpotSandboxHandle } from '../../../sandbox/hubspot';
import { clearProxyVariables } from '../../../kernel/env';
import { adminCall, errorShape, failure } from './support';

clearProxyVariables();

let sandbox: HubSpotSandboxHandle;
/** Added to the wall clock: lets a test move the sandbox past a token's expiry. */
let clockOffsetMs = 0;

const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => adminCall<T>(sandbox.url, method, path, body);
const statuses = async (path: string) => (await admin<{ requests: { status: number }[] }>('GET', `/__admin/requests?path=${path}`)).requests.map((r) => r.status);
/** The companies API objects of a fresh Client (taken at once: see the note on decorators above). */
const companiesApi = (accessToken: string, numberOfApiCallRetries = 1) => new Client({ accessToken, basePath: sandbox.url, numberOfApiCallRetries }).crm.companies;
const refresh = (overrides: { clientSecret?: string; refreshToken?: string } = {}) =>
  new Client({ basePath: sandbox.url }).oauth.tokensApi.create('refresh_token', undefined, undefined, sandbox.oauth.clientId, overrides.clientSecret ?? sandbox.oauth.clientSecret, overrides.refreshToken ?? sandbox.oauth.refreshToken);

beforeAll(async () => {
  sandbox = await startHubSpotSandbox({ port: 0, seed: 'none', clock: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  clockOffsetMs = 0;
  await admin('POST', '/__admin/reset', { seed: 'none' });
});
afterEach(() => jest.restoreAllMocks());

describe('HubSpot sandbox: OAuth', () => {
  it('issues access tokens for the refresh-token grant that work for CRM calls, without daily-limit headers', async () => {
    const tokens = await refresh();
    expect(tokens).toMatchObject({ tokenType: 'bearer', expiresIn: 1800, refreshToken: sandbox.oauth.refreshToken, accessToken: expect.stringMatching(/^C[\w-]{100,}$/) });
    const api = companiesApi(tokens.accessToken);
    const created = await api.basicApi.create({ properties: { name: 'Via OAuth' }, associations: [] });
    expect((await api.basicApi.getById(created.id)).properties['name']).toBe('Via OAuth');
    const info = await new Client({ basePath: sandbox.url }).oauth.accessTokensApi.get(tokens.accessToken);
    expect(info).toMatchObject({ token: tokens.accessToken, hubId: sandbox.portalId, tokenType: 'access', scopes: expect.arrayContaining(['crm.objects.companies.read']), expiresIn: expect.any(Number) });
    expect(info.expiresIn).toBeGreaterThan(1790);

    const res = await fetch(`${sandbox.url}/crm/v3/objects/companies`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('1000');
    expect(res.headers.get('x-hubspot-ratelimit-daily')).toBeNull();
    // The OAuth endpoints are not counted API calls.
    expect((await admin<{ requests: { counted: boolean }[] }>('GET', '/__admin/requests?path=/oauth/*')).requests.map((r) => r.counted)).toEqual([false, false]);
  });

  it('answers a bad refresh token or client secret with 400 and HubSpot’s OAuth error body', async () => {
    const badToken = await failure(refresh({ refreshToken: 'na1-0000-not-issued' }));
    expect(badToken.code).toBe(400);
    expect(badToken.body).toEqual({ status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token', correlationId: expect.any(String), requestId: expect.any(String) });
    const badSecret = await failure(refresh({ clientSecret: 'wrong' }));
    expect(badSecret).toMatchObject({ code: 400, body: { status: 'BAD_CLIENT_SECRET' } });
    const noGrant = await fetch(`${sandbox.url}/oauth/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=x' });
    expect(noGrant.status).toBe(400);
    expect(await noGrant.json()).toMatchObject({ status: 'BAD_GRANT_TYPE' });
  });

  it('expires access tokens after the configured lifetime with 401 EXPIRED_AUTHENTICATION; a new refresh works again', async () => {
    await admin('POST', '/__admin/oauth', { accessTokenTtlSeconds: 60 });
    const first = await refresh();
    expect(first.expiresIn).toBe(60);
    await expect(companiesApi(first.accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });

    clockOffsetMs = 61_000;
    const expired = await failure(companiesApi(first.accessToken).basicApi.getPage());
    expect(expired.code).toBe(401);
    expect(expired.body).toMatchObject({ ...errorShape('EXPIRED_AUTHENTICATION'), message: 'The OAuth token used to make this call expired 1 second(s) ago.', context: { 'expire time': [expect.stringMatching(/^\d{4}-\d\d-\d\dT/)] } });

    expect((await failure(new Client({ basePath: sandbox.url }).oauth.accessTokensApi.get(first.accessToken))).code).toBe(404);

    const second = await refresh();
    expect(second.accessToken).not.toBe(first.accessToken);
    await expect(companiesApi(second.accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });
    expect(await admin('GET', '/__admin/oauth')).toMatchObject({ accessTokenTtlSeconds: 60, accessTokens: { issued: 2, live: 1 } });
  });

  it('expires every live access token at once on POST /__admin/oauth/expire, answered as a lifetime reached; a refresh works again', async () => {
    const tokens = await refresh();
    await expect(companiesApi(tokens.accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });
    expect(await admin('POST', '/__admin/oauth/expire')).toEqual({ expired: 1 });
    const expired = await failure(companiesApi(tokens.accessToken).basicApi.getPage());
    expect(expired).toMatchObject({ code: 401, body: { ...errorShape('EXPIRED_AUTHENTICATION'), message: expect.stringMatching(/^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/) } });
    // The private app's token does not expire.
    await expect(companiesApi(sandbox.accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });
    const again = await refresh();
    await expect(companiesApi(again.accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });
    expect(await admin('GET', '/__admin/oauth')).toMatchObject({ accessTokens: { issued: 2, live: 1 } });
  });
});

describe('HubSpot sandbox: rate limits', () => {
  it('sends the X-HubSpot-RateLimit-* headers on every API response, errors included', async () => {
    await admin('POST', '/__admin/rate-limits', { secondly: 50, intervalMs: 10_000, daily: 1000 });
    const auth = { authorization: `Bearer ${sandbox.accessToken}` };
    const okRes = await fetch(`${sandbox.url}/crm/v3/objects/companies`, { headers: auth });
    const notFound = await fetch(`${sandbox.url}/crm/v3/objects/companies/123`, { headers: auth });
    expect(notFound.status).toBe(404);
    const header = (res: Response) => Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('x-hubspot-ratelimit')));
    expect(header(okRes)).toEqual({
      'x-hubspot-ratelimit-daily': '1000',
      'x-hubspot-ratelimit-daily-remaining': '999',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '50',
      'x-hubspot-ratelimit-remaining': '49',
      'x-hubspot-ratelimit-secondly': '50',
      'x-hubspot-ratelimit-secondly-remaining': '49',
    });
    expect(header(notFound)).toMatchObject({ 'x-hubspot-ratelimit-daily-remaining': '998', 'x-hubspot-ratelimit-remaining': '48' });
    expect(await admin('GET', '/__admin/rate-limits')).toMatchObject({ dailyUsed: 2, windowUsed: { 'private-app': 2, oauth: 0 } });
  });

  it('answers over the secondly limit with HubSpot’s 429, which the client’s RetryDecorator retries to success', async () => {
    await admin('POST', '/__admin/rate-limits', { secondly: 1, intervalMs: 1000 });
    const retryLog = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const plain = companiesApi(sandbox.accessToken, 1);
    await plain.basicApi.getPage();
    const limited = await failure(plain.basicApi.getPage());
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY', category: 'RATE_LIMITS', correlationId: expect.any(String) });
    expect(limited.headers['x-hubspot-ratelimit-remaining']).toBe('0');
    expect(retryLog).not.toHaveBeenCalled();

    // numberOfApiCallRetries counts attempts: 2 = one retry, after 1 s (the secondly-limit wait).
    const retrying = companiesApi(sandbox.accessToken, 2);
    const started = Date.now();
    await expect(retrying.basicApi.getPage()).resolves.toMatchObject({ results: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(retryLog).toHaveBeenCalledWith(expect.stringContaining('[429]'));
    expect(await statuses('/crm/v3/objects/companies')).toEqual([200, 429, 429, 200]);
  });

  it('lets a DAILY 429 reach the caller unretried; OAuth calls have no daily limit', async () => {
    await admin('POST', '/__admin/rate-limits', { daily: 2 });
    const api = companiesApi(sandbox.accessToken, 3);
    await api.basicApi.getPage();
    await api.basicApi.getPage();
    const limited = await failure(api.basicApi.getPage());
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You have reached your daily limit.', policyName: 'DAILY', errorType: 'RATE_LIMIT', category: 'RATE_LIMITS' });
    expect(limited.headers['x-hubspot-ratelimit-daily-remaining']).toBe('0');
    expect(await statuses('/crm/v3/objects/companies')).toEqual([200, 200, 429]);

    const { accessToken } = await refresh();
    await expect(companiesApi(accessToken).basicApi.getPage()).resolves.toMatchObject({ results: [] });
  });
});

describe('HubSpot sandbox: fault injection', () => {
  it('answers the next N matching requests with the injected status; the client retries 5xx through them', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const fault = await admin<{ id: string }>('POST', '/__admin/faults', { method: 'get', path: '/crm/v3/objects/companies*', status: 503, count: 2 });
    expect(fault.id).toMatch(/^fault-\d+$/);
    const api = companiesApi(sandbox.accessToken, 3);
    // A POST does not match the GET fault.
    await api.basicApi.create({ properties: { name: 'Faulty' }, associations: [] });
    await expect(api.basicApi.getPage()).resolves.toMatchObject({ results: [expect.objectContaining({ properties: expect.objectContaining({ name: 'Faulty' }) })] });
    expect(await statuses('/crm/v3/objects/companies')).toEqual([201, 503, 503, 200]);
    expect(await admin('GET', '/__admin/faults')).toEqual({ faults: [] });
  });

  it('sends a given body and headers, or HubSpot’s error JSON for the status; faults can be listed and removed', async () => {
    await admin('POST', '/__admin/faults', { path: '*/batch/*', status: 409, body: { status: 'error', category: 'CONFLICT', message: 'injected conflict', correlationId: 'c-1' }, headers: { 'X-Test': 'yes' } });
    const api = companiesApi(sandbox.accessToken, 1);
    const conflict = await failure(api.batchApi.create({ inputs: [{ properties: { name: 'A' }, associations: [] }] }));
    expect(conflict).toMatchObject({ code: 409, body: { category: 'CONFLICT', message: 'injected conflict' }, headers: { 'x-test': 'yes' } });
    await expect(api.batchApi.create({ inputs: [{ properties: { name: 'A' }, associations: [] }] })).resolves.toMatchObject({ results: [expect.anything()] });

    await admin('POST', '/__admin/faults', { path: '/oauth/v1/token', status: 500 });
    const tokenFailure = await failure(refresh());
    expect(tokenFailure).toMatchObject({ code: 500, body: errorShape('INTERNAL_ERROR') });

    const { id } = await admin<{ id: string }>('POST', '/__admin/faults', { status: 502, count: 5, body: '<html>Bad gateway</html>', headers: { 'Content-Type': 'text/html' } });
    const gateway = await fetch(`${sandbox.url}/crm/v3/owners`);
    expect([gateway.status, gateway.headers.get('content-type'), await gateway.text()]).toEqual([502, 'text/html', '<html>Bad gateway</html>']);
    expect(await admin('GET', '/__admin/faults')).toMatchObject({ faults: [{ id, status: 502, count: 4, hits: 1 }] });
    await admin('DELETE', `/__admin/faults/${id}`);
    expect(await admin('GET', '/__admin/faults')).toEqual({ faults: [] });
  });

  it('with `rate`, answers that share of the matching requests, the same ones for the same seed, and stays until deleted', async () => {
    const answers = async (seed: number) => {
      await admin('DELETE', '/__admin/faults');
      const fault = await admin<{ id: string; count?: number }>('POST', '/__admin/faults', { method: 'GET', path: '/crm/v3/objects/companies', status: 429, rate: 0.2, seed });
      expect(fault.count).toBeUndefined();
      const got: number[] = [];
      for (let i = 0; i < 200; i++) got.push((await fetch(`${sandbox.url}/crm/v3/objects/companies`, { headers: { authorization: `Bearer ${sandbox.accessToken}` } })).status);
      return { got, fault };
    };
    const { got, fault } = await answers(7);
    const limited = got.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(20);
    expect(limited).toBeLessThan(60);
    expect(got.filter((s) => s !== 429).every((s) => s === 200)).toBe(true);
    // A 429 without a body is the secondly limit's, which the client retries.
    await admin('POST', '/__admin/faults', { method: 'POST', path: '*/search', status: 429, rate: 1, count: 1 });
    const res = await fetch(`${sandbox.url}/crm/v3/objects/companies/search`, { method: 'POST', headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect([res.status, await res.json()]).toEqual([429, expect.objectContaining({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' })]);
    expect(await admin('GET', '/__admin/faults')).toMatchObject({ faults: [{ id: fault.id, rate: 0.2, hits: limited }] });
    expect((await answers(7)).got).toEqual(got);
    expect((await answers(8)).got).not.toEqual(got);
  });

  it('delays a request by `latencyMs` and then serves it when the fault has no status', async () => {
    await admin('POST', '/__admin/faults', { method: 'GET', path: '/crm/v3/owners', latencyMs: 300, count: 1 });
    const started = Date.now();
    const res = await fetch(`${sandbox.url}/crm/v3/owners`, { headers: { authorization: `Bearer ${sandbox.accessToken}` } });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await admin('GET', '/__admin/faults')).toEqual({ faults: [] });
  });
});

describe('HubSpot sandbox: batch upsert', () => {
  it('updates the record whose unique property matches `id` and creates the others (`new`), 200', async () => {
    await admin('POST', '/__admin/properties', { name: 'external_id', type: 'string', hasUniqueValue: true });
    const api = companiesApi(sandbox.accessToken, 1);
    const existing = await api.basicApi.create({ properties: { name: 'Alpha', external_id: 'A-1' }, associations: [] });
    const upserted = await api.batchApi.upsert({
      inputs: [
        { id: 'A-1', idProperty: 'external_id', properties: { city: 'Paris' } },
        { id: 'B-2', idProperty: 'external_id', properties: { name: 'Beta' } },
      ],
    });
    expect(upserted.status).toBe('COMPLETE');
    const byKey = new Map(upserted.results.map((r) => [r.properties['external_id'], r]));
    expect(byKey.get('A-1')).toMatchObject({ id: existing.id, _new: false, properties: { city: 'Paris' } });
    expect(byKey.get('B-2')).toMatchObject({ _new: true, properties: { name: 'Beta', external_id: 'B-2' } });
    expect((await api.basicApi.getById(existing.id, ['city', 'name'])).properties).toMatchObject({ city: 'Paris', name: 'Alpha' });

    const again = await api.batchApi.upsert({ inputs: [{ id: 'B-2', idProperty: 'external_id', properties: { city: 'Oslo' } }] });
    expect(again.results[0]).toMatchObject({ id: byKey.get('B-2')?.id, _new: false });
    expect((await api.basicApi.getPage()).results).toHaveLength(2);
  });

  it('rejects an idProperty that is not unique, repeated ids and invalid values with 400 VALIDATION_ERROR', async () => {
    await admin('POST', '/__admin/properties', { name: 'external_id', type: 'string', hasUniqueValue: true });
    const api = companiesApi(sandbox.accessToken, 1);
    const notUnique = await failure(api.batchApi.upsert({ inputs: [{ id: 'Acme', idProperty: 'name', properties: {} }] }));
    expect(notUnique).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
    const repeated = await failure(api.batchApi.upsert({ inputs: [{ id: 'X', idProperty: 'external_id', properties: {} }, { id: 'X', idProperty: 'external_id', properties: {} }] }));
    expect(repeated).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
    const invalid = await failure(api.batchApi.upsert({ inputs: [{ id: 'Y', idProperty: 'external_id', properties: { industry: 'SPACE' } }] }));
    expect(invalid).toMatchObject({ code: 400, body: errorShape('VALIDATION_ERROR') });
    expect((await api.basicApi.getPage()).results).toHaveLength(0);
  });
});
