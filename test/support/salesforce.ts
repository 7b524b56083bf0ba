/**
 * A Salesforce sandbox (over HTTP, seeded with the demo org) and a hubsync connection to it, for tests of
 * the features that talk to Salesforce. Each test file uses its own connection ID, so files running in
 * parallel on the shared database never see each other's jobs and links.
 */
import { createHash, randomBytes } from 'node:crypto';
import { addConnection } from '../../activities/hub/connections';
import { SecretBox } from '../../activities/hub/secrets';
import type { Pool } from '../../activities/hub/store';
import { fileTaskQueue } from './test-env';
import { startSalesforceSandbox, type SalesforceSandboxHandle, type StartSalesforceSandboxOptions } from '../../sandbox/salesforce';

/** One key for the whole test process; CLI child processes get it through HUBSYNC_SECRET_KEY. */
export const TEST_SECRET_KEY = process.env['HUBSYNC_TEST_SECRET_KEY'] ?? (process.env['HUBSYNC_TEST_SECRET_KEY'] = randomBytes(32).toString('base64'));
export const testSecretBox = new SecretBox(Buffer.from(TEST_SECRET_KEY, 'base64'));

/** A 2-character pod derived from the connection ID (distinct for the connection IDs the tests use). */
function podFor(connectionId: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digest = createHash('sha256').update(connectionId).digest();
  return alphabet.charAt(digest[0]! % 62) + alphabet.charAt(digest[1]! % 62);
}

export interface SalesforceFixture {
  sandbox: SalesforceSandboxHandle;
  connectionId: string;
  /** Environment for `hubsync` child processes: database, Temporal and the secret key. */
  cliEnv: NodeJS.ProcessEnv;
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export async function startSalesforceFixture(
  pool: Pool,
  connectionId: string,
  env: { databaseUrl: string; temporalAddress: string },
  options: StartSalesforceSandboxOptions = {},
): Promise<SalesforceFixture> {
  // Each fixture is its own Salesforce instance: orgs syncing into the one test hub must not share record IDs.
  const sandbox = await startSalesforceSandbox({ port: 0, seed: 'demo', pod: podFor(connectionId), ...options });
  const c = sandbox.credentials;
  await addConnection(pool, testSecretBox, {
    id: connectionId,
    kind: 'salesforce',
    baseUrl: sandbox.url,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    refreshToken: c.refreshToken,
  });
  return {
    sandbox,
    connectionId,
    cliEnv: { DATABASE_URL: env.databaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, HUBSYNC_SECRET_KEY: TEST_SECRET_KEY, HUBSYNC_HOME: '/nonexistent/hubsync-home', HUBSYNC_TASK_QUEUE: fileTaskQueue() },
    admin: async (method, path, body) => {
      const res = await fetch(new URL(path, sandbox.url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
    close: () => sandbox.close(),
  };
}
