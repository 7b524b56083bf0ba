// Hub schema v1 (db/migrations): applied by the migration library, idempotent, and enforcing the rules
// the features rely on (T13 lowercase external IDs, W2 one account-assignment write-back, timestamptz).
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from '../../activities/hub/store';
import { testPool, testStack } from '../support/test-env';

describe('hub schema v1', () => {
  const pool = testPool();
  afterAll(() => pool.end());

  it('is recorded by the migration library and a second migrate applies nothing', async () => {
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on');
    const files = fs.readdirSync(path.resolve(__dirname, '..', '..', 'db', 'migrations')).filter((f) => f.endsWith('.sql')).sort().map((f) => f.replace(/\.sql$/, ''));
    expect(files.slice(0, 3)).toEqual(['1732180000000_hub-schema-v1', '1732180000001_job-run-pages', '1732180000002_write-back']);
    expect(rows.map((r) => r.name)).toEqual(files);
    await expect(migrate(testStack.databaseUrl)).resolves.toEqual({ applied: [] });
  });

  it('has every table the features need', async () => {
    const { rows } = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    const tables = rows.map((r) => r.table_name);
    for (const t of ['accounts', 'hub_users', 'attribute_definitions', 'attribute_sources', 'attribute_values', 'account_assignments',
      'tasks', 'touchpoints', 'touchpoint_participants', 'campaign_touches', 'crm_connections', 'integration_jobs',
      'integration_job_versions', 'job_runs', 'record_links', 'sync_cursors', 'rejected_records', 'parked_records', 'write_back_log']) {
      expect(tables).toContain(t);
    }
  });

  it('stores every timestamp as timestamptz', async () => {
    const { rows } = await pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type = 'timestamp without time zone' AND table_name <> 'pgmigrations'`,
    );
    expect(rows).toEqual([]);
  });

  it('refuses an external ID that is not lowercase (T13)', async () => {
    const account = await pool.query<{ id: number }>(`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`);
    const accountId = account.rows[0]!.id;
    await expect(pool.query(`INSERT INTO tasks (account_id, external_id, title) VALUES ($1, '00TABC', 'x')`, [accountId])).rejects.toThrow(/check constraint/);
    await expect(pool.query(`INSERT INTO tasks (account_id, external_id, title) VALUES ($1, '00tabc', 'x')`, [accountId])).resolves.toBeDefined();
  });

  it('allows write-back on only one account-assignment attribute (W2)', async () => {
    // In a transaction rolled back at the end: other test files share this database and switch write-back on.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE attribute_definitions SET write_back_enabled = false WHERE kind = 'account_assignment'`);
      await client.query(`INSERT INTO attribute_definitions (key, label, kind, value_type, write_back_enabled) VALUES ('schema_csm', 'Success Manager', 'account_assignment', 'user', true)`);
      await client.query('SAVEPOINT second');
      await expect(
        client.query(`INSERT INTO attribute_definitions (key, label, kind, value_type, write_back_enabled) VALUES ('schema_ae', 'Account Executive', 'account_assignment', 'user', true)`),
      ).rejects.toThrow(/attribute_definitions_one_assignment_write_back/);
      await client.query('ROLLBACK TO SAVEPOINT second');
      await expect(
        client.query(`INSERT INTO attribute_definitions (key, label, kind, value_type, write_back_enabled) VALUES ('schema_ae', 'Account Executive', 'account_assignment', 'user', false)`),
      ).resolves.toBeDefined();
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('keeps connection secrets out of plain-text columns', async () => {
    const { rows } = await pool.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'crm_connections'`,
    );
    const columns = Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
    expect(columns['secrets_ciphertext']).toBe('bytea');
    expect(Object.keys(columns).filter((c) => /secret|token|password/.test(c)).sort()).toEqual(['secrets_ciphertext', 'secrets_key_id']);
  });
});
