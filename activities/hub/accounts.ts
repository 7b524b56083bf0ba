/**
 * Hub accounts and their CRM sources (W5): which CRM record of which connection each hub account is, and the
 * link set by hand (`hubsync account link`) when automatic matching (an accounts-inbound job's
 * matchAccountsBy) cannot tell. A link is a record_links row; the connection's accounts-inbound job then
 * imports that CRM record into the linked hub account.
 */
import { ConfigurationError, ConflictError, NotFoundError } from '../../kernel/errors';
import type { SessionSource } from '../sessions';
import { listJobs } from './jobs';
import { withTransaction, type Pool } from './store';

export interface AccountSource {
  connectionId: string;
  crmObject: string;
  crmId: string;
  lastSyncedAt: string;
}

export interface AccountInfo {
  id: number;
  name: string;
  sources: AccountSource[];
}

/**
 * A hub account named by its hub ID (`42`) or by `connection:crmId`; a `problem` says why not. The CRM ID
 * matches in any case (HubSpot's are digits; Salesforce's 18-character IDs are case-insensitive).
 */
export async function resolveAccount(pool: Pool, account: string | number): Promise<{ id: number } | { problem: string }> {
  const text = String(account).trim();
  if (/^\d+$/.test(text)) {
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM accounts WHERE id = $1', [text]);
    return rows[0] ? { id: Number(rows[0].id) } : { problem: `account ${text}: no hub account has this ID` };
  }
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return { problem: `account '${text}': use a hub ID (42) or connection:crmId (demo:001xx0000000001AAA)` };
  const connectionId = text.slice(0, colon);
  const crmId = text.slice(colon + 1);
  const { rows } = await pool.query<{ hub_id: number }>(`SELECT hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' AND crm_id = $2`, [connectionId, crmId]);
  if (rows.length > 1) return { problem: `account '${text}': the CRM ID is linked to ${rows.length} hub accounts; use the hub ID` };
  return rows[0] ? { id: Number(rows[0].hub_id) } : { problem: `account '${text}': no hub account is linked to ${crmId} on connection '${connectionId}' (check both; run its accounts-inbound job if the account is new)` };
}

async function accountId(pool: Pool, account: string | number): Promise<number> {
  const resolved = await resolveAccount(pool, account);
  if ('problem' in resolved) throw new NotFoundError(resolved.problem, { fix: 'see the account IDs with `hubsync account show <id>` or the demo line `npm start` prints' });
  return resolved.id;
}

export async function getAccount(pool: Pool, account: string | number): Promise<AccountInfo> {
  const id = await accountId(pool, account);
  const { rows } = await pool.query<{ name: string; sources: AccountSource[] | null }>(
    `SELECT a.name,
            (SELECT json_agg(json_build_object('connectionId', l.connection_id, 'crmObject', l.crm_object, 'crmId', l.crm_id, 'lastSyncedAt', l.last_synced_at) ORDER BY l.connection_id)
               FROM record_links l WHERE l.hub_type = 'account' AND l.hub_id = a.id) AS sources
       FROM accounts a WHERE a.id = $1`,
    [id],
  );
  return { id, name: rows[0]?.name ?? '', sources: rows[0]?.sources ?? [] };
}

export interface LinkRequest {
  /** The hub account: its ID or `connection:crmId` of a source it has. */
  account: string | number;
  connectionId: string;
  crmId: string;
  /** The CRM record is linked to another hub account: move it (with its values from that connection). */
  move?: boolean;
}

export interface LinkResult {
  account: AccountInfo;
  /** The hub account the CRM record was linked to before, when it was moved. */
  movedFrom: number | null;
  /** Nothing changed: the link was there already. */
  unchanged: boolean;
}

/**
 * Links a hub account to a CRM record of a connection, after every check: the account exists; the connection
 * has an accounts-inbound job (its object is the link's); the CRM has the record (one read); the account has no
 * other record of that connection; the record is not another account's unless `move`. Moving carries the
 * connection's attribute values and assignments over to the account. A refusal writes nothing.
 */
