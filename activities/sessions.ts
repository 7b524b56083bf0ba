/**
 * Opening CRM sessions from stored connections: the secrets are decrypted here, at call time, and go no
 * further than the connector. A worker keeps one session per connection (the connectors refresh expired
 * tokens themselves) until the connection changes, so a run costs one token request, not one per activity.
 */
import { loadConnection, type ConnectionWithSecrets } from './hub/connections';
import type { SecretBox } from './hub/secrets';
import type { Pool } from './hub/store';
import type { ApiUsage, CrmSession } from './crm/connector';
import { connectorFor } from './crm/index';
import { countedSession } from './telemetry';

export async function openSession(pool: Pool, box: SecretBox, connectionId: string): Promise<CrmSession> {
  const connection = await loadConnection(pool, box, connectionId);
  return connectorFor(connection.kind).open(connection);
}

export type SessionSource = (connectionId: string) => Promise<CrmSession>;

/** A real call with a connection as it would be saved: authenticate, then read the API usage. */
export async function checkConnection(connection: ConnectionWithSecrets): Promise<ApiUsage> {
  const session = await connectorFor(connection.kind).open(connection);
  return session.apiUsage();
}

/**
 * One session per connection and version of it, opened on first use: a connection updated with new secrets
 * (`hubsync connection update`) gets a new session at the next call, the old one is dropped. A failed open is
 * forgotten, so the next call tries again. Every session it hands out is counted (activities/telemetry.ts:
 * `hubsync_crm_api_calls_total` and `_errors_total`): the worker's CRM calls all go through here.
 */
export function sessionCache(pool: Pool, box: () => SecretBox): SessionSource {
  const sessions = new Map<string, { version: string; session: Promise<CrmSession> }>();
  return async (connectionId) => {
    const { rows } = await pool.query<{ version: string }>('SELECT updated_at::text AS version FROM crm_connections WHERE id = $1', [connectionId]);
    const version = rows[0]?.version ?? '';
    const cached = sessions.get(connectionId);
    if (cached && cached.version === version) return cached.session;
    const session = openSession(pool, box(), connectionId).then(countedSession);
    session.catch(() => {
      if (sessions.get(connectionId)?.session === session) sessions.delete(connectionId);
    });
    sessions.set(connectionId, { version, session });
    return session;
  };
}
