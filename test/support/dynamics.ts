/**
 * A Dataverse sandbox (over HTTP) and a hubsync connection to it, for tests of the Dataverse connector. Each
 * test file uses its own connection ID and sandbox, so files running in parallel never share rows.
 */
import { DynamicsWebApi } from 'dynamics-web-api';
import { addConnection } from '../../activities/hub/connections';
import type { Pool } from '../../activities/hub/store';
import { startDynamicsSandbox, type DynamicsSandboxHandle, type StartDynamicsSandboxOptions } from '../../sandbox/dynamics';
import { testSecretBox } from './salesforce';

export interface DynamicsFixture {
  sandbox: DynamicsSandboxHandle;
  connectionId: string;
  /** dynamics-web-api on the sandbox with a token of the same app (what a test uses to act in Dataverse itself). */
  client: DynamicsWebApi;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** A client-credentials token from the sandbox's token endpoint. */
export async function sandboxToken(sandbox: DynamicsSandboxHandle): Promise<string> {
  const res = await fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox.clientId, client_secret: sandbox.clientSecret, scope: sandbox.scope }).toString(),
  });
  if (!res.ok) throw new Error(`token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function startDynamicsFixture(pool: Pool, connectionId: string, options: StartDynamicsSandboxOptions = {}): Promise<DynamicsFixture> {
  const sandbox = await startDynamicsSandbox({ port: 0, seed: 'demo', ...options });
  await addConnection(pool, testSecretBox, { id: connectionId, kind: 'dynamics', baseUrl: sandbox.url, tenantId: sandbox.tenantId, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, sandbox.url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const client = new DynamicsWebApi({ serverUrl: sandbox.url, dataApi: { version: '9.2' }, onTokenRefresh: () => sandboxToken(sandbox) });
  return { sandbox, connectionId, client, admin, close: () => sandbox.close() };
}
