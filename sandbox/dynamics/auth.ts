/**
 * Microsoft Entra ID's token endpoint for the sandbox's one app registration (client credentials grant) and the
 * bearer check of every Web API request.
 *
 * Sources:
 * - "Microsoft identity platform and the OAuth 2.0 client credentials flow": `POST /{tenant}/oauth2/v2.0/token`
 *   with `grant_type=client_credentials`, `client_id`, `client_secret` (or HTTP Basic, client_secret_basic) and
 *   `scope=<resource>/.default`; 200 `{token_type:"Bearer", expires_in, ext_expires_in, access_token}`
 *   (3599 s as Entra issues them); errors `{error, error_description ("AADSTS…: … Trace ID: … Correlation ID: …
 *   Timestamp: …"), error_codes, timestamp, trace_id, correlation_id, error_uri}`.
 * - "Microsoft Entra authentication and authorization error codes" for AADSTS90002 (tenant not found),
 *   AADSTS700016 (unknown application), AADSTS7000215 (invalid secret, 401 invalid_client), AADSTS7000216
 *   (secret missing), AADSTS70003 (unsupported grant), AADSTS900144 (missing parameter), AADSTS1002012 (a
 *   client-credentials scope without /.default), AADSTS500011 (unknown resource).
 * - "Use OAuth authentication with Microsoft Dataverse": a call without a valid token is 401 with
 *   `WWW-Authenticate: Bearer authorization_uri=…, resource_id=…` (and `error=invalid_token` for a bad or
 *   expired one); the body is empty [infer: what real responses show].
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DataverseError } from './errors';
import type { DvResponse } from './http';

export const SANDBOX_TENANT_ID = '7d3c9a1e-5b2f-4e8a-9c6d-1f0e2b3a4c5d';
export const SANDBOX_CLIENT_ID = '51f81489-12ee-4a9e-aaae-a2591f45987d';
/** Entra client secrets are 40 characters with a `~` after the first few [infer from real secrets]. */
export const SANDBOX_CLIENT_SECRET = 'hSb8Q~sandbox.Dataverse-Secret_0123456789';
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3599;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export class EntraTokens {
  private ttlSeconds: number;
  private readonly access = new Map<string, number>();

  constructor(
    private readonly defaultTtlSeconds: number,
    private readonly nowMs: () => number,
  ) {
    this.ttlSeconds = defaultTtlSeconds;
  }

  reset(): void {
    this.access.clear();
    this.ttlSeconds = this.defaultTtlSeconds;
  }

  /** Applies to tokens issued from now on. */
  configure(ttlSeconds: number): void {
    this.ttlSeconds = ttlSeconds;
  }

  /** Forgets every issued token (a client then gets 401 until it asks for a new one). */
  revokeAll(): void {
    this.access.clear();
  }

  status(): { accessTokenTtlSeconds: number; issued: number; live: number } {
    const at = this.nowMs();
    return { accessTokenTtlSeconds: this.ttlSeconds, issued: this.access.size, live: [...this.access.values()].filter((e) => e > at).length };
  }

  snapshot(): [string, number][] {
    return [...this.access];
  }

  restore(issued: [string, number][]): void {
    for (const [token, expiresAt] of issued) this.access.set(token, expiresAt);
  }

  private failure(status: number, error: string, code: number, description: string): DvResponse {
    const trace = randomUUID();
    const correlation = randomUUID();
    const ts = entraTimestamp(this.nowMs());
    return {
      status,
      body: {
        error,
        error_description: `AADSTS${code}: ${description} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${ts}`,
        error_codes: [code],
        timestamp: ts,
        trace_id: trace,
        correlation_id: correlation,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      },
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache' },
    };
  }

  /** `POST /{tenant}/oauth2/v2.0/token`; checks tenant, grant, client, secret, then scope, as Entra reports them. */
  token(tenant: string, body: string, authorization: string | undefined, serverUrl: string): DvResponse {
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      clientId = dec(decoded.slice(0, colon));
      secret = dec(decoded.slice(colon + 1));
    }
    if (tenant !== SANDBOX_TENANT_ID && tenant.toLowerCase() !== 'hubsync.sandbox') {
      return this.failure(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    }
    const grant = form.get('grant_type');
    if (!grant) return this.failure(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') return this.failure(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
    if (!clientId) return this.failure(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (clientId !== SANDBOX_CLIENT_ID) {
      return this.failure(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    if (!secret) return this.failure(401, 'invalid_client', 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.");
    if (secret !== SANDBOX_CLIENT_SECRET) {
      return this.failure(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${SANDBOX_CLIENT_ID}'.`);
    }
    const scope = form.get('scope');
    if (!scope) return this.failure(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const resource = scope.replace(/\/?\.default$/, '');
    if (!scope.endsWith('/.default')) {
      return this.failure(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    if (resource.toLowerCase().replace(/\/+$/, '') !== serverUrl.toLowerCase()) {
      return this.failure(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
    }
    const now = this.nowMs();
    const seconds = Math.floor(now / 1000);
    const payload = { aud: `${serverUrl}/`, iss: `https://sts.windows.net/${SANDBOX_TENANT_ID}/`, iat: seconds, nbf: seconds, exp: seconds + this.ttlSeconds, appid: SANDBOX_CLIENT_ID, tid: SANDBOX_TENANT_ID, idtyp: 'app', ver: '1.0', uti: randomBytes(12).toString('base64url') };
    const accessToken = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'hubsync-sandbox' })}.${b64(payload)}.${randomBytes(64).toString('base64url')}`;
    this.access.set(accessToken, now + this.ttlSeconds * 1000);
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: this.ttlSeconds, ext_expires_in: this.ttlSeconds, access_token: accessToken },
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache' },
    };
  }

  /** Throws Dataverse's 401 unless the Authorization header carries a live token; returns the client ID. */
  authenticate(authorization: string | undefined, serverUrl: string): string {
    const challenge = `authorization_uri=https://login.microsoftonline.com/${SANDBOX_TENANT_ID}/oauth2/authorize, resource_id=${serverUrl}/`;
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (!token) throw new DataverseError(401, '', '', { 'WWW-Authenticate': `Bearer ${challenge}` });
    const expiresAt = this.access.get(token);
    if (expiresAt === undefined || expiresAt <= this.nowMs()) {
      throw new DataverseError(401, '', '', { 'WWW-Authenticate': `Bearer error=invalid_token, error_description="Error during token validation!", ${challenge}` });
    }
    return SANDBOX_CLIENT_ID;
  }
}
