/**
 * The local HubSpot CRM API sandbox: an in-memory portal that @hubspot/api-client 13.x talks to unchanged
 * (only `basePath` set): companies (basic, batch, search), company properties, owners, private-app token
 * auth, and an admin API for seeding, custom properties and the request log.
 *
 *     const sandbox = await startHubSpotSandbox({ port: 0, seed: 'demo' });
 *     const client = new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url });
 */
import { once } from 'node:events';
import { createHubSpotServer } from './server';
import { Portal, SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
import { seedCompanies } from './seed';

export { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';
export { HubSpotError } from './errors';

/** `demo`: 25 generated companies; `none`: only the owners and the default properties. */
export type HubSpotSeed = 'demo' | 'none';
const DEMO_COMPANIES = 25;

export interface StartHubSpotSandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: '127.0.0.1';
  seed?: HubSpotSeed;
  clock?: () => Date;
}

export interface HubSpotSandboxHandle {
  /** The client's `basePath`, e.g. `http://127.0.0.1:8384` (no trailing slash: the client appends `/crm/v3/…`). */
  url: string;
  /** The private-app access token the sandbox accepts. */
  accessToken: string;
  portalId: number;
  close(): Promise<void>;
}

export async function startHubSpotSandbox(opts: StartHubSpotSandboxOptions = {}): Promise<HubSpotSandboxHandle> {
  const portal = new Portal(opts.clock ?? (() => new Date()));
  const seed = (kind: HubSpotSeed) => {
    portal.reset();
    if (kind === 'demo') seedCompanies(portal, { count: DEMO_COMPANIES, seed: 1 });
  };
  seed(opts.seed ?? 'demo');
  let url = '';
  const { server } = createHubSpotServer(portal, { url: () => url, reset: seed });
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
