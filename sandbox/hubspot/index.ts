/**
 * The local HubSpot CRM API sandbox: an in-memory portal that @hubspot/api-client 13.x talks to unchanged
 * (only `basePath` set): companies and contacts (basic, batch incl. upsert, search), their properties,
 * company–contact associations (v4 API and v3 inline), owners, private-app token and OAuth (refresh-token
 * grant, expiring access tokens) auth, rate limits (the search endpoints' own included) with HubSpot's 429s
 * and headers, persistence to a data directory, and an admin API for seeding, custom properties, owners, the
 * request log, token lifetime, rate limits and fault injection.
 *
 *     const sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo' });
 *     const client = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url });
 */
import { once } from 'node:events';
import { FaultInjector } from './faults';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimitConfig } from './limits';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, OAuthTokens, SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN } from './oauth';
import { hasSavedPortal, loadPortal, savePortal } from './persistence';
import { createHubSpotServer } from './server';
import { Portal, SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
import { seedDemo } from './seed';
import { closeServer } from '../close-server';
import { startDataSaver } from '../data-saver';

export { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
export { SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN } from './oauth';
export { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './limits';
export { HubSpotError } from './errors';
export { DEMO_PRODUCTS, DEMO_TIERS } from './seed';

/**
 * `demo`: 25 companies with owners, tier and products (custom properties), and 20 contacts associated with
 * the first 10 of them; `none`: only the owners and the default properties.
 */
export type HubSpotSeed = 'demo' | 'none';

export interface StartHubSpotSandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: '127.0.0.1';
  /** What a fresh portal holds; ignored when dataDir has a saved portal. Default 'demo'. */
  seed?: HubSpotSeed;
  /** Load the portal from here on start (when saved before) and save it there periodically and on close. */
  dataDir?: string;
  /** How often a changed portal is saved to dataDir. Default 30 s. */
  persistIntervalMs?: number;
  /** The sandbox clock: record timestamps, token expiry, rate-limit windows. */
  clock?: () => Date;
  /** Lifetime of issued OAuth access tokens (`expires_in`); default 1800 as HubSpot's. */
  accessTokenTtlSeconds?: number;
  /** Overrides of DEFAULT_RATE_LIMITS (the general ones loose, so that suites never trip over them; search HubSpot's 5/s). */
  rateLimits?: Partial<RateLimitConfig>;
}

export interface HubSpotSandboxHandle {
  /** The client's `basePath`, e.g. `http://127.0.0.1:8384` (no trailing slash: the client appends `/crm/v3/…`). */
  url: string;
  /** The private-app access token the sandbox accepts. */
  accessToken: string;
  portalId: number;
  /** The sandbox's public app and a refresh token installed for it (`POST /oauth/v1/token`, grant_type=refresh_token). */
  oauth: { clientId: string; clientSecret: string; refreshToken: string };
  /** Saves to dataDir now (no-op without one). */
  persist(): Promise<void>;
  /** Stops the server and saves the portal (when dataDir is set). */
  close(): Promise<void>;
}

export async function startHubSpotSandbox(opts: StartHubSpotSandboxOptions = {}): Promise<HubSpotSandboxHandle> {
  const clock = opts.clock ?? (() => new Date());
  const portal = new Portal(clock);
  const seed = (kind: HubSpotSeed) => {
    portal.reset();
    if (kind === 'demo') seedDemo(portal);
  };
  const services = {
    tokens: new OAuthTokens(opts.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS, clock),
    limits: new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...opts.rateLimits }, clock),
    faults: new FaultInjector(),
  };
  const dataDir = opts.dataDir;
  // A fresh portal in a data directory is saved on the first occasion, even unchanged.
  let savedVersion = -1;
  const saved = dataDir && hasSavedPortal(dataDir) ? await loadPortal(dataDir, portal) : undefined;
  if (saved) {
    services.tokens.restore(saved.accessTokens);
    savedVersion = portal.changes.version;
  } else seed(opts.seed ?? 'demo');

  let url = '';
  const { server } = createHubSpotServer(portal, services, { url: () => url, reset: seed });
  const host = opts.host ?? '127.0.0.1';
  // events.once rejects when the server emits 'error' (port in use) before 'listening'.
  server.listen(opts.port ?? 0, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the HubSpot sandbox server has no address');
  url = `http://${host}:${address.port}`;

  const saver = startDataSaver({
    dataDir,
    what: 'hubspot sandbox',
    intervalMs: opts.persistIntervalMs ?? 30_000,
    version: () => portal.changes.version,
    savedVersion,
    save: (dir) => savePortal(dir, portal, services.tokens.snapshot()),
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    accessToken: SANDBOX_ACCESS_TOKEN,
    portalId: SANDBOX_PORTAL_ID,
    oauth: { clientId: SANDBOX_OAUTH_CLIENT_ID, clientSecret: SANDBOX_OAUTH_CLIENT_SECRET, refreshToken: SANDBOX_REFRESH_TOKEN },
    persist: () => saver.persist(true),
    close: () => {
      closing ??= (async () => {
        await closeServer(server, 500);
        await saver.close();
      })();
      return closing;
    },
  };
}

