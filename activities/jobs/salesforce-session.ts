/**
 * An authenticated Salesforce session for one connection, with its describe cache: what validation,
 * preview and runs need to talk to the org. Secrets are decrypted here, at call time, and go no further.
 */
import type { Connection } from 'jsforce';
import { describeCache, openSalesforce } from '../crm/salesforce/client';
import type { DescribeLookup } from '../crm/types';
import { loadSalesforceConnection } from '../hub/connections';
import type { SecretBox } from '../hub/secrets';
import type { Pool } from '../hub/store';

export interface SalesforceSession {
  connectionId: string;
  conn: Connection;
  describe: DescribeLookup;
}

export async function openSalesforceSession(pool: Pool, box: SecretBox, connectionId: string): Promise<SalesforceSession> {
  const conn = await openSalesforce(await loadSalesforceConnection(pool, box, connectionId));
  return { connectionId, conn, describe: describeCache(conn) };
}