/** What a CRM record ID can look like in any CRM hubsync connects to (Salesforce, HubSpot, Dataverse GUIDs). */
const CRM_RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export async function linkAccount(pool: Pool, session: SessionSource, request: LinkRequest): Promise<LinkResult> {
  const id = await accountId(pool, request.account);
  const given = typeof request.crmId === 'string' ? request.crmId.trim() : '';
  if (!CRM_RECORD_ID.test(given)) {
    const shown = typeof request.crmId === 'string' ? (request.crmId.length > 60 ? `${request.crmId.slice(0, 60)}…` : request.crmId) : String(request.crmId);
    throw new ConfigurationError(`'${shown}' is not a CRM record ID of '${request.connectionId}': an ID is 1 to 100 letters, digits, '.', '_' or '-'; nothing was linked.`, {
      fix: 'check the record ID in the CRM (Salesforce: 15 or 18 letters and digits; HubSpot: digits; Dataverse: a GUID)',
    });
  }
  const jobs = (await listJobs(pool)).filter((j) => j.kind === 'accounts-inbound' && j.connectionId === request.connectionId);
  const job = jobs[0];
  if (!job) {
    throw new ConfigurationError(`Connection '${request.connectionId}' has no accounts-inbound job, so a link to one of its records would never be imported.`, {
      fix: `create one first: \`hubsync job create --kind accounts-inbound --connection ${request.connectionId} --from-template\``,
    });
  }
  const crmObject = job.config.crmObject;
  const crm = await session(request.connectionId);
  const [record] = await crm.readByIds({ object: crmObject, paths: [] }, [given]);
  if (!record) {
    throw new NotFoundError(`The CRM of '${request.connectionId}' has no ${crmObject} '${request.crmId}' (or job ${job.id}'s filter leaves it out).`, { fix: 'check the record ID in the CRM' });
  }
  const { rows: links } = await pool.query<{ connection_id: string; crm_id: string; hub_id: string }>(
    `SELECT connection_id, crm_id, hub_id FROM record_links
      WHERE connection_id = $1 AND crm_object = $2 AND hub_type = 'account' AND (lower(crm_id) = lower($3) OR hub_id = $4)`,
    [request.connectionId, crmObject, record.id, id],
  );
  const current = links.find((l) => l.crm_id.toLowerCase() === record.id.toLowerCase());
  if (current && Number(current.hub_id) === id) return { account: await getAccount(pool, id), movedFrom: null, unchanged: true };
  const other = links.find((l) => Number(l.hub_id) === id);
  if (other) {
    throw new ConflictError(`Hub account ${id} is already ${request.connectionId}:${other.crm_id}; an account has one record per connection.`, {
      fix: `link ${request.connectionId}:${other.crm_id} to another account first (\`hubsync account link <other> ${request.connectionId}:${other.crm_id} --move\`)`,
    });
  }
  if (current && !request.move) {
    throw new ConflictError(`${request.connectionId}:${record.id} is hub account ${current.hub_id}'s already.`, {
      fix: `add --move to move it (and its values from '${request.connectionId}') to account ${id}`,
    });
  }
  await withTransaction(pool, async (client) => {
    if (current) {
      const from = Number(current.hub_id);
      await client.query(`UPDATE record_links SET hub_id = $4, last_synced_at = now() WHERE connection_id = $1 AND crm_object = $2 AND crm_id = $3`, [request.connectionId, crmObject, current.crm_id, id]);
      for (const table of ['attribute_values', 'account_assignments']) {
        await client.query(`UPDATE ${table} SET account_id = $3, updated_at = now() WHERE connection_id = $1 AND account_id = $2`, [request.connectionId, from, id]);
      }
    } else {
      // No hash yet: the job's next run imports the record's values into this account.
      const inserted = await client.query(
        `INSERT INTO record_links (connection_id, crm_object, crm_id, hub_type, hub_id) VALUES ($1, $2, $3, 'account', $4) ON CONFLICT DO NOTHING`,
        [request.connectionId, crmObject, record.id, id],
      );
      // A run of the job linked the record (or another one to the account) since the checks.
      if (inserted.rowCount === 0) throw new ConflictError(`${request.connectionId}:${record.id} or hub account ${id} was linked meanwhile; nothing was changed.`, { fix: 'see `hubsync account show` and link again' });
    }
  });
  return { account: await getAccount(pool, id), movedFrom: current ? Number(current.hub_id) : null, unchanged: false };
}
