/**
 * Batch lookups a run (and preview) needs around a page of records: which hub account a CRM parent is
 * matched to, which hub record an incoming CRM record already is, and for outbound, which CRM records the
 * hub records and their accounts are linked to. One query per lookup per page.
 */
import type { InboundExisting, OutboundLink } from '../mapping/decide';
import type { SyncCursor } from '../../kernel/cursors';
import { campaignTouchSubject, type HubParticipant, type HubRecordForOutbound, type HubValue } from '../mapping/engine';
import type { HubFilter } from '../mapping/job-config';
import type { HubEntity } from '../../kernel/job-kinds';
import { withTransaction, type Pool } from './store';

export const ENTITY_TABLE: Record<HubEntity, string> = {
  account: 'accounts',
  task: 'tasks',
  touchpoint: 'touchpoints',
  campaign_touch: 'campaign_touches',
};

/** CRM parent IDs → hub account IDs, for the parents that are matched (T11). */
export async function matchParents(pool: Pool, connectionId: string, parentObject: string, crmIds: string[]): Promise<Map<string, number>> {
  if (crmIds.length === 0) return new Map();
  const { rows } = await pool.query<{ crm_id: string; hub_id: number }>(
    `SELECT crm_id, hub_id FROM record_links
      WHERE connection_id = $1 AND crm_object = $2 AND hub_type = 'account' AND crm_id = ANY($3)`,
    [connectionId, parentObject, [...new Set(crmIds)]],
  );
  return new Map(rows.map((r) => [r.crm_id, r.hub_id]));
}

interface ExistingRow {
  key: string;
  id: number;
  account_id: number | null;
  updated_at: string;
  last_inbound_hash: string | null;
  hub_modified_at: string | null;
  crm_modified_at: string | null;
  has_link: boolean;
}

/**
 * The hub records that incoming records already are, keyed by external ID (lowercase, T13). Tasks and
 * touchpoints match by their external_id column; accounts by their record link to the CRM account.
 */
export async function findInboundExisting(
  pool: Pool,
  entity: HubEntity,
  connectionId: string,
  crmObject: string,
  incoming: Array<{ externalId: string; crmId: string }>,
): Promise<Map<string, InboundExisting>> {
  if (incoming.length === 0) return new Map();
  const query =
    entity === 'account'
      ? `SELECT lower(l.crm_id) AS key, a.id, NULL::bigint AS account_id, a.updated_at,
                l.last_inbound_hash, l.hub_modified_at, l.crm_modified_at, true AS has_link
           FROM record_links l JOIN accounts a ON a.id = l.hub_id
          WHERE l.connection_id = $1 AND l.crm_object = $2 AND l.hub_type = 'account' AND l.crm_id = ANY($3)`
      : `SELECT t.external_id AS key, t.id, t.account_id, t.updated_at,
                l.last_inbound_hash, l.hub_modified_at, l.crm_modified_at, l.hub_id IS NOT NULL AS has_link
           FROM ${ENTITY_TABLE[entity]} t
           LEFT JOIN record_links l ON l.connection_id = $1 AND l.crm_object = $2 AND l.hub_type = $4 AND l.hub_id = t.id
          WHERE t.external_id = ANY($3) AND t.deleted_at IS NULL`;
  const keys = [...new Set(incoming.map((r) => (entity === 'account' ? r.crmId : r.externalId)))];
  const params = entity === 'account' ? [connectionId, crmObject, keys] : [connectionId, crmObject, keys, entity];
  const { rows } = await pool.query<ExistingRow>(query, params);
  return new Map(
    rows.map((r) => [
      r.key,
      {
        hubId: r.id,
        accountId: r.account_id,
        updatedAt: r.updated_at,
        ...(r.has_link ? { link: { lastInboundHash: r.last_inbound_hash, hubModifiedAt: r.hub_modified_at, crmModifiedAt: r.crm_modified_at } } : {}),
      },
    ]),
  );
}

/** How account-matching values compare: trimmed and case-insensitively (`Acme.com` is `acme.com`). */
export const matchValue = (value: string) => value.trim().toLowerCase();

