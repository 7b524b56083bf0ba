/**
 * The hub's PostgreSQL store: connection pool and schema migrations (versioned SQL files in db/migrations,
 * applied by node-pg-migrate, which records them in the `pgmigrations` table and takes an advisory lock,
 * so concurrent start-ups do not apply a migration twice).
 */
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../../kernel/paths';

// timestamptz and date come back as ISO strings, not Date objects: they cross the Temporal boundary as
// JSON, and `date` columns must not shift with the process time zone.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${v} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
});

export type Pool = pg.Pool;

export function createPool(databaseUrl: string, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'hubsync',
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** What runs once the transaction of a client has committed (afterCommit), by client, while it is open. */
const committedHooks = new WeakMap<pg.PoolClient, Array<() => void>>();

/**
 * Runs `hook` once the transaction `tx` (of withTransaction) has committed, never if it rolls back: what is
 * told about a write (metrics, logs) is only what the database kept. A hook's own error is not the
 * transaction's: it is swallowed.
 */
export function afterCommit(tx: pg.PoolClient, hook: () => void): void {
  const hooks = committedHooks.get(tx);
  if (!hooks) throw new Error('afterCommit: the client is not in a transaction of withTransaction');
  hooks.push(hook);
}

/** Runs `body` in one transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const hooks: Array<() => void> = [];
  committedHooks.set(client, hooks);
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    committedHooks.delete(client);
    for (const hook of hooks) {
      try {
        hook();
      } catch {
        // telling about a committed write must not fail the write
      }
    }
    return result;
  } catch (err) {
    committedHooks.delete(client);
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

export interface MigrationResult {
  applied: string[];
}

export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<MigrationResult> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return { applied: applied.map((m) => m.name) };
}

/** Names of the migrations present in db/migrations that the database has not applied yet. */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const fs = await import('node:fs/promises');
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('public.pgmigrations')::text AS t`);
  if (!exists.rows[0]?.t) return files;
  const done = await pool.query<{ name: string }>('SELECT name FROM pgmigrations');
  const doneSet = new Set(done.rows.map((r) => r.name));
  return files.filter((f) => !doneSet.has(f));
}
