/**
 * CRM connections: a named CRM org (kind, base URL, settings) whose secrets are stored encrypted (see
 * secrets.ts). What a connection takes is its connector's schema (crm/<kind>/). Listing never decrypts;
 * only `loadConnection` does, at call time, for the code that opens a CRM session.
 */
import { z } from 'zod';
import { ConfigurationError, ConflictError, NotFoundError } from '../../kernel/errors';
import { describeIssue } from '../../kernel/zod-issues';
import { unsafeText } from '../../kernel/text';
import { CONNECTION_KINDS, type ConnectionKind } from '../../kernel/job-kinds';
import type { StoredConnectionParts } from '../crm/connector';
import { connectorFor } from '../crm';
import type { SecretBox } from './secrets';
import type { Pool } from './store';

const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes (e.g. acme-prod)');

const ConnectionHeadSchema = z.looseObject({ id: SlugSchema, kind: z.enum(CONNECTION_KINDS) });

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

/** A connection with its secrets decrypted, for the code that calls the CRM. Never log it. */
export interface ConnectionWithSecrets extends StoredConnectionParts {
  id: string;
  kind: ConnectionKind;
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

function refuse(problems: Array<{ path: string; problem: string }>): never {
  throw new ConfigurationError(`Invalid connection; nothing was saved:\n${problems.map((p) => `  - ${p.path || 'connection'}: ${p.problem}`).join('\n')}`, {
    fix: 'correct the settings named above (`hubsync connection add --help` lists them)',
  });
}

const zodProblems = (issues: z.core.$ZodIssue[]) => issues.map((i) => ({ path: i.path.join('.'), problem: describeIssue(i) }));

/** Longest setting or secret a connection takes (URLs, IDs, tokens are far shorter). */
export const MAX_CONNECTION_SETTING = 8192;

/**
 * Every text setting and secret is one line of plain text: a line break or another control character would
 * end up in an HTTP header or form (header injection) and is never part of a URL, an ID or a token. Values
 * are never echoed: they may be secrets.
 */
function textProblems(input: unknown): Array<{ path: string; problem: string }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  return Object.entries(input).flatMap(([path, value]) => {
    if (typeof value !== 'string') return [];
    const problem = value.length > MAX_CONNECTION_SETTING ? `too long: at most ${MAX_CONNECTION_SETTING} characters` : unsafeText(value, { lineBreaks: false });
    return problem ? [{ path, problem }] : [];
  });
}

/** Validates input against its kind's connector; the parts to store. Nothing is written. */
export function parseNewConnection(input: unknown): { id: string; kind: ConnectionKind; stored: StoredConnectionParts } {
  const unsafe = textProblems(input);
  if (unsafe.length > 0) refuse(unsafe);
  const head = ConnectionHeadSchema.safeParse(input);
  if (!head.success) refuse(zodProblems(head.error.issues));
  const { id, kind, ...rest } = head.data;
  const connector = connectorFor(kind);
  const parsed = connector.connectionSchema.safeParse(rest);
  if (!parsed.success) refuse(zodProblems(parsed.error.issues));
  return { id, kind, stored: connector.toStored(parsed.data) };
}

/** A real call with the connection as it would be saved (auth, then one API call); throws its refusal. */
export type ConnectionCheck = (connection: ConnectionWithSecrets) => Promise<unknown>;

const taken = (id: string) =>
  new ConflictError(`A connection '${id}' exists already.`, { fix: `pick another ID, change it with \`hubsync connection update ${id}\`, or remove it first (\`hubsync connection remove ${id}\`)` });

/**
 * Validates and stores a new connection; refuses an existing ID. With `check`, the credentials and URL are
 * tried with a real call first, so a wrong secret is refused now rather than at the first run. Nothing is
 * written on refusal.
 */
