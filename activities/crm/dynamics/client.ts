/**
 * Dataverse through dynamics-web-api 2.x: access tokens by the OAuth 2.0 client-credentials grant, the
 * retries Dataverse's service protection asks for, and the one translation of the library's errors into
 * CrmError kinds.
 *
 * Tokens. dynamics-web-api asks `onTokenRefresh` before every request and caches nothing, so tokens are
 * cached here until a minute before they expire. They come from simple-oauth2's client-credentials grant
 * against the connection's token endpoint: Entra ID's `/{tenant}/oauth2/v2.0/token` for a real tenant, the
 * sandbox's own for the local one. MSAL is not used because it accepts HTTPS authorities only and first runs
 * Entra's instance discovery; the grant itself is one form POST either way (client_id, client_secret,
 * scope `<environment>/.default`), so one code path serves a real tenant and the sandbox.
 *
 * Library behaviours this relies on (read in dynamics-web-api 2.5.0): a failed request rejects with an Error
 * carrying Dataverse's `error.code`/`message` plus `status` and `headers`; with `propagateErrors` the
 * convenience wrappers (update, upsert, delete) reject on 412/404 instead of answering false; network
 * failures reject with Node's system error (`code`); the library never retries.
 *
 * Service protection (Microsoft Learn, "Service protection API limits"): a 429 carries `Retry-After` in
 * seconds; nothing was done, so the call is sent again after that wait when it fits the attempts left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamicsWebApi } from 'dynamics-web-api';
import { ClientCredentials, type AccessToken } from 'simple-oauth2';
import { z } from 'zod';
import { CrmError, header } from '../errors';
import type { DataverseSecrets, DataverseSettings } from './connection';

/** Dataverse Web API version the connector speaks. */
export const DATAVERSE_API_VERSION = '9.2';

const AUTH_FIX = "check the connection's tenant, client ID and secret, and that the app registration is an application user of the environment (`hubsync connection test <id>`; `hubsync connection update <id> --client-secret …`)";

/** What the library rejects with for an HTTP error (Dataverse's `error` object merged in). */
const RequestErrorSchema = z.looseObject({ status: z.number(), message: z.string().optional(), code: z.string().optional(), headers: z.record(z.string(), z.unknown()).optional() });
const NetworkErrorSchema = z.looseObject({ code: z.string(), message: z.string() });
/** An OAuth error body (RFC 6749 §5.2; Entra adds the AADSTS code in the description). */
const OAuthErrorSchema = z.looseObject({ error: z.string(), error_description: z.string().optional() });
/** How simple-oauth2 (through @hapi/wreck) rejects: a Boom error with the status and the parsed body. */
const BoomSchema = z.looseObject({ isBoom: z.literal(true), output: z.looseObject({ statusCode: z.number() }), data: z.looseObject({ payload: z.unknown().optional() }).nullish(), message: z.string() });

/** The code of every 412: the row is not at the version If-Match named, or exists despite If-None-Match: *. */
export const PRECONDITION_FAILED = 'PRECONDITION_FAILED';

/** Dataverse's error codes hubsync treats apart (Web API error codes reference). */
export const DATAVERSE_CODES = {
  /** A delta token older than the table's change-tracking retention. */
  expiredVersionStamp: '0x80044352',
} as const;

