/**
 * HubSpot through @hubspot/api-client: authentication (a private app's token, or OAuth access tokens
 * refreshed before they expire and once more when HubSpot says one has), the pacing of search calls, the
 * retries HubSpot's own guidance asks for, and the one translation of the client's errors into CrmError kinds.
 *
 * Client behaviours this relies on (read in @hubspot/api-client 13.x): every failed call throws an
 * ApiException `{code: <HTTP status>, body: <HubSpot's error JSON>, headers}`; network failures throw
 * node-fetch's FetchError with the system `code`; the client's own retry decorator is off unless
 * `numberOfApiCallRetries` is set, and it is not here, because it waits without bounds (10 s × attempt) and
 * logs to stderr: hubsync retries itself, within the caller's budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@hubspot/api-client';
import { z } from 'zod';
import type { ApiUsage } from '../connector';
import { CrmError, header } from '../errors';
import { HUBSPOT_SEARCH_PER_SECOND, type HubSpotSecrets, type HubSpotSettings } from './connection';

/** HubSpot's error JSON (`{status, message, correlationId, category, errors?, policyName?}`). */
const ErrorBodySchema = z.looseObject({
  message: z.string().optional(),
  category: z.string().optional(),
  policyName: z.string().optional(),
  errors: z.array(z.looseObject({ message: z.string().optional(), code: z.string().optional() })).optional(),
});

const ApiExceptionSchema = z.looseObject({ code: z.number(), body: z.unknown(), headers: z.record(z.string(), z.unknown()).optional() });
const NetworkErrorSchema = z.looseObject({ code: z.string(), message: z.string() });

const AUTH_FIX = "check the connection's token or OAuth app (`hubsync connection test <id>`) and update it with current ones (`hubsync connection update <id>`)";

/** The time left until the next midnight UTC: when HubSpot's daily count restarts (the account's own zone in reality). */
function untilMidnightUtcMs(now = Date.now()): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - now;
}

