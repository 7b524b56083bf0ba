/**
 * A HubSpot sandbox (over HTTP) and a hubsync connection to it, for tests of the HubSpot connector. Each test
 * file uses its own connection ID and sandbox, so files running in parallel never share records.
 */
import { Client } from '@hubspot/api-client';
import { addConnection } from '../../activities/hub/connections';
import type { Pool } from '../../activities/hub/store';
import { startHubSpotSandbox, type HubSpotSandboxHandle, type StartHubSpotSandboxOptions } from '../../sandbox/hubspot';
import { testSecretBox } from './salesforce';

export interface HubSpotFixture {
  sandbox: HubSpotSandboxHandle;
  connectionId: string;
  /** @hubspot/api-client on the sandbox, with the private-app token (what a test uses to act as another HubSpot user). */
  client: Client;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export interface HubSpotFixtureOptions extends StartHubSpotSandboxOptions {
  /** Connect with the sandbox's OAuth app and refresh token instead of the private-app token. */
  oauth?: boolean;
  /** The connection's search pacing (HubSpot's five a second by default). */
  searchPerSecond?: number;
}

export async function startHubSpotFixture(pool: Pool, connectionId: string, options: HubSpotFixtureOptions = {}): Promise<HubSpotFixture> {
  const { oauth, searchPerSecond, ...sandboxOptions } = options;
  const sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo', ...sandboxOptions });
  const credentials = oauth ? { clientId: sandbox.oauth.clientId, clientSecret: sandbox.oauth.clientSecret, refreshToken: sandbox.oauth.refreshToken } : { accessToken: sandbox.accessToken };
  await addConnection(pool, testSecretBox, { id: connectionId, kind: 'hubspot', baseUrl: sandbox.url, ...credentials, ...(searchPerSecond ? { searchPerSecond } : {}) });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, sandbox.url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { sandbox, connectionId, client: new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url }), admin, close: () => sandbox.close() };
}

/** Requests the sandbox logged since `since` (ISO), by method and path glob. */
export async function hubspotRequests(fixture: HubSpotFixture, method: string, path: string): Promise<Array<{ method: string; path: string; status: number }>> {
  const answer = await fixture.admin<{ requests: Array<{ method: string; path: string; status: number }> }>('GET', `/__admin/requests?method=${method}&path=${encodeURIComponent(path)}`);
  return answer.requests;
}