export async function addConnection(pool: Pool, box: SecretBox, input: unknown, opts: { check?: ConnectionCheck } = {}): Promise<ConnectionSummary> {
  const { id, kind, stored } = parseNewConnection(input);
  const exists = await pool.query('SELECT 1 FROM crm_connections WHERE id = $1', [id]);
  if (exists.rowCount) throw taken(id);
  await opts.check?.({ id, kind, ...stored });
  const settings = { ...stored.settings, secretNames: Object.keys(stored.secrets) };
  const { rows } = await pool.query<ConnectionRow>(
    `INSERT INTO crm_connections (id, kind, base_url, settings, secrets_ciphertext, secrets_key_id)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [id, kind, stored.baseUrl, settings, box.encrypt(stored.secrets), box.keyId],
  );
  const row = rows[0];
  if (!row) throw taken(id);
  return summary(row);
}

/**
 * Changes a connection's settings or secrets (rotate a refresh token, move to another login URL): the
 * changes over what is stored, validated by the connector as a new connection would be, checked with a real
 * call when `check` is given, then saved, only if nobody changed the connection meanwhile. Jobs keep using
 * it; workers pick the new secrets up at their next activity (sessions are keyed by the row's updated_at).
 */
export async function updateConnection(pool: Pool, box: SecretBox, id: string, changes: Record<string, unknown>, opts: { check?: ConnectionCheck } = {}): Promise<ConnectionSummary> {
  const current = await loadConnection(pool, box, id);
  // The stored version at full precision (the ISO strings hubsync reads timestamps as keep milliseconds only).
  const version = (await pool.query<{ v: string }>('SELECT updated_at::text AS v FROM crm_connections WHERE id = $1', [id])).rows[0]?.v;
  const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length === 0) throw new ConfigurationError(`Nothing to change for connection '${id}'.`, { fix: 'give the settings or secrets to change as flags or in --file' });
  for (const key of ['id', 'kind'] as const) {
    if (key in given && given[key] !== current[key]) {
      throw new ConfigurationError(`Connection '${id}': the ${key} of a connection cannot change (it is '${current[key]}', the update asks for '${String(given[key]).slice(0, 100)}'); nothing was saved.`, {
        fix: `add a new connection with \`hubsync connection add\`${key === 'kind' ? ' --kind <kind>' : ''}, create its jobs, then remove '${id}' once no job uses it`,
      });
    }
  }
  const { stored } = parseNewConnection({ baseUrl: current.baseUrl, ...current.settings, ...current.secrets, ...given, id, kind: current.kind });
  await opts.check?.({ id, kind: current.kind, ...stored });
  const settings = { ...stored.settings, secretNames: Object.keys(stored.secrets) };
  const { rows } = await pool.query<ConnectionRow>(
    `UPDATE crm_connections SET base_url = $2, settings = $3, secrets_ciphertext = $4, secrets_key_id = $5, updated_at = clock_timestamp()
      WHERE id = $1 AND updated_at::text = $6 RETURNING *`,
    [id, stored.baseUrl, settings, box.encrypt(stored.secrets), box.keyId, version],
  );
  if (!rows[0]) throw new ConflictError(`Connection '${id}' changed while it was being updated; nothing was saved.`, { fix: 'run the update again' });
  return summary(rows[0]);
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
    throw new NotFoundError(`Unknown connection '${id}'. ${known.length ? `Known: ${known.join(', ')}.` : 'There are none yet:'} Add one with \`hubsync connection add\`.`);
  }
  return row;
}

export async function getConnection(pool: Pool, id: string): Promise<ConnectionSummary> {
  return summary(await fetchRow(pool, id));
}

/** The connection with its secrets decrypted, for the code that opens a CRM session. Never log the result. */
export async function loadConnection(pool: Pool, box: SecretBox, id: string): Promise<ConnectionWithSecrets> {
  const row = await fetchRow(pool, id);
  const { secretNames: _names, ...settings } = row.settings;
  return { id: row.id, kind: row.kind, baseUrl: row.base_url, settings, secrets: box.decrypt<Record<string, string>>(row.secrets_ciphertext, row.secrets_key_id) };
}

/** Removes a connection; refused while jobs use it (their history would lose its meaning). */
export async function removeConnection(pool: Pool, id: string): Promise<void> {
  await fetchRow(pool, id);
  const jobs = await pool.query<{ id: string }>('SELECT id FROM integration_jobs WHERE connection_id = $1 ORDER BY id', [id]);
  if (jobs.rows.length > 0) {
    throw new ConflictError(`Connection '${id}' is used by job(s) ${jobs.rows.map((r) => r.id).join(', ')}. Delete those jobs first (\`hubsync job delete <job>\`).`);
  }
  await pool.query('DELETE FROM crm_connections WHERE id = $1', [id]);
}
