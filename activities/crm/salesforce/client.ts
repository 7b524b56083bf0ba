/**
 * Salesforce through jsforce: authentication from a stored connection, describe in hubsync's shape, API
 * usage, and the one translation of jsforce errors into CrmError kinds.
 *
 * jsforce behaviours this relies on (read in jsforce's http-api and session-refresh-delegate sources): it refreshes the access token on a 401
 * when an OAuth client and refresh token are configured, and replays the call; it silently retries GETs
 * on 420/429/5xx; errors carry Salesforce's errorCode as `name`/`errorCode`.
 */
import { Connection, type DescribeSObjectResult } from 'jsforce';
import { z } from 'zod';
import type { ApiUsage } from '../connector';
import { CrmError } from '../errors';
import type { CrmFieldDescribe, CrmObjectDescribe } from '../types';
import type { SalesforceSecrets, SalesforceSettings } from './connection';

/** The API version hubsync speaks; jsforce would otherwise default to 50.0 (and degrade collection calls). */
export const SALESFORCE_API_VERSION = '62.0';

export interface SalesforceConnectionInfo {
  id: string;
  baseUrl: string;
  settings: SalesforceSettings;
  secrets: SalesforceSecrets;
}

/** What jsforce's errors carry: Salesforce's errorCode (also as `name`), or a Node network code. */
const JsforceErrorSchema = z.object({
  name: z.string().optional(),
  errorCode: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
});

function errorParts(err: unknown): z.infer<typeof JsforceErrorSchema> {
  const parsed = JsforceErrorSchema.safeParse(err);
  return parsed.success ? parsed.data : {};
}

/** Whether jsforce reported Salesforce's NOT_FOUND (an unknown object in describe, a missing record). */
export function isNotFound(err: unknown): boolean {
  const e = errorParts(err);
  return e.errorCode === 'NOT_FOUND' || e.name === 'NOT_FOUND';
}

const AUTH_FIX = "check the connection's credentials (`hubsync connection test <id>`) and add it again with the current ones";

/** How Node and undici describe a request that never got an answer. */
const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|fetch failed|other side closed/i;

/** Translates whatever jsforce (or the network) threw into a CrmError with the CRM's reason. */
export function toCrmError(err: unknown, context: string): CrmError {
  if (err instanceof CrmError) return err;
  const e = errorParts(err);
  const message = `${context}: ${e.message ?? String(err)}`;
  const cause = { cause: err };
  // jsforce replaces a failed token refresh (after a 401) by a plain Error "Unable to refresh session due to:
  // <the OAuth error_description>", dropping the OAuth error code (session-refresh-delegate.ts). The token
  // endpoint refused the refresh token unless the refresh never reached it (a network failure).
  const refresh = /^Unable to refresh session due to: (.*)$/s.exec(e.message ?? '');
  if (refresh) {
    if (NETWORK_FAILURE.test(refresh[1] ?? '')) return new CrmError('transient', 'REFRESH_UNREACHABLE', message, cause);
    return new CrmError('auth', 'REFRESH_REFUSED', message, { ...cause, fix: AUTH_FIX });
  }
  const code = e.errorCode ?? e.name ?? e.code ?? 'UNKNOWN';
  switch (code) {
    case 'INVALID_SESSION_ID':
    case 'invalid_grant':
    case 'invalid_client':
    case 'invalid_client_id':
    case 'INVALID_AUTH_HEADER':
      return new CrmError('auth', code, message, { ...cause, fix: AUTH_FIX });
    case 'REQUEST_LIMIT_EXCEEDED':
      // Salesforce gives no retry hint; the activity's exponential backoff (up to a minute) spaces retries.
      return new CrmError('rate-limit', code, message, cause);
    case 'UNABLE_TO_LOCK_ROW':
    case 'SERVER_UNAVAILABLE':
    case 'ECONNRESET':
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EPIPE':
    case 'ERROR_HTTP_500':
    case 'ERROR_HTTP_502':
    case 'ERROR_HTTP_503':
    case 'ERROR_HTTP_504':
      return new CrmError('transient', code, message, cause);
    case 'MALFORMED_QUERY':
    case 'INVALID_FIELD':
    case 'INVALID_TYPE':
    case 'INVALID_QUERY_FILTER_OPERATOR':
    case 'NOT_FOUND':
      return new CrmError('configuration', code, message, cause);
    default:
      return new CrmError(/^ERROR_HTTP_5/.test(code) ? 'transient' : 'record', code, message, cause);
  }
}