/** Translates whatever the library (or the network) threw into a CrmError with Dataverse's reason. */
export function toCrmError(err: unknown, context: string): CrmError {
  if (err instanceof CrmError) return err;
  const http = RequestErrorSchema.safeParse(err);
  if (!http.success) {
    const net = NetworkErrorSchema.safeParse(err);
    if (net.success) return new CrmError('transient', net.data.code, `${context}: ${net.data.message}`, { cause: err });
    return new CrmError('transient', 'UNKNOWN', `${context}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { status, headers } = http.data;
  const code = http.data.code || `HTTP_${status}`;
  const message = `${context}: ${http.data.message ?? `HTTP ${status}`}`;
  const cause = { cause: err };
  if (status === 401) return new CrmError('auth', 'INVALID_TOKEN', message, { ...cause, fix: AUTH_FIX });
  if (status === 403) return new CrmError('auth', code, message, { ...cause, fix: "give the application user a security role that can read and write the table (Power Platform admin center → the environment → Application users)" });
  if (status === 429) {
    const seconds = Number(header(headers, 'Retry-After'));
    return new CrmError('rate-limit', code, message, { ...cause, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 5000, fix: 'Dataverse service protection limits the requests of one user in a 5-minute window; the call is retried after the wait it gives' });
  }
  if (status === 404) return new CrmError('not-found', code, message, cause);
  // A precondition (If-Match, If-None-Match) did not hold: one code whatever Dataverse's own (kept in the message).
  if (status === 412) return new CrmError('record', PRECONDITION_FAILED, `${message} [${code}]`, cause);
  if (status >= 500) return new CrmError('transient', code, message, cause);
  if (status === 400 || status === 409) return new CrmError('record', code, message, cause);
  return new CrmError('configuration', code, message, cause);
}

/** Refresh a token this long before it expires (Entra's live about an hour). */
const REFRESH_MARGIN_SECONDS = 60;
/** Attempts of one call: the first, then retries of 429s (and, for repeatable calls, 5xx and network failures). */
const ATTEMPTS = 4;
/** The longest Retry-After waited inside one call; a longer one leaves as the rate-limit error (callers decide). */
const MAX_RETRY_WAIT_MS = 30_000;
/** Per-request timeout of the library's HTTP call. */
const REQUEST_TIMEOUT_MS = 120_000;

export interface CallOptions {
  /** The call may be sent again after a failure whose answer was lost (reads, conditional writes). */
  idempotent: boolean;
  /**
   * A 429 is waited out here (default). Write-back turns it off: its caller retries within the write-back's
   * own budget, and refuses at once a wait longer than that budget (writeback/apply.ts).
   */
  waitOnRateLimit?: boolean;
}

/**
 * One authenticated Dataverse Web API client for one connection. `call` runs a library call with a current
 * token and the retries above; everything else, and the last failure, leaves as a CrmError. `lastHeaders`
 * keeps the response headers of the last raw request (for the service-protection headers).
 */
export class DataverseApi {
  readonly client: DynamicsWebApi;
  private token: AccessToken | undefined;
  private fetching: Promise<AccessToken> | undefined;
  private readonly grant: ClientCredentials;
  private readonly tokenPath: string;

  constructor(
    readonly connectionId: string,
    readonly serverUrl: string,
    private readonly settings: DataverseSettings,
    secrets: DataverseSecrets,
  ) {
    const tokenUrl = new URL(settings.tokenUrl);
    this.tokenPath = tokenUrl.pathname;
    this.grant = new ClientCredentials({
      client: { id: settings.clientId, secret: secrets.clientSecret },
      auth: { tokenHost: tokenUrl.origin, tokenPath: tokenUrl.pathname },
      // Entra ID takes the client secret in the form body (client_secret_post) as well as in Basic auth.
      options: { authorizationMethod: 'body' },
    });
    this.client = new DynamicsWebApi({
      serverUrl,
      dataApi: { version: DATAVERSE_API_VERSION },
      onTokenRefresh: () => this.accessToken(),
      propagateErrors: true,
      timeout: REQUEST_TIMEOUT_MS,
    });
  }

  /** The scope of a client-credentials token for the environment: its URL with `/.default`. */
  get scope(): string {
    return `${this.serverUrl}/.default`;
  }

  /** Authenticates now, so that refused credentials are refused when the session opens. */
  async open(): Promise<this> {
    await this.accessToken();
    return this;
  }

  /** A current access token: the cached one until a minute before it expires, then a new grant. */
  async accessToken(): Promise<string> {
    if (this.token && !this.token.expired(this.refreshMarginSeconds(this.token))) return String(this.token.token['access_token']);
    this.fetching ??= this.grant.getToken({ scope: this.scope }).then(
      (token) => {
        this.token = token;
        return token;
      },
      (err: unknown) => {
        throw this.tokenError(err);
      },
    );
    try {
      return String((await this.fetching).token['access_token']);
    } finally {
      this.fetching = undefined;
    }
  }

  /** A minute before expiry, or half the lifetime of a token that lives less than two minutes. */
  private refreshMarginSeconds(token: AccessToken): number {
    const lifetime = Number(token.token['expires_in']);
    return Number.isFinite(lifetime) && lifetime > 0 ? Math.min(REFRESH_MARGIN_SECONDS, lifetime / 2) : REFRESH_MARGIN_SECONDS;
  }

  /** Forgets the cached token (Dataverse answered 401: revoked, or expired earlier than it said). */
  dropToken(): void {
    this.token = undefined;
  }

  private tokenError(err: unknown): CrmError {
    const where = `connection '${this.connectionId}': requesting an access token at ${this.settings.tokenUrl}`;
    const boom = BoomSchema.safeParse(err);
    if (!boom.success) return toCrmError(err, where);
    const status = boom.data.output.statusCode;
    const body = OAuthErrorSchema.safeParse(boom.data.data?.payload);
    if (body.success && status < 500) {
      return new CrmError('auth', body.data.error, `${where}: ${body.data.error_description ?? body.data.error}`, { cause: err, fix: AUTH_FIX });
    }
    // No HTTP answer (502 "Client request error" is wreck's wrapping of a network failure) or a server error.
    return new CrmError('transient', status === 502 ? 'TOKEN_ENDPOINT_UNREACHABLE' : `HTTP_${status}`, `${where}: ${boom.data.message}`, { cause: err });
  }

  async call<T>(what: string, options: CallOptions, body: (client: DynamicsWebApi) => Promise<T>): Promise<T> {
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await body(this.client);
      } catch (err) {
        const e = toCrmError(err, what);
        if (e.code === 'INVALID_TOKEN' && !reauthenticated) {
          reauthenticated = true;
          this.dropToken();
          continue;
        }
        const wait = e.kind === 'rate-limit' ? (e.retryAfterMs ?? 5000) : 200 * attempt;
        const again = attempt < ATTEMPTS && ((e.kind === 'rate-limit' && options.waitOnRateLimit !== false && wait <= MAX_RETRY_WAIT_MS) || (options.idempotent && e.kind === 'transient'));
        if (!again) throw e;
        await sleep(wait);
      }
    }
  }
}
