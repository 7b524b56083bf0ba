/**
 * OAuth for the sandbox's one public app: `POST /oauth/v1/token` with `grant_type=refresh_token` (the client's
 * `oauth.tokensApi.create(grantType, code, redirectUri, clientId, clientSecret, refreshToken)` sends it
 * form-encoded and accepts only 200), access tokens that expire, and the authentication of every API call
 * (the private-app token or a live OAuth access token).
 *
 * Sources:
 * - Request and 200 body `{access_token, refresh_token, expires_in, token_type}` (plus `id_token` with
 *   openid): HubSpot's OAuth tokens guide and "Refresh an access token" reference; the client's
 *   TokenResponseIF maps exactly these names. `expires_in` 1800 s: the reference's example, and the 30-minute
 *   expiry reported in airbytehq/airbyte#74726 and ToolJet/ToolJet#17192.
 * - A bad refresh token: 400 `BAD_REFRESH_TOKEN` (HGData/mk-node-hubspot#64) with the message "missing or
 *   invalid refresh token" (supaglue-labs/supaglue#1935); the body's shape `{status: <code>, message,
 *   correlationId, requestId}` and the other codes (BAD_GRANT_TYPE, BAD_CLIENT_ID, BAD_CLIENT_SECRET,
 *   BAD_AUTH_CODE) are [infer].
 * - An expired access token: 401 `{status:"error", message:"The OAuth token used to make this call expired
 *   N second(s) ago.", correlationId, category:"EXPIRED_AUTHENTICATION", context:{"expire time":[ISO]}}`
 *   (a real response quoted in airbytehq/airbyte#74726; "hour(s)" and "day(s)" in ToolJet/ToolJet#17192 and
 *   HubSpot/hubspot-api-php#363; "minute(s)" [infer]).
 * - `GET /oauth/v1/access-tokens/{token}` (client `oauth.accessTokensApi.get`): 200 with the client's
 *   AccessTokenInfoResponse fields `{token, user, hub_domain, scopes, hub_id, app_id, expires_in, user_id,
 *   token_type}` (tokens guide, "Get information for an access token"); the values, and 404 for an unknown or
 *   expired token, are [infer].
 * - [infer] A refresh returns the same refresh token (HubSpot's refresh tokens do not rotate); access tokens
 *   are opaque strings (HubSpot's are up to ~300 characters, reference note).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HubSpotError } from './errors';
import { ok, RouteTable, type HsRequest, type HsResponse } from './http';
import type { Credential } from './limits';
import { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID } from './portal';

export const SANDBOX_OAUTH_CLIENT_ID = '3f6e2b8a-5d1c-4e7a-9b0d-2a4c6e8f0a1b';
export const SANDBOX_OAUTH_CLIENT_SECRET = 'c7e1a2b3-94d5-4f60-8a71-b2c3d4e5f601';
/** HubSpot's refresh tokens carry the data-centre region as prefix (`na1-…`) [infer from real tokens]. */
export const SANDBOX_REFRESH_TOKEN = 'na1-6f18-f26a-3e95-4d95-a6e5-3d5c6e5c9e5a';
/** The app's ID and the installing user (the first seeded owner) in token info [infer]. */
const SANDBOX_APP_ID = 3141592;
const INSTALLING_USER = { email: 'ada@hubsync.sandbox', userId: 9_100_001 };
const SCOPES = ['oauth', 'crm.objects.companies.read', 'crm.objects.companies.write', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.owners.read', 'crm.schemas.companies.read', 'crm.schemas.contacts.read'];
/** HubSpot's access-token lifetime. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 1800;

/** The OAuth endpoints' error body has the code in `status`, not `category` [infer: see the header]. */
class OAuthError extends HubSpotError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(400, code, message);
  }

  override body(): Record<string, unknown> {
    return { status: this.code, message: this.message, correlationId: randomUUID(), requestId: randomUUID() };
  }
}

/**
 * HubSpot's 401 for a request without credentials (message as the v3 auth-error changelog and real responses
 * show it); an unknown token gets the same category [contract §6: unverified].
 */
export function unauthenticated(): HubSpotError {
  const link = 'https://developers.hubspot.com/docs/methods/auth/oauth-overview';
  return new HubSpotError(401, 'INVALID_AUTHENTICATION', `Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at ${link}`);
}

