// Helpers shared by the Dynamics 365 (Dataverse) sandbox fidelity tests (not a test file: jest matches *.test.ts only).
import { DynamicsWebApi } from 'dynamics-web-api';
import { startDynamicsSandbox, type DynamicsSandboxHandle, type StartDynamicsSandboxOptions } from '../../../sandbox/dynamics';
import { clearProxyVariables } from '../../../kernel/env';

// dynamics-web-api routes through `http_proxy` (lowercase) and ignores no_proxy (contract §0.2).
clearProxyVariables();

/** A call to the sandbox's admin API; throws on a non-2xx answer. */
export async function adminCall<T = Record<string, unknown>>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A client-credentials token from the sandbox's Entra ID endpoint, as MSAL or simple-oauth2 would fetch it. */
export async function fetchToken(sandbox: Pick<DynamicsSandboxHandle, 'tokenUrl' | 'clientId' | 'clientSecret' | 'scope'>, overrides: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox.clientId, client_secret: sandbox.clientSecret, scope: sandbox.scope, ...overrides });
  const res = await fetch(overrides['tokenUrl'] ?? sandbox.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A DynamicsWebApi the way the connector builds one: serverUrl only, onTokenRefresh before every request. The
 * tests fetch a fresh token each time (tests move the sandbox clock, which a cache on the host clock would miss).
 */
export function clientFor(sandbox: DynamicsSandboxHandle, config: { maxPageSize?: number } = {}): DynamicsWebApi {
  return new DynamicsWebApi({
    serverUrl: sandbox.url,
    dataApi: { version: '9.2' },
    ...config,
    onTokenRefresh: async () => String((await fetchToken(sandbox)).body['access_token']),
  });
}

/** The Error dynamics-web-api threw: Dataverse's `error.code`/`message` plus `status` and the response `headers`. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    return err as { status: number; code: string; message: string; headers: Record<string, string> };
  }
  throw new Error('expected the call to fail');
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A sandbox of the test file's own (port 0, so files run in parallel safely), started before its tests,
 * reset to `seed` (default 'demo') before each and closed after them.
 */
export function sandboxForFile(opts: StartDynamicsSandboxOptions & { resetSeed?: 'demo' | 'none' } = {}): {
  sandbox: () => DynamicsSandboxHandle;
  api: () => DynamicsWebApi;
  admin: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;
} {
  let sandbox: DynamicsSandboxHandle | undefined;
  let api: DynamicsWebApi | undefined;
  const current = () => {
    if (!sandbox) throw new Error('the sandbox is not started yet');
    return sandbox;
  };
  beforeAll(async () => {
    sandbox = await startDynamicsSandbox({ port: 0, seed: 'none', ...opts });
    api = clientFor(sandbox);
  });
  afterAll(() => sandbox?.close());
  beforeEach(() => adminCall(current().url, 'POST', '/__admin/reset', { seed: opts.resetSeed ?? 'demo' }));
  return {
    sandbox: current,
    api: () => {
      if (!api) throw new Error('the sandbox is not started yet');
      return api;
    },
    admin: (method, path, body) => adminCall(current().url, method, path, body),
  };
}