/**
 * Hub accounts not linked to this connection yet that hold one of `values` for the attribute `key` from another
 * connection (an accounts-inbound job's matchAccountsBy): value (as matchValue gives it) → hub account, for values held
 * by one account only.
 */
export async function matchAccountsByAttribute(pool: Pool, connectionId: string, key: string, values: string[]): Promise<Map<string, InboundExisting>> {
  if (values.length === 0) return new Map();
  const { rows } = await pool.query<{ match_value: string; id: number; updated_at: string; accounts: number }>(
    `SELECT lower(btrim(v.value #>> '{}')) AS match_value, min(a.id) AS id, min(a.updated_at)::text AS updated_at, count(DISTINCT a.id)::int AS accounts
       FROM attribute_values v
       JOIN attribute_definitions d ON d.id = v.attribute_id AND d.key = $2
       JOIN accounts a ON a.id = v.account_id
      WHERE v.connection_id IS DISTINCT FROM $1 AND lower(btrim(v.value #>> '{}')) = ANY($3)
        AND NOT EXISTS (SELECT 1 FROM record_links l WHERE l.connection_id = $1 AND l.hub_type = 'account' AND l.hub_id = a.id)
      GROUP BY 1`,
    [connectionId, key, values.map(matchValue)],
  );
  // A value two hub accounts share identifies neither: the record gets an account of its own.
  return new Map(rows.filter((r) => r.accounts === 1).map((r) => [r.match_value, { hubId: Number(r.id), accountId: null, updatedAt: r.updated_at }]));
}

/** Columns outbound jobs read, per entity (the mapping engine picks from them). */
const OUTBOUND_COLUMNS: Record<Exclude<HubEntity, 'account'>, string[]> = {
  task: ['title', 'description', 'status', 'priority', 'due_date', 'assignee_email', 'assigner_email', 'source_created_at', 'source_updated_at'],
  touchpoint: ['subject', 'content', 'touchpoint_date', 'touchpoint_type', 'creator_email', 'last_updater_email', 'source_updated_at'],
  campaign_touch: ['campaign_name', 'campaign_kind', 'recipient_count', 'sender_email', 'start_date', 'description', 'created_by_email'],
};

/** Hub filter (outbound jobs) as SQL conditions on the entity's columns. */
function hubFilterSql(entity: Exclude<HubEntity, 'account'>, filter: HubFilter | undefined, params: unknown[]): string[] {
  const conditions: string[] = [];
  const add = (column: string, values: string[] | undefined, lower = false) => {
    if (!values?.length) return;
    params.push(lower ? values.map((v) => v.toLowerCase()) : values);
    conditions.push(`${lower ? `lower(${column})` : column} = ANY($${params.length})`);
  };
  if (entity === 'task') {
    add('status', filter?.statuses);
    add('priority', filter?.priorities);
    add('assignee_email', filter?.ownerEmails, true);
  } else if (entity === 'touchpoint') {
    add('touchpoint_type', filter?.types);
    add('creator_email', filter?.ownerEmails, true);
  } else {
    add('campaign_kind', filter?.types);
    add('created_by_email', filter?.ownerEmails, true);
  }
  return conditions;
}

/** Which hub records an outbound read returns, and in which order. */
export interface OutboundReadOptions {
  limit: number;
  /**
   * `keyset`: (updated_at, id) ascending after `after`, the order runs page in (T29: ties at a page or run
   * boundary are never missed); `recent`: most recently updated first (preview).
   */
  order: 'keyset' | 'recent';
  after?: SyncCursor;
  /** Only records updated at or after this instant (the job's window, T15). */
  updatedSince?: string;
  /** Only these records (rejected and parked ones retried by ID). */
  ids?: number[];
}

/**
 * Hub records an outbound job considers: live (not deleted), matching the job's hub filter. Each comes with
 * its cursor key (updated_at to the microsecond: the hub stamps finer than JavaScript dates), the
 * participants of a touchpoint (T23) and the computed subject of a campaign touch (T17).
 */
