/**
 * The local HubSpot CRM API sandbox: an in-memory portal that @hubspot/api-client 13.x talks to unchanged
 * (only `basePath` set): companies (basic, batch incl. upsert, search), company properties, owners,
 * private-app token and OAuth (refresh-token grant, expiring access tokens) auth, rate limits with HubSpot's
 * 429s and headers, and an admin API for seeding, custom properties, the request log, token lifetime, rate
 * limits and fault injection.
 *
 *     const sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo' });
 *     const client = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url });
 */
import { once } from 'node:events';
import { FaultInjector } from './faults';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimitConfig } from './limits';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, OAuthTokens, SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN } from './oauth';
import { createHubSpotServer } from './server';
import { Portal, SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
import { seedCompanies } from './seed';

export { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
export { SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN } from './oauth';
export { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './limits';
export { HubSpotError } from './errors';

/** `demo`: 25 generated companies; `none`: only the owners and the default properties. */
export type HubSpotSeed = 'demo' | 'none';
const DEMO_COMPANIES = 25;

export interface StartHubSpotSandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: '127.0.0.1';
  seed?: HubSpotSeed;
  /** The sandbox clock: record timestamps, token expiry, rate-limit windows. */
  clock?: () => Date;
  /** Lifetime of issued OAuth access tokens (`expires_in`); default 1800 as HubSpot's. */
  accessTokenTtlSeconds?: number;
  /** Overrides of DEFAULT_RATE_LIMITS (loose, so that suites never trip over them). */
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
  close(): Promise<void>;
}

export async function startHubSpotSandbox(opts: StartHubSpotSandboxOptions = {}): Promise<HubSpotSandboxHandle> {
  const clock = opts.clock ?? (() => new Date());
  const portal = new Portal(clock);
  const seed = (kind: HubSpotSeed) => {
    portal.reset();
    if (kind === 'demo') seedCompanies(portal, { count: DEMO_COMPANIES, seed: 1 });
  };
  seed(opts.seed ?? 'demo');
  let url = '';
  const services = {
    tokens: new OAuthTokens(opts.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS, clock),
    limits: new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...opts.rateLimits }, clock),
    faults: new FaultInjector(),
  };
  const { server } = createHubSpotServer(portal, services, { url: () => url, reset: seed });
  const host = opts.host ?? '127.0.0.1';
  // events.once rejects when the server emits 'error' (port in use) before 'listening'.
  server.listen(opts.port ?? 0, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the HubSpot sandbox server has no address');
  url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    accessToken: SANDBOX_ACCESS_TOKEN,
    portalId: SANDBOX_PORTAL_ID,
    oauth: { clientId: SANDBOX_OAUTH_CLIENT_ID, clientSecret: SANDBOX_OAUTH_CLIENT_SECRET, refreshToken: SANDBOX_REFRESH_TOKEN },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 500).unref();
      });
      return closing;
    },
  };
}