/** "expired 5 hour(s) ago": the largest whole unit, as the quoted responses show. */
function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} second(s)`;
  if (s < 3600) return `${Math.floor(s / 60)} minute(s)`;
  if (s < 86_400) return `${Math.floor(s / 3600)} hour(s)`;
  return `${Math.floor(s / 86_400)} day(s)`;
}

export class OAuthTokens {
  private ttlSeconds: number;
  private readonly access = new Map<string, number>();

  constructor(
    private readonly defaultTtlSeconds: number,
    private readonly now: () => Date,
  ) {
    this.ttlSeconds = defaultTtlSeconds;
  }

  /** Forgets the issued access tokens; the start-up lifetime again. */
  reset(): void {
    this.access.clear();
    this.ttlSeconds = this.defaultTtlSeconds;
  }

  /** Ends the life of every live access token now (as if each had reached its expiry): the next call with one is 401 EXPIRED_AUTHENTICATION. */
  expireAll(): number {
    const at = this.now().getTime();
    let expired = 0;
    for (const [token, expiresAt] of this.access) {
      if (expiresAt <= at) continue;
      this.access.set(token, at);
      expired++;
    }
    return expired;
  }

  /** Applies to access tokens issued from now on. */
  configure(accessTokenTtlSeconds: number): void {
    this.ttlSeconds = accessTokenTtlSeconds;
  }

  status(): { clientId: string; clientSecret: string; refreshToken: string; accessTokenTtlSeconds: number; accessTokens: { issued: number; live: number } } {
    const at = this.now().getTime();
    const live = [...this.access.values()].filter((expiresAt) => expiresAt > at).length;
    return { clientId: SANDBOX_OAUTH_CLIENT_ID, clientSecret: SANDBOX_OAUTH_CLIENT_SECRET, refreshToken: SANDBOX_REFRESH_TOKEN, accessTokenTtlSeconds: this.ttlSeconds, accessTokens: { issued: this.access.size, live } };
  }

  /** The issued access tokens with their expiry (epoch ms), for persistence. */
  snapshot(): [string, number][] {
    return [...this.access];
  }

  /** Accepts access tokens issued before a restart again, until they expire. */
  restore(issued: [string, number][]): void {
    for (const [token, expiresAt] of issued) this.access.set(token, expiresAt);
  }

  /** `POST /oauth/v1/token`; checks in the order grant type, client ID, secret, refresh token [infer]. */
  token(req: HsRequest): HsResponse {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') throw new OAuthError('BAD_AUTH_CODE', 'missing or unknown auth code');
    if (grant !== 'refresh_token') throw new OAuthError('BAD_GRANT_TYPE', 'missing or unknown grant type');
    if (form.get('client_id') !== SANDBOX_OAUTH_CLIENT_ID) throw new OAuthError('BAD_CLIENT_ID', 'missing or unknown client id');
    if (form.get('client_secret') !== SANDBOX_OAUTH_CLIENT_SECRET) throw new OAuthError('BAD_CLIENT_SECRET', 'missing or invalid client secret');
    if (form.get('refresh_token') !== SANDBOX_REFRESH_TOKEN) throw new OAuthError('BAD_REFRESH_TOKEN', 'missing or invalid refresh token');
    const accessToken = `C${randomBytes(96).toString('base64url')}`;
    this.access.set(accessToken, this.now().getTime() + this.ttlSeconds * 1000);
    return ok({ access_token: accessToken, refresh_token: SANDBOX_REFRESH_TOKEN, expires_in: this.ttlSeconds, token_type: 'bearer' });
  }

  /** `GET /oauth/v1/access-tokens/{token}`. */
  info(token: string): HsResponse {
    const expiresAt = this.access.get(token);
    const left = expiresAt === undefined ? 0 : Math.floor((expiresAt - this.now().getTime()) / 1000);
    if (left <= 0) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'access token not found or expired');
    return ok({ token, user: INSTALLING_USER.email, hub_domain: 'hubsync-sandbox.com', scopes: SCOPES, hub_id: SANDBOX_PORTAL_ID, app_id: SANDBOX_APP_ID, expires_in: left, user_id: INSTALLING_USER.userId, token_type: 'access' });
  }

  /** The unauthenticated OAuth endpoints under `/oauth/v1`. */
  routes(): RouteTable {
    return new RouteTable().on('POST', '/oauth/v1/token', (req) => this.token(req)).on('GET', '/oauth/v1/access-tokens/{token}', (req) => this.info(req.params['token'] ?? ''));
  }

  /** Who an `Authorization` header is; throws HubSpot's 401 for a missing, unknown or expired token. */
  authenticate(authorization: string | undefined): Credential {
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (token === SANDBOX_ACCESS_TOKEN) return 'private-app';
    const expiresAt = token === undefined ? undefined : this.access.get(token);
    if (expiresAt === undefined) throw unauthenticated();
    const at = this.now().getTime();
    if (expiresAt <= at) {
      throw new HubSpotError(401, 'EXPIRED_AUTHENTICATION', `The OAuth token used to make this call expired ${ago(at - expiresAt)} ago.`, { context: { 'expire time': [new Date(expiresAt).toISOString()] } });
    }
    return 'oauth';
  }
}
