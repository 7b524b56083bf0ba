// Helpers shared by the HubSpot sandbox fidelity tests (not a test file: jest matches *.test.ts only).
import { startHubSpotSandbox, type HubSpotSandboxHandle, type StartHubSpotSandboxOptions } from '../../../sandbox/hubspot';

/** A call to the sandbox's admin API; throws on a non-2xx answer. */
export async function adminCall<T = Record<string, unknown>>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The ApiException the client threw: `code` is the HTTP status, `body` HubSpot's error JSON, `headers` the response's. */
export async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; body: Record<string, unknown>; headers: Record<string, string> };
  }
  throw new Error('expected the call to fail');
}

export const errorShape = (category: string) => ({ status: 'error', category, message: expect.any(String), correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });

/**
 * A sandbox of the test file's own (port 0, so files run in parallel safely), started before its tests,
 * reset to `seed: 'none'` before each and closed after them; `admin` calls its admin API.
 */
export function sandboxForFile(opts: StartHubSpotSandboxOptions = {}): { sandbox: () => HubSpotSandboxHandle; admin: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T> } {
  let sandbox: HubSpotSandboxHandle | undefined;
  const current = () => {
    if (!sandbox) throw new Error('the sandbox is not started yet');
    return sandbox;
  };
  beforeAll(async () => {
    sandbox = await startHubSpotSandbox({ port: 0, seed: 'none', ...opts });
  });
  afterAll(() => sandbox?.close());
  beforeEach(() => adminCall(current().url, 'POST', '/__admin/reset', { seed: 'none' }));
  return { sandbox: current, admin: (method, path, body) => adminCall(current().url, method, path, body) };
}
