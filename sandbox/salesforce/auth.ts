/**
 * OAuth 2.0 as Salesforce's token endpoint answers it (`POST /services/oauth2/token`, form-encoded):
 * username-password, refresh-token and client-credentials grants, `{error, error_description}` errors, and
 * bearer access tokens that expire (so jsforce's 401 → refresh → replay path runs for real). Plus the identity
 * URL (`/id/<org>/<user>`) the token response points at, and token revocation.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type SandboxClock } from './clock';
import { OAuthError, json, type ApiRequest, type ApiResponse, type Router } from './http';
import { normalizeId } from './ids';
import { type StoredRecord } from './model';
import { type Store } from './store';

export interface SandboxCredentials {
  username: string;
  password: string;
  /** Appended to the password for the username-password flow outside trusted IP ranges. */
  securityToken: string;
  clientId: string;
  clientSecret: string;
  /** A refresh token as an earlier web-server flow would have issued it; valid until the sandbox is reset. */
  refreshToken: string;
}

/** The documented local credentials (README "Salesforce sandbox"). Not secrets: the sandbox is loopback-only. */
export const DEFAULT_CREDENTIALS: SandboxCredentials = {
  username: 'admin@hubsync.sandbox',
  password: 'hubsync-sandbox',
  securityToken: 'SANDBOXSECURITYTOKEN',
  clientId: 'hubsync-sandbox-client-id',
  clientSecret: 'hubsync-sandbox-client-secret',
  refreshToken: '5Aep861hubsyncSandboxRefreshToken000000000000000000000000000000',
};

/** Salesforce's default session timeout. */
export const DEFAULT_TOKEN_TTL_SECONDS = 2 * 3600;

interface Session {
  userId: string;
  expiresMs: number;
  /** The refresh token the session was obtained with, if any: revoking it revokes the session too. */
  refreshToken?: string;
}

export class TokenStore {
  private readonly sessions = new Map<string, Session>();
  /** Refresh tokens revoked through /services/oauth2/revoke: a refresh_token grant with one is refused. */
  private readonly revokedRefreshTokens = new Set<string>();

  constructor(
    private readonly clock: SandboxClock,
    public ttlSeconds: number,
  ) {}

  issue(orgId: string, userId: string, refreshToken?: string): string {
    // Salesforce access tokens read `<15-char org id>!<opaque>`.
    const token = `${orgId.slice(0, 15)}!${randomBytes(72).toString('base64url')}`;
    this.sessions.set(token, { userId, expiresMs: this.clock.nowMs() + this.ttlSeconds * 1000, ...(refreshToken ? { refreshToken } : {}) });
    return token;
  }

  /**
   * "If a refresh token is included, Salesforce revokes it and any associated access tokens" (Salesforce's
   * "Revoking OAuth Tokens").
   */
  revokeRefreshToken(refreshToken: string): void {
    this.revokedRefreshTokens.add(refreshToken);
    for (const [token, session] of this.sessions) if (session.refreshToken === refreshToken) this.sessions.delete(token);
  }

  isRevokedRefreshToken(refreshToken: string): boolean {
    return this.revokedRefreshTokens.has(refreshToken);
  }

  /** The user of a live session, or undefined (unknown, revoked or expired). */
  validate(token: string): string | undefined {
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.expiresMs <= this.clock.nowMs()) {
      this.sessions.delete(token);
      return undefined;
    }
    return session.userId;
  }

  revoke(token: string): boolean {
    return this.sessions.delete(token);
  }

  expireAll(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    return n;
  }
}

export interface AuthDeps {
  store: Store;
  tokens: TokenStore;
  credentials: SandboxCredentials;
  baseUrl: () => string;
  orgId: () => string;
  adminUserId: () => string;
}

export function bearerToken(req: ApiRequest<unknown>): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

export function identityUrl(deps: Pick<AuthDeps, 'baseUrl' | 'orgId'>, userId: string): string {
  return `${deps.baseUrl()}/id/${deps.orgId()}/${userId}`;
}

function formParams(req: ApiRequest<unknown>): URLSearchParams {
  const params = new URLSearchParams(req.body.toString('utf8'));
  for (const [key, value] of req.query) if (!params.has(key)) params.set(key, value);
  return params;
}

function findUser(store: Store, username: string): StoredRecord | undefined {
  const user = store.getObject('User');
  const field = user ? store.schema.field(user, 'Username') : undefined;
  return user && field ? store.findByField(user, field, username)[0] : undefined;
}

