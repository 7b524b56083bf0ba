/**
 * Shared by the Salesforce sandbox fidelity tests: start a sandbox in-process on a free port, connect the real
 * jsforce client to it, and call the admin API (fetch) for set-up and assertions.
 */
import { Connection } from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandboxHandle, type StartSalesforceSandboxOptions } from '../../../sandbox/salesforce';
import { makeId } from '../../../sandbox/salesforce/ids';
import { clearProxyVariables } from '../../../kernel/env';

// jsforce would send loopback traffic to a proxy named in the environment.
clearProxyVariables();

export const API_VERSION = '62.0';

export function startSandbox(opts: StartSalesforceSandboxOptions = {}): Promise<SalesforceSandboxHandle> {
  return startSalesforceSandbox({ port: 0, ...opts });
}

/** A jsforce connection with an access token only (no refresh). */
export function connect(sandbox: SalesforceSandboxHandle, version = API_VERSION): Connection {
  return new Connection({ instanceUrl: sandbox.url, accessToken: sandbox.accessToken(), version });
}

/** A jsforce connection that can refresh: OAuth client pointed at the sandbox, the documented refresh token. */
export function connectWithRefresh(sandbox: SalesforceSandboxHandle, accessToken = 'expired-or-missing'): Connection {
  const c = sandbox.credentials;
  return new Connection({
    oauth2: { clientId: c.clientId, clientSecret: c.clientSecret, loginUrl: sandbox.url },
    instanceUrl: sandbox.url,
    accessToken,
    refreshToken: c.refreshToken,
    version: API_VERSION,
  });
}

export async function admin<T = Record<string, unknown>>(sandbox: SalesforceSandboxHandle, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A raw REST call (for status codes and headers jsforce hides), authenticated as the admin user. */
export async function rest(sandbox: SalesforceSandboxHandle, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${sandbox.url}/services/data/v${API_VERSION}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.accessToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The error jsforce threw, for asserting on errorCode/name/data. */
export async function rejection(promise: PromiseLike<unknown>): Promise<{ name: string; errorCode?: string; message: string; data?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as { name: string; errorCode?: string; message: string; data?: unknown };
  }
  throw new Error('expected the call to fail');
}

export function sortedKeys(value: unknown): string[] {
  return Object.keys(value as Record<string, unknown>).sort();
}

/** A well-formed ID (valid checksum) of the object with this key prefix that no record has. */
export function unknownId(keyPrefix: string): string {
  return makeId(keyPrefix, 900_000_000);
}
