/**
 * The local Salesforce REST API sandbox: a stateful, in-memory org that the real jsforce client cannot tell
 * from Salesforce (OAuth, query/queryMore/queryAll, sObject rows and collections, describe, getUpdated /
 * getDeleted, limits), with an admin API for seeding, schema, request counting, faults and the clock.
 *
 *     const sandbox = await startSalesforceSandbox({ port: 0, seed: 'demo' });
 *     const conn = new jsforce.Connection({ instanceUrl: sandbox.url, accessToken: await sandbox.accessToken(), version: '62.0' });
 */
import { type SandboxCredentials } from './auth';
import { createSandboxServer } from './server';
import { DEFAULT_OPTIONS, SalesforceSandbox, type SeedOption } from './sandbox';
import { checkPod } from './ids';
import { type Store } from './store';
import { closeServer } from '../close-server';

export { DEFAULT_CREDENTIALS, type SandboxCredentials } from './auth';
export { SalesforceError } from './model';

export interface StartSalesforceSandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: '127.0.0.1';
  /** Load the org from here on start (when saved before) and save it there periodically and on close. */
  dataDir?: string;
  /** What a fresh org holds; ignored when dataDir has a saved org. Default 'demo'. */
  seed?: SeedOption;
  /** Access-token lifetime. Default 7200 (Salesforce's default session timeout). */
  tokenTtlSeconds?: number;
  /** Daily API request allocation. Default 100,000. */
  apiDailyLimit?: number;
  /** The clock the sandbox runs on (the admin API can set, advance or freeze it on top). */
  clock?: () => Date;
  /** How often a changed org is saved to dataDir. Default 30 s. */
  persistIntervalMs?: number;
  /** Instance part of record IDs, 2 letters or digits (default `Hs`): orgs on different pods never share an ID. */
  pod?: string;
}

export interface SalesforceSandboxHandle {
  /** Base URL (instance URL and OAuth login URL), e.g. `http://127.0.0.1:8383`. */
  url: string;
  credentials: SandboxCredentials & { loginUrl: string; instanceUrl: string; orgId: string; userId: string };
  /** The org's data (read it in tests; write through the API). */
  readonly store: Store;
  /** An access token for the admin user, as the client-credentials flow would issue it. */
  accessToken(): string;
  /** Saves to dataDir now (no-op without one). */
  persist(): Promise<void>;
  /** Stops the server and saves the org (when dataDir is set). */
  close(): Promise<void>;
}

export async function startSalesforceSandbox(opts: StartSalesforceSandboxOptions = {}): Promise<SalesforceSandboxHandle> {
  const sandbox = new SalesforceSandbox({
    ...DEFAULT_OPTIONS,
    seed: opts.seed ?? DEFAULT_OPTIONS.seed,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? DEFAULT_OPTIONS.tokenTtlSeconds,
    apiDailyLimit: opts.apiDailyLimit ?? DEFAULT_OPTIONS.apiDailyLimit,
    clock: opts.clock ?? (() => new Date()),
    dataDir: opts.dataDir,
    pod: checkPod(opts.pod ?? DEFAULT_OPTIONS.pod),
  });
  await sandbox.init();
  const server = createSandboxServer(sandbox);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the sandbox server has no address');
  const url = `http://${host}:${address.port}`;
  sandbox.baseUrl = url;

  const persistEvery = opts.persistIntervalMs ?? 30000;
  let saving: Promise<unknown> = Promise.resolve();
  const persist = (force: boolean) => {
    saving = saving.then(() => sandbox.persist(force)).catch((err: unknown) => process.stderr.write(`salesforce sandbox: saving ${String(opts.dataDir)} failed: ${err instanceof Error ? err.message : String(err)}\n`));
    return saving;
  };
  const timer = opts.dataDir ? setInterval(() => void persist(false), persistEvery) : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    credentials: { ...sandbox.credentials, loginUrl: url, instanceUrl: url, orgId: sandbox.org.orgId, userId: sandbox.org.adminUserId },
    get store() {
      return sandbox.store;
    },
    accessToken: () => sandbox.tokens.issue(sandbox.org.orgId, sandbox.org.adminUserId),
    persist: async () => {
      await persist(true);
    },
    close: () => {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        await closeServer(server, 1000);
        await persist(false);
      })();
      return closing;
    },
  };
}


/** How a jsforce client connects to a sandbox at `url`, for the start-up banner of `hubsync sandbox salesforce`. */
export function clientSnippet(url: string): string {
  return `jsforce: new Connection({ oauth2: { clientId, clientSecret, loginUrl: '${url}' }, instanceUrl: '${url}', refreshToken, version: '62.0' })`;
}
