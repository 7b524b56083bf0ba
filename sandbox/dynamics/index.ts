/**
 * The local Microsoft Dataverse (Dynamics 365) Web API v9.2 sandbox: an in-memory org that dynamics-web-api
 * 2.x talks to unchanged (only `serverUrl` set): accounts, contacts and users with Dataverse's row versions,
 * etags, option sets and lookups; metadata (EntityDefinitions, Attributes, option sets); OData queries with
 * paging, annotations and expansion; writes with conditional semantics; change tracking with delta links;
 * `$batch`; an Entra ID client-credentials token endpoint; service protection limits; persistence to a data
 * directory; and an admin API for rows, the clock, tokens, limits, faults and the request log.
 *
 *     const sandbox = await startDynamicsSandbox({ port: 0, seed: 'demo' });
 *     const api = new DynamicsWebApi({ serverUrl: sandbox.url, onTokenRefresh: () => tokenFrom(sandbox), dataApi: { version: '9.2' } });
 */
import { once } from 'node:events';
import { SandboxClock } from '../salesforce/clock';
import { closeServer } from '../close-server';
import { startDataSaver } from '../data-saver';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, EntraTokens, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_TENANT_ID } from './auth';
import { FaultInjector } from './faults';
import { DEFAULT_LIMITS, ServiceProtection, type ServiceProtectionLimits } from './limits';
import { Org } from './org';
import { hasSavedOrg, loadOrg, saveOrg } from './persistence';
import type { ApiContext } from './query';
import { SANDBOX_APP_USER_ID, seedApplicationUser, seedDemo } from './seed';
import { createDynamicsServer } from './server';

export { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_TENANT_ID, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from './auth';
export { SANDBOX_APP_USER_ID, DEMO_USERS } from './seed';
export { DEFAULT_LIMITS, type ServiceProtectionLimits } from './limits';
export { INDUSTRY_OPTIONS, TIER_OPTIONS, PRODUCT_OPTIONS } from './schema';
export { DataverseError } from './errors';

/** `demo`: 5 users, 25 accounts, 20 contacts (seed.ts); `none`: only the application user. */
export type DynamicsSeed = 'demo' | 'none';

/** ExpireChangeTrackingInDays' default ("Use change tracking to synchronize data with external systems"). */
export const DEFAULT_CHANGE_RETENTION_DAYS = 7;

export interface StartDynamicsSandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: '127.0.0.1';
  /** What a fresh org holds; ignored when dataDir has a saved org. Default 'demo'. */
  seed?: DynamicsSeed;
  /** Load the org from here on start (when saved before) and save it there periodically and on close. */
  dataDir?: string;
  /** How often a changed org is saved to dataDir. Default 30 s. */
  persistIntervalMs?: number;
  /** The sandbox clock's base: row timestamps, token expiry, limit windows, delta-token age. */
  clock?: () => Date;
  /** Lifetime of issued access tokens (`expires_in`); default 3599 as Entra ID's. */
  accessTokenTtlSeconds?: number;
  /** Overrides of DEFAULT_LIMITS (Dataverse's own: loose enough that suites never trip them). */
  limits?: Partial<ServiceProtectionLimits>;
  /** How long delta tokens stay valid, in days (ExpireChangeTrackingInDays; default 7). */
  changeRetentionDays?: number;
}

export interface DynamicsSandboxHandle {
  /** The client's `serverUrl`, e.g. `http://127.0.0.1:8385` (no trailing slash). */
  url: string;
  /** `${url}/${tenantId}/oauth2/v2.0/token`, the Entra ID token endpoint (client credentials). */
  tokenUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** `${url}/.default`. */
  scope: string;
  /** The systemuser the client credentials act as (createdby/modifiedby of API writes, owner by default). */
  appUserId: string;
  /** Saves to dataDir now (no-op without one). */
  persist(): Promise<void>;
  /** Stops the server and saves the org (when dataDir is set). */
  close(): Promise<void>;
}

export async function startDynamicsSandbox(opts: StartDynamicsSandboxOptions = {}): Promise<DynamicsSandboxHandle> {
  const clock = new SandboxClock(opts.clock ?? (() => new Date()));
  const org = new Org(clock, SANDBOX_APP_USER_ID);
  const retention = { days: opts.changeRetentionDays ?? DEFAULT_CHANGE_RETENTION_DAYS };
  const seed = (kind: DynamicsSeed) => {
    org.reset();
    seedApplicationUser(org, new Date(clock.nowMs() - 90 * 86_400_000).toISOString());
    if (kind === 'demo') seedDemo(org);
  };
  const nowMs = () => clock.nowMs();
  const services = {
    tokens: new EntraTokens(opts.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS, nowMs),
    limits: new ServiceProtection({ ...DEFAULT_LIMITS, ...opts.limits }, nowMs),
    faults: new FaultInjector(),
  };
  const dataDir = opts.dataDir;
  let savedCount = -1;
  const saved = dataDir && hasSavedOrg(dataDir) ? await loadOrg(dataDir, org) : undefined;
  if (saved) {
    services.tokens.restore(saved.accessTokens);
    retention.days = saved.retentionDays;
    savedCount = org.changeCount;
  } else seed(opts.seed ?? 'demo');

  let url = '';
  const api: ApiContext = { org, base: () => `${url}/api/data/v9.2/`, changeRetentionDays: () => retention.days };

  const saver = startDataSaver({
    dataDir,
    what: 'dynamics sandbox',
    intervalMs: opts.persistIntervalMs ?? 30_000,
    version: () => org.changeCount,
    savedVersion: savedCount,
    save: (dir) => saveOrg(dir, org, { retentionDays: retention.days, accessTokens: services.tokens.snapshot() }),
  });
  const persist = saver.persist;

  const { server } = createDynamicsServer(api, services, {
    url: () => url,
    reset: (kind) => {
      seed(kind);
      services.tokens.configure(opts.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS);
    },
    persist: () => persist(true),
    retention,
  });
  const host = opts.host ?? '127.0.0.1';
  server.listen(opts.port ?? 0, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the Dynamics sandbox server has no address');
  url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    tokenUrl: `${url}/${SANDBOX_TENANT_ID}/oauth2/v2.0/token`,
    tenantId: SANDBOX_TENANT_ID,
    clientId: SANDBOX_CLIENT_ID,
    clientSecret: SANDBOX_CLIENT_SECRET,
    scope: `${url}/.default`,
    appUserId: SANDBOX_APP_USER_ID,
    persist: () => persist(true),
    close: () => {
      closing ??= (async () => {
        await closeServer(server, 500);
        await saver.close();
      })();
      return closing;
    },
  };
}

/** The dynamics-web-api construction a client needs, for the CLI's second line. */
export function clientSnippet(handle: Pick<DynamicsSandboxHandle, 'url'>): string {
  return `dynamics-web-api: new DynamicsWebApi({ serverUrl: '${handle.url}', dataApi: { version: '9.2' }, onTokenRefresh: /* client-credentials token from tokenUrl */ })`;
}