export async function readOutboundRecords(pool: Pool, entity: Exclude<HubEntity, 'account'>, filter: HubFilter | undefined, opts: OutboundReadOptions): Promise<HubRecordForOutbound[]> {
  const params: unknown[] = [];
  const conditions = outboundConditions(entity, filter, opts, params);
  const order = opts.order === 'keyset' ? 't.updated_at, t.id' : 't.updated_at DESC, t.id DESC';
  const custom = entity === 'campaign_touch' ? `'{}'::jsonb` : 't.custom_fields';
  const participants =
    entity === 'touchpoint'
      ? `(SELECT coalesce(json_agg(json_build_object('email', p.email, 'crmContactId', p.crm_contact_id, 'connectionId', p.connection_id) ORDER BY p.participant_key), '[]'::json)
            FROM touchpoint_participants p WHERE p.touchpoint_id = t.id)`
      : 'NULL::json';
  const sql = `SELECT t.id, t.external_id, t.account_id, t.updated_at, to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_key,
            ${custom} AS custom, ${participants} AS participants, ${OUTBOUND_COLUMNS[entity].map((c) => `t.${c}`).join(', ')}
       FROM ${ENTITY_TABLE[entity]} t WHERE ${conditions.join(' AND ')}
      ORDER BY ${order} LIMIT $${params.push(opts.limit)}`;
  type Row = Record<string, HubValue> & OutboundRow;
  // A page walks the (updated_at, id) index from the cursor. Without statistics (a table just bulk-loaded, not
  // yet analyzed) the planner may rather scan and sort every remaining row, page after page: O(N) a page, O(N²)
  // a run. Sorting is ruled out for this one query, so each page stays an index walk of its own records.
  const { rows } =
    opts.order === 'keyset'
      ? await withTransaction(pool, async (client) => {
          await client.query('SET LOCAL enable_sort = off');
          return client.query<Row>(sql, params);
        })
      : await pool.query<Row>(sql, params);
  return rows.map((r) => {
    const columns: Record<string, HubValue> = Object.fromEntries(OUTBOUND_COLUMNS[entity].map((c) => [c, r[c] ?? null]));
    if (entity === 'campaign_touch') {
      // The campaign touch's own ID, for a 'Campaign Touch ID' row (T17).
      columns['campaign_touch_id'] = String(r.id);
      columns['subject'] = campaignTouchSubject({ campaign_kind: String(r['campaign_kind']), campaign_name: String(r['campaign_name']), recipient_count: Number(r['recipient_count']), sender_email: String(r['sender_email']) });
    }
    return {
      id: r.id,
      externalId: r.external_id,
      accountId: r.account_id,
      updatedAt: r.updated_at,
      cursorKey: r.cursor_key,
      columns,
      custom: r.custom,
      ...(r.participants ? { participants: r.participants } : {}),
    };
  });
}

interface OutboundRow {
  id: number;
  external_id: string | null;
  account_id: number;
  updated_at: string;
  cursor_key: string;
  custom: Record<string, HubValue>;
  participants: HubParticipant[] | null;
}

