// Salesforce sandbox, OAuth: the token endpoint's grants and errors, expiring sessions, and jsforce's
// 401 → refresh → replay path running against it for real.
import { Connection } from 'jsforce';
import { type SalesforceSandboxHandle } from '../../../sandbox/salesforce';
import { admin, API_VERSION, connect, connectWithRefresh, rejection, sortedKeys, startSandbox } from './support';

let sandbox: SalesforceSandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 'none', tokenTtlSeconds: 600 });
});
afterAll(() => sandbox.close());

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Salesforce sandbox: OAuth', () => {
  it('logs in with the username-password flow through jsforce (no refresh token issued, as Salesforce documents)', async () => {
    const c = sandbox.credentials;
    const conn = new Connection({ oauth2: { clientId: c.clientId, clientSecret: c.clientSecret, loginUrl: sandbox.url }, version: API_VERSION });
    const userInfo = await conn.login(c.username, c.password + c.securityToken);
    expect(userInfo).toEqual({ id: c.userId, organizationId: c.orgId, url: `${sandbox.url}/id/${c.orgId}/${c.userId}` });
    expect(conn.instanceUrl).toBe(sandbox.url);
    const result = await conn.query<{ Username: string }>(`SELECT Username FROM User WHERE Id = '${c.userId}'`);
    expect(result.records[0]?.Username).toBe(c.username);

    const raw = await token({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret, username: c.username, password: c.password });
    expect(raw.status).toBe(200);
    // The keys of Salesforce's documented token response; refresh_token is absent for this flow.
    expect(sortedKeys(raw.body)).toEqual(['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type']);
    expect(raw.body['token_type']).toBe('Bearer');
    expect(String(raw.body['access_token'])).toMatch(new RegExp(`^${c.orgId.slice(0, 15)}!`));
  });

  it('refuses bad credentials with OAuth error bodies', async () => {
    const c = sandbox.credentials;
    const badPassword = await token({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret, username: c.username, password: 'nope' });
    expect(badPassword).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'authentication failure' } });
    const badClient = await token({ grant_type: 'client_credentials', client_id: 'someone-else', client_secret: c.clientSecret });
    expect(badClient).toEqual({ status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } });
    const badSecret = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'wrong' });
    expect(badSecret.body['error']).toBe('invalid_client');
    const badRefresh = await token({ grant_type: 'refresh_token', client_id: c.clientId, refresh_token: 'not-a-token' });
    expect(badRefresh).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } });
    const badGrant = await token({ grant_type: 'urn:nope' });
    expect(badGrant.body['error']).toBe('unsupported_grant_type');

    const conn = new Connection({ oauth2: { clientId: c.clientId, clientSecret: c.clientSecret, loginUrl: sandbox.url }, version: API_VERSION });
    const err = await rejection(conn.login(c.username, 'wrong-password'));
    expect(err.name).toBe('invalid_grant');
    expect(err.message).toBe('authentication failure');
  });

  it('issues tokens for the client-credentials flow', async () => {
    const c = sandbox.credentials;
    const res = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(res.status).toBe(200);
    expect(res.body['id']).toBe(`${sandbox.url}/id/${c.orgId}/${c.userId}`);
    const conn = new Connection({ instanceUrl: sandbox.url, accessToken: String(res.body['access_token']), version: API_VERSION });
    await expect(conn.query('SELECT Id FROM Organization')).resolves.toMatchObject({ totalSize: 1, done: true });
  });

  it('answers an invalid session with 401 INVALID_SESSION_ID, which jsforce raises without a refresh path', async () => {
    const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'garbage', version: API_VERSION });
    const err = await rejection(conn.query('SELECT Id FROM User'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');
    expect(err.message).toBe('Session expired or invalid');
    const raw = await fetch(`${sandbox.url}/services/data/v${API_VERSION}/sobjects`, { headers: { authorization: 'Bearer garbage' } });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('refreshes after the admin API expires every token: jsforce emits "refresh" and the call succeeds', async () => {
    const conn = connectWithRefresh(sandbox, sandbox.accessToken());
    await conn.query('SELECT Id FROM User');
    const before = conn.accessToken;
    const refreshed: string[] = [];
    conn.on('refresh', (accessToken: string) => refreshed.push(accessToken));

    await admin(sandbox, 'POST', '/__admin/tokens/expire');
    const result = await conn.query<{ Id: string }>('SELECT Id FROM User');
    expect(result.totalSize).toBeGreaterThan(0);
    expect(refreshed).toHaveLength(1);
    expect(conn.accessToken).toBe(refreshed[0]);
    expect(conn.accessToken).not.toBe(before);
    // The refresh response's id names the org and user: jsforce parses it into userInfo.
    expect(conn.userInfo?.organizationId).toBe(sandbox.credentials.orgId);
  });

  it('expires access tokens after their TTL on the sandbox clock', async () => {
    const conn = connect(sandbox);
    await conn.query('SELECT Id FROM User');
    await admin(sandbox, 'POST', '/__admin/clock', { advanceSeconds: 601 });
    const err = await rejection(conn.query('SELECT Id FROM User'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');

    const refreshing = connectWithRefresh(sandbox);
    const events: string[] = [];
    refreshing.on('refresh', (t: string) => events.push(t));
    await expect(refreshing.query('SELECT Id FROM User')).resolves.toMatchObject({ done: true });
    expect(events).toHaveLength(1);
  });

  it('revokes a refresh token and the sessions obtained with it, as Salesforce documents', async () => {
    const refreshing = connectWithRefresh(sandbox);
    await refreshing.query('SELECT Id FROM User');
    await refreshing.oauth2.revokeToken(sandbox.credentials.refreshToken);
    // The access token it had obtained is revoked too, and the refresh token cannot get another.
    const revoked = new Connection({ instanceUrl: sandbox.url, accessToken: refreshing.accessToken ?? '', version: API_VERSION });
    const err = await rejection(revoked.query('SELECT Id FROM User'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');
    const refused = await rejection(refreshing.oauth2.refreshToken(sandbox.credentials.refreshToken));
    expect(refused.name).toBe('invalid_grant');
  });

  it('serves the identity URL the token response points at', async () => {
    const conn = connect(sandbox);
    conn.userInfo = { id: sandbox.credentials.userId, organizationId: sandbox.credentials.orgId, url: `${sandbox.url}/id/${sandbox.credentials.orgId}/${sandbox.credentials.userId}` };
    const identity = await conn.identity();
    expect(identity).toMatchObject({ user_id: sandbox.credentials.userId, organization_id: sandbox.credentials.orgId, username: sandbox.credentials.username });
  });
});
