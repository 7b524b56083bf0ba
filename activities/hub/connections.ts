/**
 * CRM connections: a named CRM org (kind, base URL, OAuth client) whose secrets are stored encrypted
 * (see secrets.ts). Listing never decrypts; only `loadConnectionWithSecrets` does, at call time, in
 * activities and CLI commands that talk to the CRM.
 */
import { z } from 'zod';
import { CrmError } from '../crm/errors';
import type { SalesforceConnectionInfo } from '../crm/salesforce/client';
import type { SecretBox } from './secrets';
import type { Pool } from './store';

export const CONNECTION_KINDS = ['salesforce', 'hubspot', 'dynamics'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes (e.g. acme-prod)');

export const NewSalesforceConnectionSchema = z
  .object({
    id: SlugSchema,
    kind: z.literal('salesforce'),
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the org URL, e.g. https://acme.my.salesforce.com' }),
    loginUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiVersion: z.string().regex(/^\d+\.0$/, 'apiVersion looks like 62.0').optional(),
    clientId: z.string().min(1, 'clientId (the connected app consumer key) is required'),
    clientSecret: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.refreshToken || (c.username && c.password) || c.clientSecret, {
    message: 'give a refreshToken, or a username and password, or a clientSecret (client credentials)',
  })
  .refine((c) => !c.username === !c.password, { message: 'username and password go together' });

export type NewSalesforceConnection = z.infer<typeof NewSalesforceConnectionSchema>;

export interface ConnectionSummary {
  id: string;
  kind: ConnectionKind;
  baseUrl: string;
  settings: Record<string, unknown>;
  /** Which secrets are stored (names only). */
  secretNames: string[];
  createdAt: string;
  updatedAt: string;
}

export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

interface ConnectionRow {
  id: string;
  kind: ConnectionKind;
  base_url: string;
  settings: Record<string, unknown>;
  secrets_ciphertext: Buffer;
  secrets_key_id: string;
  created_at: string;
  updated_at: string;
}

function summary(row: ConnectionRow): ConnectionSummary {
  const secretNames = Array.isArray(row.settings['secretNames']) ? (row.settings['secretNames'] as string[]) : [];
  const settings = Object.fromEntries(Object.entries(row.settings).filter(([k]) => k !== 'secretNames'));
  return { id: row.id, kind: row.kind, baseUrl: row.base_url, settings, secretNames, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Validates and stores a new connection; refuses an existing ID. Nothing is written on refusal. */
export async function addSalesforceConnection(pool: Pool, box: SecretBox, input: unknown): Promise<ConnectionSummary> {
  const parsed = NewSalesforceConnectionSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConnectionError(`Invalid connection:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.') || 'connection'}: ${i.message}`).join('\n')}`);
  }
  const c = parsed.data;
  const secrets = Object.fromEntries(Object.entries({ clientSecret: c.clientSecret, refreshToken: c.refreshToken, password: c.password }).filter(([, v]) => v !== undefined));
  const settings = {
    loginUrl: c.loginUrl ?? c.baseUrl,
    clientId: c.clientId,
    ...(c.apiVersion ? { apiVersion: c.apiVersion } : {}),
    ...(c.username ? { username: c.username } : {}),
    secretNames: Object.keys(secrets),
  };
  const { rows } = await pool.query<ConnectionRow>(
    `INSERT INTO crm_connections (id, kind, base_url, settings, secrets_ciphertext, secrets_key_id)
     VALUES ($1, 'salesforce', $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [c.id, c.baseUrl.replace(/\/+$/, ''), settings, box.encrypt(secrets), box.keyId],
  );
  const row = rows[0];
  if (!row) throw new ConnectionError(`A connection '${c.id}' exists already. Pick another ID, or remove it first (\`hubsync connection remove ${c.id}\`).`);
  return summary(row);
}

export async function listConnections(pool: Pool): Promise<ConnectionSummary[]> {
  const { rows } = await pool.query<ConnectionRow>('SELECT * FROM crm_connections ORDER BY id');
  return rows.map(summary);
}

async function fetchRow(pool: Pool, id: string): Promise<ConnectionRow> {
  const { rows } = await pool.query<ConnectionRow>('SELECT * FROM crm_connections WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) {
    const known = (await pool.query<{ id: string }>('SELECT id FROM crm_connections ORDER BY id')).rows.map((r) => r.id);
    throw new ConnectionError(`Unknown connection '${id}'. ${known.length ? `Known: ${known.join(', ')}.` : 'There are none yet:'} Add one with \`hubsync connection add\`.`);
  }
  return row;
}

export async function getConnection(pool: Pool, id: string): Promise<ConnectionSummary> {
  return summary(await fetchRow(pool, id));
}

/** The connection with its secrets decrypted, for the code that calls the CRM. Never log the result. */
export async function loadSalesforceConnection(pool: Pool, box: SecretBox, id: string): Promise<SalesforceConnectionInfo> {
  const row = await fetchRow(pool, id);
  if (row.kind !== 'salesforce') throw new CrmError('configuration', 'WRONG_KIND', `connection '${id}' is a ${row.kind} connection, not Salesforce`);
  const settings = row.settings as { loginUrl: string; clientId: string; apiVersion?: string; username?: string };
  return {
    id: row.id,
    baseUrl: row.base_url,
    settings: {
      loginUrl: settings.loginUrl,
      clientId: settings.clientId,
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      ...(settings.username ? { username: settings.username } : {}),
    },
    secrets: box.decrypt(row.secrets_ciphertext, row.secrets_key_id),
  };
}

/** Removes a connection; refused while jobs use it (their history would lose its meaning). */
export async function removeConnection(pool: Pool, id: string): Promise<void> {
  await fetchRow(pool, id);
  const jobs = await pool.query<{ id: string }>('SELECT id FROM integration_jobs WHERE connection_id = $1 ORDER BY id', [id]);
  if (jobs.rows.length > 0) {
    throw new ConnectionError(`Connection '${id}' is used by job(s) ${jobs.rows.map((r) => r.id).join(', ')}. Delete those jobs first (\`hubsync job delete <job>\`).`);
  }
  await pool.query('DELETE FROM crm_connections WHERE id = $1', [id]);
}
