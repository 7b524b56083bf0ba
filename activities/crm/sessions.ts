/**
 * Opening CRM sessions from stored connections: the secrets are decrypted here, at call time, and go no
 * further than the connector. A worker keeps one session per connection for its lifetime (the connectors
 * refresh expired tokens themselves), so a run costs one token request, not one per activity.
 */
import { loadConnection } from '../hub/connections';
import type { SecretBox } from '../hub/secrets';
import type { Pool } from '../hub/store';
import type { CrmSession } from './connector';
import { connectorFor } from './index';

export async function openSession(pool: Pool, box: SecretBox, connectionId: string): Promise<CrmSession> {
  const connection = await loadConnection(pool, box, connectionId);
  return connectorFor(connection.kind).open(connection);
}

export type SessionSource = (connectionId: string) => Promise<CrmSession>;

/** One session per connection, opened on first use; a failed open is forgotten so the next call retries. */
export function sessionCache(pool: Pool, box: () => SecretBox): SessionSource {
  const sessions = new Map<string, Promise<CrmSession>>();
  return (connectionId) => {
    let session = sessions.get(connectionId);
    if (!session) {
      session = openSession(pool, box(), connectionId);
      session.catch(() => sessions.delete(connectionId));
      sessions.set(connectionId, session);
    }
    return session;
  };
}
