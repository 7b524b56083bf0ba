/**
 * One sandbox org and everything around it: the store, sessions, API usage, cursors, faults and the request
 * log, plus the API router built over them. Reset replaces the store (and rebuilds the router over the new
 * one); sessions and the clock survive a reset, so connected clients keep working.
 */
import { DEFAULT_CREDENTIALS, DEFAULT_TOKEN_TTL_SECONDS, identityUrl, registerAuthRoutes, TokenStore, type SandboxCredentials } from './auth';
import { SandboxClock } from './clock';
import { seedDemo, type DemoSummary } from './demo-data';
import { registerDescribeRoutes } from './describe';
import { FaultInjector } from './faults';
import { Router } from './http';
import { DEFAULT_POD, IdGenerator } from './ids';
import { ApiUsage, DEFAULT_DAILY_API_LIMIT, registerLimitsRoute } from './limits';
import { SalesforceError } from './model';
import { seedOrg, type OrgInfo } from './org';
import { hasSavedState, loadState, saveState } from './persistence';
import { CursorStore, registerQueryRoutes } from './query';
import { registerReplicationRoutes } from './replication';
import { RequestLog } from './request-log';
import { registerSObjectRoutes } from './sobjects';
import { Store } from './store';

export type SeedOption = 'demo' | 'none';

export interface SandboxOptions {
  seed: SeedOption;
  tokenTtlSeconds: number;
  apiDailyLimit: number;
  clock: () => Date;
  dataDir: string | undefined;
  credentials: SandboxCredentials;
  /** Instance part of the org's record IDs (see ids.ts). */
  pod: string;
}

export const DEFAULT_OPTIONS: Omit<SandboxOptions, 'clock' | 'dataDir'> = {
  seed: 'demo',
  tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
  apiDailyLimit: DEFAULT_DAILY_API_LIMIT,
  credentials: DEFAULT_CREDENTIALS,
  pod: DEFAULT_POD,
};

export class SalesforceSandbox {
  readonly clock: SandboxClock;
  readonly tokens: TokenStore;
  readonly usage: ApiUsage;
  readonly faults = new FaultInjector();
  readonly log = new RequestLog();
  readonly credentials: SandboxCredentials;
  readonly startedAt = Date.now();
  store: Store;
  cursors: CursorStore;
  org: OrgInfo;
  router: Router;
  /** Set once the server listens: instance_url and identity URLs are built from it. */
  baseUrl = '';
  lastDemo: DemoSummary | undefined;
  private savedVersion = -1;

  constructor(readonly options: SandboxOptions) {
    this.clock = new SandboxClock(options.clock);
    this.tokens = new TokenStore(this.clock, options.tokenTtlSeconds);
    this.usage = new ApiUsage(this.clock, options.apiDailyLimit);
    this.credentials = options.credentials;
    this.store = new Store(this.clock, new IdGenerator(1, options.pod));
    this.cursors = new CursorStore(() => this.clock.nowMs());
    this.org = { orgId: '', adminUserId: '' };
    this.router = new Router();
  }

  /** Loads the saved org from the data directory, or seeds a fresh one. */
  async init(): Promise<void> {
    const dir = this.options.dataDir;
    if (dir && hasSavedState(dir)) {
      const store = new Store(this.clock, new IdGenerator(1, this.options.pod));
      const state = await loadState(dir, store);
      if (state) {
        this.store = store;
        this.org = { orgId: state.orgId, adminUserId: state.adminUserId };
        this.usage.restore(state.apiUsage.buckets, this.options.apiDailyLimit);
        this.cursors = new CursorStore(() => this.clock.nowMs());
        this.router = this.buildRouter();
        this.savedVersion = this.store.version;
        return;
      }
    }
    this.reset(this.options.seed);
  }

  /** A fresh org: baseline records, then the demo dataset if asked. Clears cursors, faults, the log and API usage. */
  reset(seed: SeedOption): void {
    this.faults.clear();
    this.log.clear();
    this.store = new Store(this.clock, new IdGenerator(1, this.options.pod));
    this.org = seedOrg(this.store, this.credentials);
    this.lastDemo = seed === 'demo' ? seedDemo(this.store, this.faults, this.org.adminUserId) : undefined;
    this.cursors = new CursorStore(() => this.clock.nowMs());
    this.usage.setUsed(0);
    this.router = this.buildRouter();
  }

  /** Adds the demo dataset to the current org, all or nothing. */
  seedDemo(): DemoSummary {
    if (this.store.count('Account') > 0 || this.store.count('User') > 1) {
      throw new SalesforceError(400, 'DUPLICATE_VALUE', 'The org already has data: reset it first (POST /__admin/reset {"seed":"demo"})');
    }
    this.store.begin();
    try {
      this.lastDemo = seedDemo(this.store, this.faults, this.org.adminUserId);
      this.store.commit();
    } catch (err) {
      this.store.rollback();
      throw err;
    }
    return this.lastDemo;
  }

  identityUrl(userId: string): string {
    return identityUrl({ baseUrl: () => this.baseUrl, orgId: () => this.org.orgId }, userId);
  }

  private buildRouter(): Router {
    const router = new Router();
    const store = this.store;
    registerAuthRoutes(router, {
      store,
      tokens: this.tokens,
      credentials: this.credentials,
      baseUrl: () => this.baseUrl,
      orgId: () => this.org.orgId,
      adminUserId: () => this.org.adminUserId,
    });
    // Literal resources before `sobjects/:type/:id`, which would otherwise take `describe`, `updated`, `deleted`.
    registerDescribeRoutes(router, store, (userId) => this.identityUrl(userId));
    registerReplicationRoutes(router, store);
    registerLimitsRoute(router, this.usage, store);
    registerQueryRoutes(router, store, this.cursors);
    registerSObjectRoutes(router, { store, faults: this.faults });
    return router;
  }

  /** Writes the org to the data directory when it changed since the last save. */
  async persist(force = false): Promise<boolean> {
    const dir = this.options.dataDir;
    if (!dir || (!force && this.store.version === this.savedVersion)) return false;
    const version = this.store.version;
    await saveState(dir, this.store, { ...this.org, apiUsage: { max: this.usage.max, buckets: this.usage.snapshot() } });
    this.savedVersion = version;
    return true;
  }
}
