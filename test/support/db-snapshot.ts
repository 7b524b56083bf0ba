/**
 * An exact picture of the hub tables a test file can affect, to compare before and after an input that must
 * be refused ("the database unchanged", issue 14 §2).
 *
 * Every base table of the public schema is listed from information_schema (the migrations bookkeeping table
 * `pgmigrations` excepted), so a table a later migration adds is covered, or makes this helper throw until it
 * has a rule: no table is skipped silently. Each table's rows come as JSON (`to_jsonb` of the whole row, bytea
 * as hex), ordered by that JSON text, so two snapshots compare exactly with toEqual.
 *
 * Test files share one hub database and run two at a time, so a snapshot of everything would see the other
 * file's writes. It is restricted to the rows of one test file's scope (its own ID prefix):
 * - connections and jobs whose ID starts with the prefix (case-insensitively, so that a hostile ID such as
 *   `HI-X` or `hi x/y` that got through would show), and every row keyed by such a connection_id or job_id;
 * - hub accounts linked to those connections (record_links), and the rows keyed by their account_id (tasks,
 *   touchpoints, campaign touches, tombstones, write-back requests, hub-entered attribute values);
 * - attribute definitions whose key starts with the prefix (attribute keys are global; each file prefixes
 *   its labels, see test/support/writeback.ts);
 * - hub users assigned to those accounts (users are shared by every file: the demo orgs' owners);
 * - the rows hanging off those (run pages of the jobs' runs, participants of the accounts' touchpoints).
 * A table that none of these rules covers makes `snapshotHub` throw, naming it.
 */
import type { Pool } from '../../activities/hub/store';

export type HubSnapshot = Record<string, unknown[]>;

export interface SnapshotScope {
  /** The file's ID prefix, e.g. `hi`: connections, jobs and (with `_`) attribute keys start with it. */
  prefix: string;
}

/** The hub's base tables in the public schema, without the migrations' own table. */
export async function hubTables(pool: Pool): Promise<Array<{ table: string; columns: string[] }>> {
  const { rows } = await pool.query<{ table_name: string; columns: string[] }>(
    `SELECT t.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
       FROM information_schema.tables t
       JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
      WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND t.table_name <> 'pgmigrations'
      GROUP BY t.table_name ORDER BY t.table_name`,
  );
  return rows.map((r) => ({ table: r.table_name, columns: r.columns }));
}

/** `$1` is the LIKE pattern of the prefix (`hi%`); attribute keys are `hi_…` (`hi\_%`). */
const MY_ID = `lower(%s) LIKE $1`;
const MY_ACCOUNTS = `(SELECT hub_id FROM record_links WHERE hub_type = 'account' AND lower(connection_id) LIKE $1)`;

/** Tables whose scope is not one of the column rules below. */
const TABLE_RULES: Record<string, string> = {
  crm_connections: MY_ID.replace('%s', 'id'),
  integration_jobs: `${MY_ID.replace('%s', 'id')} OR ${MY_ID.replace('%s', 'connection_id')}`,
  accounts: `id IN ${MY_ACCOUNTS}`,
  attribute_definitions: `key LIKE left($1, -1) || '\\_%'`,
  hub_users: `id IN (SELECT user_id FROM account_assignments WHERE account_id IN ${MY_ACCOUNTS})`,
  job_run_pages: `run_id IN (SELECT id FROM job_runs WHERE lower(job_id) LIKE $1)`,
  touchpoint_participants: `${MY_ID.replace('%s', 'connection_id')} OR touchpoint_id IN (SELECT id FROM touchpoints WHERE account_id IN ${MY_ACCOUNTS})`,
  worker_probes: `lower(requested_by) LIKE $1`,
};

function scopeOf(table: string, columns: string[]): string {
  const rule = TABLE_RULES[table];
  if (rule) return rule;
  const has = (c: string) => columns.includes(c);
  const byConnection = has('connection_id') ? MY_ID.replace('%s', 'connection_id') : undefined;
  const byAccount = has('account_id') ? `account_id IN ${MY_ACCOUNTS}` : undefined;
  const byJob = has('job_id') ? MY_ID.replace('%s', 'job_id') : undefined;
  const parts = [byConnection, byAccount, byJob].filter(Boolean);
  if (parts.length === 0) throw new Error(`db-snapshot: no scope rule for hub table '${table}' (columns ${columns.join(', ')}): add one to TABLE_RULES`);
  return parts.join(' OR ');
}

/** Every hub table's rows in the scope, as JSON, in a fixed order. */
export async function snapshotHub(pool: Pool, scope: SnapshotScope): Promise<HubSnapshot> {
  const tables = await hubTables(pool);
  const prefix = scope.prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  const pattern = `${prefix}%`;
  const entries = await Promise.all(
    tables.map(async ({ table, columns }) => {
      const { rows } = await pool.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM "${table}" t WHERE ${scopeOf(table, columns)} ORDER BY to_jsonb(t)::text`, [pattern]);
      return [table, rows.map((r) => r.row)] as const;
    }),
  );
  return Object.fromEntries(entries);
}