/** Translates whatever the client (or the network) threw into a CrmError with HubSpot's reason. */
export function toCrmError(err: unknown, context: string): CrmError {
  if (err instanceof CrmError) return err;
  const api = ApiExceptionSchema.safeParse(err);
  if (!api.success) {
    const net = NetworkErrorSchema.safeParse(err);
    if (net.success) return new CrmError('transient', net.data.code, `${context}: ${net.data.message}`, { cause: err });
    return new CrmError('transient', 'UNKNOWN', `${context}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { code: status, headers } = api.data;
  const parsedBody = ErrorBodySchema.safeParse(typeof api.data.body === 'string' ? safeJson(api.data.body) : api.data.body);
  const body = parsedBody.success ? parsedBody.data : {};
  // Property validation errors name the refusal inside the message's JSON ("error":"INVALID_OPTION").
  const inner = /"error"\s*:\s*"([A-Z_]+)"/.exec(body.message ?? '')?.[1];
  const code = body.errors?.[0]?.code ?? inner ?? body.category ?? `HTTP_${status}`;
  const message = `${context}: ${body.message ?? `HTTP ${status}`}`;
  const cause = { cause: err };
  if (status === 401) {
    const expired = body.category === 'EXPIRED_AUTHENTICATION';
    return new CrmError('auth', expired ? 'EXPIRED_AUTHENTICATION' : (body.category ?? 'INVALID_AUTHENTICATION'), message, { ...cause, fix: AUTH_FIX });
  }
  if (status === 403) return new CrmError('auth', body.category ?? 'MISSING_SCOPES', message, { ...cause, fix: 'grant the app the CRM scopes hubsync needs (crm.objects.companies.read/write, crm.schemas.companies.read, crm.objects.owners.read)' });
  if (status === 429) {
    if (body.policyName === 'DAILY') {
      return new CrmError('rate-limit', 'DAILY_LIMIT', message, { ...cause, retryAfterMs: untilMidnightUtcMs(), fix: "the portal's daily API allowance is used up; it restarts at midnight (HubSpot: in the account's time zone)" });
    }
    const interval = Number(header(headers, 'X-HubSpot-RateLimit-Interval-Milliseconds'));
    return new CrmError('rate-limit', 'SECONDLY_LIMIT', message, { ...cause, retryAfterMs: Number.isFinite(interval) && interval > 0 ? Math.min(interval, 10_000) : 1000 });
  }
  if (status === 404) return new CrmError('not-found', 'OBJECT_NOT_FOUND', message, cause);
  if (status >= 500) return new CrmError('transient', code, message, cause);
  if (status === 400 || status === 409) return new CrmError('record', code, message, cause);
  return new CrmError('configuration', code, message, cause);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text };
  }
}

/** An OAuth access token as the token endpoint answers it. */
const TokenSchema = z.object({ accessToken: z.string().min(1), expiresIn: z.number() });

/** Refresh an OAuth access token this long before HubSpot says it expires. */
const REFRESH_MARGIN_MS = 60_000;
/** Attempts of one call: the first, then retries of secondly 429s and (for calls that may be repeated) 5xx and network failures. */
const ATTEMPTS = 4;

export interface CallOptions {
  /** The call may be sent again after a failure whose answer was lost (reads; not a PATCH). */
  idempotent: boolean;
  /** A search call: paced to the connection's search rate. */
  search?: boolean;
}

/**
 * One authenticated HubSpot API client for one connection. `call` runs a client call with a fresh token,
 * search pacing and retries: a 429 of the rolling limit (nothing was applied) waits HubSpot's interval and
 * tries again, as do 5xx and network failures of idempotent calls; everything else, and the last failure,
 * leaves as a CrmError.
 */
export class HubSpotApi {
  readonly client: Client;
  private expiresAt = Number.POSITIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private lastSearchAt = 0;
  private readonly searchGapMs: number;
  /** The newest daily usage HubSpot reported on an answer, until taken. */
  private reported: ApiUsage | undefined;

  constructor(
    readonly connectionId: string,
    readonly baseUrl: string,
    private readonly settings: HubSpotSettings,
    private readonly secrets: HubSpotSecrets,
  ) {
    // The typed APIs return bodies only; this hook sees every answer's headers on the way (P6: the daily
    // allowance HubSpot reports to private apps in X-HubSpot-RateLimit-Daily and -Daily-Remaining).
    const observe = {
      pre: (ctx: unknown) => ctx,
      post: (ctx: unknown) => {
        const headers = (ctx as { headers?: Record<string, string> }).headers ?? {};
        const daily = Number(headers['x-hubspot-ratelimit-daily']);
        const remaining = Number(headers['x-hubspot-ratelimit-daily-remaining']);
        if (headers['x-hubspot-ratelimit-daily'] && Number.isFinite(daily) && Number.isFinite(remaining)) this.reported = { used: daily - remaining, max: daily, window: 'day' };
        return ctx;
      },
    };
    this.client = new Client({ basePath: baseUrl, middleware: [observe], ...(secrets.accessToken ? { accessToken: secrets.accessToken } : {}) });
    this.searchGapMs = 1000 / (settings.searchPerSecond ?? HUBSPOT_SEARCH_PER_SECOND);
  }

  /** The daily usage reported since the last time this was asked (undefined: nothing new, or an OAuth app). */
  takeReportedUsage(): ApiUsage | undefined {
    const usage = this.reported;
    this.reported = undefined;
    return usage;
  }

  get oauth(): boolean {
    return !this.secrets.accessToken;
  }

  /** Authenticates: OAuth connections exchange their refresh token now, so a refused one is refused at once. */
  async open(): Promise<this> {
    if (this.oauth) await this.refresh();
    return this;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const answer = await this.client.oauth.tokensApi.create('refresh_token', undefined, undefined, this.settings.clientId, this.secrets.clientSecret, this.secrets.refreshToken);
        const token = TokenSchema.parse(answer);
        this.client.setAccessToken(token.accessToken);
        this.expiresAt = Date.now() + token.expiresIn * 1000;
      } catch (err) {
        const e = toCrmError(err, `connection '${this.connectionId}': refreshing the OAuth access token at ${this.baseUrl}/oauth/v1/token`);
        // The token endpoint answers a refused refresh token or client with 400 (BAD_REFRESH_TOKEN, BAD_CLIENT_ID…).
        throw e.kind === 'record' || e.kind === 'configuration' ? new CrmError('auth', e.code, e.message, { cause: err, fix: AUTH_FIX }) : e;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async pace(): Promise<void> {
    const wait = this.lastSearchAt + this.searchGapMs - Date.now();
    this.lastSearchAt = Math.max(Date.now(), this.lastSearchAt + this.searchGapMs);
    if (wait > 0) await sleep(wait);
  }

  async call<T>(what: string, options: CallOptions, body: (client: Client) => Promise<T>): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (this.oauth && Date.now() > this.expiresAt - REFRESH_MARGIN_MS) await this.refresh();
      if (options.search) await this.pace();
      try {
        return await body(this.client);
      } catch (err) {
        const e = toCrmError(err, what);
        if (e.code === 'EXPIRED_AUTHENTICATION' && this.oauth && !refreshed) {
          refreshed = true;
          await this.refresh();
          continue;
        }
        const again = attempt < ATTEMPTS && (e.code === 'SECONDLY_LIMIT' || (options.idempotent && e.kind === 'transient'));
        if (!again) throw e;
        await sleep(e.code === 'SECONDLY_LIMIT' ? (e.retryAfterMs ?? 1000) : 200 * attempt);
      }
    }
  }
}