function tokenResponse(deps: AuthDeps, userId: string, extra: Record<string, string>, refreshToken?: string): ApiResponse {
  const accessToken = deps.tokens.issue(deps.orgId(), userId, refreshToken);
  const id = identityUrl(deps, userId);
  const issuedAt = String(deps.store.clock.nowMs());
  // "signature: Base64-encoded HMAC-SHA256 signature signed with the client_secret ... of the concatenated ID and issued_at values."
  const signature = createHmac('sha256', deps.credentials.clientSecret).update(id + issuedAt).digest('base64');
  return json(200, { access_token: accessToken, ...extra, signature, scope: 'api refresh_token', instance_url: deps.baseUrl(), id, token_type: 'Bearer', issued_at: issuedAt });
}

function checkClient(deps: AuthDeps, params: URLSearchParams, secretRequired: boolean): void {
  if (params.get('client_id') !== deps.credentials.clientId) throw new OAuthError(400, 'invalid_client_id', 'client identifier invalid');
  const secret = params.get('client_secret');
  if ((secretRequired || secret !== null) && secret !== deps.credentials.clientSecret) throw new OAuthError(400, 'invalid_client', 'invalid client credentials');
}

export function registerAuthRoutes(router: Router, deps: AuthDeps): void {
  router.add('POST', '/services/oauth2/token', (req) => {
    const params = formParams(req);
    const grant = params.get('grant_type');
    switch (grant) {
      case 'password': {
        checkClient(deps, params, true);
        const user = findUser(deps.store, params.get('username') ?? '');
        const password = params.get('password') ?? '';
        const { password: expected, securityToken } = deps.credentials;
        // Loopback is a trusted IP range, so the security token may be appended or left out.
        const passwordOk = password === expected || password === expected + securityToken;
        if (!user || !passwordOk || user.fields['IsActive'] !== true) throw new OAuthError(400, 'invalid_grant', 'authentication failure');
        // "No refresh token is issued" in the username-password flow.
        return tokenResponse(deps, user.id, {});
      }
      case 'refresh_token': {
        checkClient(deps, params, false);
        const refreshToken = params.get('refresh_token') ?? '';
        if (refreshToken !== deps.credentials.refreshToken || deps.tokens.isRevokedRefreshToken(refreshToken)) throw new OAuthError(400, 'invalid_grant', 'expired access/refresh token');
        return tokenResponse(deps, deps.adminUserId(), {}, refreshToken);
      }
      case 'client_credentials':
        // The connected app's "Run As" user is the sandbox admin.
        checkClient(deps, params, true);
        return tokenResponse(deps, deps.adminUserId(), {});
      default:
        throw new OAuthError(400, 'unsupported_grant_type', 'grant type not supported');
    }
  });

  router.add('POST', '/services/oauth2/revoke', (req) => {
    const token = formParams(req).get('token') ?? '';
    if (token === deps.credentials.refreshToken) deps.tokens.revokeRefreshToken(token);
    else if (!deps.tokens.revoke(token)) throw new OAuthError(400, 'unsupported_token_type', 'this token type is not supported');
    return json(200, {});
  });

  router.add('GET', '/id/:org/:user', (req) => {
    const token = bearerToken(req) ?? req.query.get('oauth_token') ?? '';
    const sessionUser = deps.tokens.validate(token);
    if (!sessionUser) throw new OAuthError(403, 'Bad_OAuth_Token', 'Bad_OAuth_Token');
    const userId = normalizeId(req.params.user);
    const user = userId ? deps.store.getRecord(userId) : undefined;
    if (!user || user.type !== 'User' || normalizeId(req.params.org) !== deps.orgId()) throw new OAuthError(404, 'Bad_Id', 'Bad_Id');
    const f = (name: string) => user.fields[name] ?? null;
    const base = deps.baseUrl();
    return json(200, {
      id: identityUrl(deps, user.id),
      asserted_user: sessionUser === user.id,
      user_id: user.id,
      organization_id: deps.orgId(),
      username: f('Username'),
      nick_name: f('CommunityNickname'),
      display_name: f('Name'),
      email: f('Email'),
      email_verified: true,
      first_name: f('FirstName'),
      last_name: f('LastName'),
      timezone: f('TimeZoneSidKey'),
      active: f('IsActive'),
      user_type: 'STANDARD',
      language: f('LanguageLocaleKey'),
      locale: f('LocaleSidKey'),
      utcOffset: 0,
      last_modified_date: f('LastModifiedDate'),
      urls: {
        rest: `${base}/services/data/v{version}/`,
        sobjects: `${base}/services/data/v{version}/sobjects/`,
        query: `${base}/services/data/v{version}/query/`,
        recent: `${base}/services/data/v{version}/recent/`,
        profile: `${base}/${user.id}`,
      },
      is_app_installed: true,
    });
  });
}