/**
 * Opens an authenticated jsforce connection. With a refresh token the access token is obtained up front
 * and refreshed by jsforce whenever Salesforce answers INVALID_SESSION_ID; with a username and password the
 * OAuth password flow is used; with only a client secret, the client-credentials flow.
 */
export async function openSalesforce(info: SalesforceConnectionInfo): Promise<Connection> {
  const { settings, secrets } = info;
  const oauth2 = { clientId: settings.clientId, loginUrl: settings.loginUrl, ...(secrets.clientSecret ? { clientSecret: secrets.clientSecret } : {}) };
  const version = settings.apiVersion ?? SALESFORCE_API_VERSION;
  try {
    if (secrets.refreshToken) {
      const conn = new Connection({ oauth2, instanceUrl: info.baseUrl, refreshToken: secrets.refreshToken, version });
      const token = await conn.oauth2.refreshToken(secrets.refreshToken);
      conn.accessToken = token.access_token;
      if (token.instance_url) conn.instanceUrl = token.instance_url;
      return conn;
    }
    if (settings.username && secrets.password) {
      const conn = new Connection({ oauth2, instanceUrl: info.baseUrl, version });
      await conn.login(settings.username, secrets.password);
      return conn;
    }
    if (secrets.clientSecret) {
      const conn = new Connection({ oauth2, instanceUrl: info.baseUrl, version });
      const token = await conn.oauth2.requestToken({ grant_type: 'client_credentials' });
      conn.accessToken = token.access_token;
      if (token.instance_url) conn.instanceUrl = token.instance_url;
      return conn;
    }
  } catch (err) {
    throw toCrmError(err, `connection '${info.id}': authentication at ${settings.loginUrl} failed`);
  }
  throw new CrmError('configuration', 'NO_CREDENTIALS', `connection '${info.id}' has neither a refresh token, a username and password, nor a client secret`, { fix: 'add the connection again with a refresh token, a username and password, or a client secret' });
}

function toFieldDescribe(field: DescribeSObjectResult['fields'][number]): CrmFieldDescribe {
  return {
    name: field.name,
    label: field.label,
    type: field.type,
    createable: field.createable,
    updateable: field.updateable,
    nillable: field.nillable,
    externalId: field.externalId,
    idLookup: field.idLookup,
    unique: field.unique,
    calculated: field.calculated,
    defaultedOnCreate: field.defaultedOnCreate,
    referenceTo: (field.referenceTo ?? []).filter((t): t is string => typeof t === 'string'),
    relationshipName: field.relationshipName ?? null,
    picklistValues: (field.picklistValues ?? []).map((p) => ({ value: p.value, active: p.active })),
    restrictedPicklist: field.restrictedPicklist === true,
    length: field.length ?? 0,
  };
}

/**
 * A describe lookup that asks Salesforce once per object and remembers the answer (and "no such object"). A
 * describe that failed (a rate limit, a 5xx, a lost connection) is forgotten, so the next caller asks again:
 * remembered, it failed every later activity of the session, on this worker, until the worker restarted.
 */
export function describeCache(conn: Connection): (objectName: string) => Promise<CrmObjectDescribe | undefined> {
  const cache = new Map<string, Promise<CrmObjectDescribe | undefined>>();
  return (objectName) => {
    const key = objectName.toLowerCase();
    let pending = cache.get(key);
    if (!pending) {
      pending = conn.describe(objectName).then(
        (d): CrmObjectDescribe => ({ name: d.name, label: d.label, createable: d.createable, updateable: d.updateable, queryable: d.queryable, fields: d.fields.map(toFieldDescribe) }),
        (err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw toCrmError(err, `describe ${objectName}`);
        },
      );
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    return pending;
  };
}

const LimitsSchema = z.object({ DailyApiRequests: z.object({ Max: z.number(), Remaining: z.number() }) });

/** The org's daily API usage, from /limits. */
export async function apiUsage(conn: Connection): Promise<ApiUsage> {
  let answer: unknown;
  try {
    answer = await conn.limits();
  } catch (err) {
    throw toCrmError(err, 'read API limits');
  }
  const parsed = LimitsSchema.safeParse(answer);
  if (!parsed.success) throw new CrmError('transient', 'UNEXPECTED_RESPONSE', `the /limits answer has no DailyApiRequests {Max, Remaining}: ${parsed.error.message}`);
  const daily = parsed.data.DailyApiRequests;
  return { used: daily.Max - daily.Remaining, max: daily.Max, window: 'day' };
}