/** How many hub records an outbound run will read after `after` (for progress, never for logic). */
export async function countOutboundRecords(pool: Pool, entity: Exclude<HubEntity, 'account'>, filter: HubFilter | undefined, opts: { after: SyncCursor; updatedSince: string }): Promise<number> {
  const params: unknown[] = [];
  const conditions = outboundConditions(entity, filter, opts, params);
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ENTITY_TABLE[entity]} t WHERE ${conditions.join(' AND ')}`, params);
  return rows[0]?.n ?? 0;
}

/**
 * The WHERE conditions of an outbound read (table alias `t`), its parameters appended to `params`: live
 * records, the hub filter, the window, the IDs, and after the cursor in (updated_at, id) order.
 */
function outboundConditions(entity: Exclude<HubEntity, 'account'>, filter: HubFilter | undefined, opts: Pick<OutboundReadOptions, 'after' | 'updatedSince' | 'ids'>, params: unknown[]): string[] {
  const conditions = ['t.deleted_at IS NULL', ...hubFilterSql(entity, filter, params)];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (opts.updatedSince) conditions.push(`t.updated_at >= ${param(opts.updatedSince)}::timestamptz`);
  if (opts.ids) conditions.push(`t.id = ANY(${param(opts.ids)}::bigint[])`);
  if (opts.after?.modifiedAt) {
    const at = param(opts.after.modifiedAt);
    conditions.push(opts.after.lastId ? `(t.updated_at, t.id) > (${at}::timestamptz, ${param(opts.after.lastId)}::bigint)` : `t.updated_at >= ${at}::timestamptz`);
  }
  return conditions;
}

/** Hub account → its CRM account ID in this connection. */
export async function crmParentsOf(pool: Pool, connectionId: string, parentObject: string, accountIds: number[]): Promise<Map<number, string>> {
  if (accountIds.length === 0) return new Map();
  const { rows } = await pool.query<{ hub_id: number; crm_id: string }>(
    `SELECT hub_id, crm_id FROM record_links
      WHERE connection_id = $1 AND crm_object = $2 AND hub_type = 'account' AND hub_id = ANY($3)`,
    [connectionId, parentObject, [...new Set(accountIds)]],
  );
  return new Map(rows.map((r) => [r.hub_id, r.crm_id]));
}

/** Hub record → the CRM record it is linked to in this connection and object. */
export async function outboundLinks(pool: Pool, entity: HubEntity, connectionId: string, crmObject: string, hubIds: number[]): Promise<Map<number, OutboundLink>> {
  if (hubIds.length === 0) return new Map();
  const { rows } = await pool.query<{ hub_id: number; crm_id: string; last_outbound_hash: string | null; hub_modified_at: string | null; crm_modified_at: string | null; crm_stamp_pending: boolean }>(
    `SELECT hub_id, crm_id, last_outbound_hash, hub_modified_at, crm_modified_at, crm_stamp_pending FROM record_links
      WHERE connection_id = $1 AND crm_object = $2 AND hub_type = $3 AND hub_id = ANY($4)`,
    [connectionId, crmObject, entity, [...new Set(hubIds)]],
  );
  return new Map(
    rows.map((r) => [r.hub_id, { crmId: r.crm_id, lastOutboundHash: r.last_outbound_hash, hubModifiedAt: r.hub_modified_at, crmModifiedAt: r.crm_modified_at, stampPending: r.crm_stamp_pending }]),
  );
}

/** A hub deletion an outbound job is to send (T19): the tombstone of a hub record linked to a CRM record of its object. */
export interface LinkedTombstone {
  hubId: number;
  crmId: string;
  deletedAt: string;
}

/**
 * The hub deletions an outbound job sends to the CRM (T19), oldest first: tombstones of `entity` records linked
 * to a `crmObject` record of the connection, except the CRM records in `except` (refused earlier in the run), or
 * only those of `hubIds`. The run's deletion step and "why didn't record X sync?" (T30) both ask this.
 */
export async function linkedTombstones(
  pool: Pool,
  entity: HubEntity,
  connectionId: string,
  crmObject: string,
  opts: { limit: number; except?: string[]; hubIds?: number[] },
): Promise<LinkedTombstone[]> {
  const { rows } = await pool.query<{ hub_id: number; crm_id: string; deleted_at: string }>(
    `SELECT z.hub_id, l.crm_id, z.deleted_at FROM hub_tombstones z
       JOIN record_links l ON l.connection_id = $1 AND l.crm_object = $2 AND l.hub_type = z.hub_type AND l.hub_id = z.hub_id
      WHERE z.hub_type = $3 AND NOT (l.crm_id = ANY($4)) AND ($5::bigint[] IS NULL OR z.hub_id = ANY($5))
      ORDER BY z.deleted_at, z.hub_id LIMIT $6`,
    [connectionId, crmObject, entity, opts.except ?? [], opts.hubIds ?? null, opts.limit],
  );
  return rows.map((r) => ({ hubId: r.hub_id, crmId: r.crm_id, deletedAt: r.deleted_at }));
}
