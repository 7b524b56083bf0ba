/**
 * HubSpot's API rate limits: a rolling "secondly" window per app, a daily allowance, the search endpoints'
 * own lower limit, the `X-HubSpot-RateLimit-*` headers on every authenticated API response, and the 429 body.
 *
 * Sources:
 * - 429 body `{status:"error", message:"You have reached your secondly limit.", errorType:"RATE_LIMIT",
 *   correlationId, policyName:"SECONDLY", requestId}`: real responses quoted in HGData/mk-node-hubspot#84 and
 *   #89; the daily variant (`"You have reached your daily limit."`, `policyName:"DAILY"`) is the example of
 *   HubSpot's usage-details page (developers.hubspot.com/docs/api/usage-details, quoted in the HubSpot
 *   community). `category:"RATE_LIMITS"` is the v3 error category (contract §2.4) [infer: that both appear].
 * - @hubspot/api-client's RetryDecorator retries a 429 whose `message` is exactly the secondly text (1 s ×
 *   attempt) or whose `policyName` is TEN_SECONDLY_ROLLING (10 s × attempt), never a DAILY one (contract §2.4).
 * - Headers: `X-HubSpot-RateLimit-Daily`, `-Daily-Remaining`, `-Secondly`, `-Secondly-Remaining` (developer
 *   changelog 2018-11-06); `-Interval-Milliseconds`, `-Max`, `-Remaining` (usage-details page; the last one
 *   read by NangoHQ/nango#4046). OAuth-authenticated calls carry no `-Daily*` headers and have no daily limit
 *   (changelog "Rate limit headers will now appear for OAuth authenticated calls").
 * - [infer] The window is rolling (HubSpot's TEN_SECONDLY_ROLLING policy is), so a client that waits one
 *   interval always gets through; a 429 does not use up the allowance; the daily count restarts at midnight
 *   UTC (HubSpot: midnight in the account's time zone); one window per kind of credential (HubSpot: per app).
 * - Search (`POST /crm/v3/objects/{type}/search`): a window of its own, one second long and shared by every
 *   credential of the account. HubSpot's search guide gives five requests a second per account (the figure
 *   hubsync's connector paces to); the 2020 changelog "CRM Search API Rate Limit Increase" raised it from one
 *   to four a second per token, so older material says four. Over it the answer is the SECONDLY 429 (the
 *   client retries it) [infer: HubSpot documents no separate body]. A search counts against the general
 *   limits too; the search headers are not emulated (HubSpot sends none that are documented).
 */
import { randomUUID } from 'node:crypto';
import type { HsResponse } from './http';

export interface RateLimitConfig {
  /** Requests allowed per `intervalMs` (rolling); HubSpot's are 100–190 per 10 s for private apps. */
  secondly: number;
  intervalMs: number;
  /** Requests per day for private-app tokens (HubSpot: 250,000–1,000,000 by tier). */
  daily: number;
  /** Search requests per second, per account (HubSpot: 5). */
  searchPerSecond: number;
}

/**
 * The general defaults are loose on purpose, so that test suites never trip over them [infer]; the search
 * limit is HubSpot's own, since code that searches must pace itself to it. Change them through
 * `POST /__admin/rate-limits` or `startHubSpotSandbox({rateLimits})`.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = { secondly: 1000, intervalMs: 1000, daily: 500_000, searchPerSecond: 5 };
const SEARCH_INTERVAL_MS = 1000;

export type Credential = 'private-app' | 'oauth';
type Policy = 'SECONDLY' | 'DAILY';

const MESSAGES: Record<Policy, string> = {
  // Byte for byte what the client's RetryDecorator compares against.
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

export function rateLimitBody(policy: Policy): Record<string, unknown> {
  return { status: 'error', message: MESSAGES[policy], errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: policy, requestId: randomUUID(), category: 'RATE_LIMITS' };
}

export interface Admission {
  headers: Record<string, string>;
  /** The 429 to answer instead of serving the request. */
  rejection?: HsResponse;
}

/** Drops the arrival times at or before `cutoff` (they are in order), in place. */
function expire(times: number[], cutoff: number): number[] {
  let n = 0;
  while (n < times.length && (times[n] as number) <= cutoff) n++;
  if (n) times.splice(0, n);
  return times;
}

export class RateLimiter {
  private config: RateLimitConfig;
  /** Arrival times (ms) of the admitted requests still inside the window, per credential kind. */
  private windows = new Map<Credential, number[]>();
  /** Arrival times (ms) of the admitted searches of the last second. */
  private searches: number[] = [];
  private daily = { day: '', used: 0 };

  constructor(
    private readonly defaults: RateLimitConfig,
    private readonly now: () => Date,
  ) {
    this.config = { ...defaults };
  }

  /** Back to the start-up limits, nothing used. */
  reset(): void {
    this.configure(this.defaults);
  }

  /** New limits; the usage starts over. */
  configure(config: Partial<RateLimitConfig>): RateLimitConfig {
    this.config = { ...this.config, ...config };
    this.windows = new Map();
    this.searches = [];
    this.daily = { day: '', used: 0 };
    return { ...this.config };
  }

  status(): { config: RateLimitConfig; dailyUsed: number; windowUsed: Record<Credential, number>; searchWindowUsed: number } {
    const at = this.now().getTime();
    return { config: { ...this.config }, dailyUsed: this.dailyUsed(), windowUsed: { 'private-app': this.window('private-app', at).length, oauth: this.window('oauth', at).length }, searchWindowUsed: this.searchWindow(at).length };
  }

  /** Counts the request if the limits allow it (`search`: a search request); either way the headers describe the allowance after it. */
  admit(credential: Credential, search = false): Admission {
    const at = this.now().getTime();
    const window = this.window(credential, at);
    const daily = credential === 'private-app';
    let rejected: Policy | undefined;
    if (daily && this.dailyUsed() >= this.config.daily) rejected = 'DAILY';
    else if (window.length >= this.config.secondly) rejected = 'SECONDLY';
    else if (search && this.searchWindow(at).length >= this.config.searchPerSecond) rejected = 'SECONDLY';
    if (!rejected) {
      window.push(at);
      if (search) this.searches.push(at);
      if (daily) this.daily.used++;
    }
    const remaining = String(Math.max(0, this.config.secondly - window.length));
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.config.intervalMs),
      'X-HubSpot-RateLimit-Max': String(this.config.secondly),
      'X-HubSpot-RateLimit-Remaining': remaining,
      'X-HubSpot-RateLimit-Secondly': String(this.config.secondly),
      'X-HubSpot-RateLimit-Secondly-Remaining': remaining,
      ...(daily ? { 'X-HubSpot-RateLimit-Daily': String(this.config.daily), 'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.config.daily - this.daily.used)) } : {}),
    };
    return { headers, ...(rejected ? { rejection: { status: 429, body: rateLimitBody(rejected) } } : {}) };
  }

  private window(credential: Credential, at: number): number[] {
    let window = this.windows.get(credential);
    if (!window) this.windows.set(credential, (window = []));
    return expire(window, at - this.config.intervalMs);
  }

  private searchWindow(at: number): number[] {
    return expire(this.searches, at - SEARCH_INTERVAL_MS);
  }

  private dailyUsed(): number {
    const day = this.now().toISOString().slice(0, 10);
    if (this.daily.day !== day) this.daily = { day, used: 0 };
    return this.daily.used;
  }
}
