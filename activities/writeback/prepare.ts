/**
 * Checking a write-back request before any CRM call (W3, W8, W9, W13): its shape, the account, each
 * attribute (exists, write-back on), each of the account's sources for it (W5) and each value against the
 * source's stored describe. Every problem is collected; any one refuses the request and nothing is written.
 * What passes becomes the plan the account's workflow applies.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConfigurationError, ConflictError } from '../../kernel/errors';
import { unsafeText } from '../../kernel/text';
import {
  BULK_ORIGINS,
  WRITE_BACK_ORIGINS,
  type PlannedSourceWrite,
  type SourceField,
  type WriteBackOutcome,
  type WriteBackOrigin,
  type WriteBackPlan,
  type WriteBackRequest,
  type WriteBackValue,
} from '../../kernel/writeback';
import type { Pool } from '../hub/store';
import { convertValue, pathParts, SourceFieldProblem } from './fields';
import { toReferenceMode } from './settings';
import { resolveAccount } from '../hub/accounts';

/** A request refused before any CRM call; `problems` lists each thing wrong, with where and the fix. */
export class WriteBackRefusedError extends ConfigurationError {
  override readonly name = 'WriteBackRefusedError';
  constructor(readonly problems: string[]) {
    super(`Write-back refused, nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { code: 'WRITE_BACK_REFUSED' });
  }
}

export const toDbOrigin = (origin: WriteBackOrigin) => origin.replace(/-/g, '_');
export const fromDbOrigin = (origin: string) => origin.replace(/_/g, '-') as WriteBackOrigin;

const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;
const MAX_CHANGES = 50;

function isValue(v: unknown): v is WriteBackValue {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
}

/** The request's own shape, before the database is asked anything. */
function checkShape(request: WriteBackRequest, problems: string[]): void {
  const r = request as unknown as Record<string, unknown>;
  if (Array.isArray(r['account']) || Array.isArray(r['accounts']) || r['accounts'] !== undefined) {
    problems.push('account: write-back takes one account per request; bulk write-back (segment bulk update, forms, forecast dialog) is not supported (W9). Send one request per account from the account profile or a segment inline edit.');
  } else if (!(typeof r['account'] === 'string' && r['account'].trim() !== '') && !(typeof r['account'] === 'number' && Number.isInteger(r['account']))) {
    problems.push('account: name one hub account, by its hub ID (42) or as connection:crmId (demo:001xx0000000001AAA)');
  }
  const origin = r['origin'];
  if ((BULK_ORIGINS as readonly unknown[]).includes(origin)) {
    problems.push(`origin '${String(origin)}': write-back is not supported for bulk updates (segment bulk update, forms, forecast dialog: W9); use one of ${WRITE_BACK_ORIGINS.join(', ')}`);
  } else if (!(WRITE_BACK_ORIGINS as readonly unknown[]).includes(origin)) {
    problems.push(`origin '${String(origin)}' is not one of ${WRITE_BACK_ORIGINS.join(', ')} (W4)`);
  }
  if (typeof r['actor'] !== 'string' || r['actor'].trim() === '' || r['actor'].length > 320 || /[\u0000-\u001f]/.test(r['actor'])) {
    problems.push('actor: say who made the change (an email or a service name, at most 320 characters, no control characters)');
  }
  if (request.requestId !== undefined && (typeof request.requestId !== 'string' || !REQUEST_ID.test(request.requestId))) {
    problems.push('requestId: 1-200 characters of letters, digits and . _ : @ / -, starting with a letter or digit');
  }
  if (request.force !== undefined && typeof request.force !== 'boolean') problems.push('force: true or false');
  const changes = r['changes'];
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes) || Object.keys(changes).length === 0) {
    problems.push('changes: give at least one attribute and its new value (key=value)');
  } else if (Object.keys(changes).length > MAX_CHANGES) {
    problems.push(`changes: at most ${MAX_CHANGES} attributes per request, not ${Object.keys(changes).length}`);
  } else {
    for (const [key, value] of Object.entries(changes as Record<string, unknown>)) {
      if (!isValue(value)) {
        problems.push(`${key}: a value is text, a number, true/false, null or a list of texts, not ${JSON.stringify(value)?.slice(0, 200)}`);
        continue;
      }
      // A NUL or an escape sequence is never an attribute's value, and would reach the CRM before the hub refused it.
      const unsafe = (typeof value === 'string' ? [value] : Array.isArray(value) ? value : []).map((text) => unsafeText(text)).find(Boolean);
      if (unsafe) problems.push(`${key}: the value ${unsafe}`);
    }
  }
}

interface SourceRow {
  attribute_id: number;
  key: string;
  kind: 'attribute' | 'account_assignment';
  write_back_enabled: boolean;
  connection_id: string | null;
  crm_object: string | null;
  crm_field: string | null;
  reference_mode: string | null;
  crm_describe: SourceField | null;
  crm_id: string | null;
}

/** Each requested attribute with the account's sources for it (a row per source; one row with nulls when none). */
async function loadSources(pool: Pool, accountId: number, keys: string[]): Promise<SourceRow[]> {
  const { rows } = await pool.query<SourceRow>(
    `SELECT d.id AS attribute_id, d.key, d.kind, d.write_back_enabled, s.connection_id, s.crm_object, s.crm_field, s.reference_mode, s.crm_describe, l.crm_id
       FROM attribute_definitions d
       LEFT JOIN LATERAL (
         SELECT v.connection_id FROM attribute_values v WHERE v.account_id = $1 AND v.attribute_id = d.id AND v.connection_id IS NOT NULL
         UNION
         SELECT a.connection_id FROM account_assignments a WHERE a.account_id = $1 AND a.attribute_id = d.id AND a.connection_id IS NOT NULL
       ) held ON true
       LEFT JOIN attribute_sources s ON s.attribute_id = d.id AND s.connection_id = held.connection_id
       LEFT JOIN record_links l ON l.connection_id = s.connection_id AND l.crm_object = s.crm_object AND l.hub_type = 'account' AND l.hub_id = $1
      WHERE d.key = ANY($2)
      ORDER BY d.key, s.connection_id`,
    [accountId, keys],
  );
  return rows;
}

/** Turns a request into the plan the account's workflow applies, or throws WriteBackRefusedError with every problem. */
export async function prepareWriteBack(pool: Pool, request: WriteBackRequest, requestId: string, acceptedAtMs: number): Promise<WriteBackPlan> {
  const problems: string[] = [];
  checkShape(request, problems);
  if (problems.length > 0) throw new WriteBackRefusedError(problems);

  const account = await resolveAccount(pool, request.account);
  if ('problem' in account) throw new WriteBackRefusedError([account.problem]);
  const keys = Object.keys(request.changes);
  const rows = await loadSources(pool, account.id, keys);
  const writes: PlannedSourceWrite[] = [];
  for (const key of keys) {
    const value = request.changes[key] as WriteBackValue;
    const sources = rows.filter((r) => r.key === key);
    if (sources.length === 0) {
      problems.push(`${key}: no such attribute (see \`hubsync attribute list\`)`);
      continue;
    }
    const first = sources[0] as SourceRow;
    if (!first.write_back_enabled) {
      problems.push(`${key}: write-back is off for this attribute; switch it on with \`hubsync attribute write-back ${key} on\``);
      continue;
    }
    const held = sources.filter((s) => s.connection_id !== null);
    if (held.length === 0) {
      problems.push(`${key}: account ${account.id} has no value of this attribute from any CRM connection, so there is no data source to write back to`);
      continue;
    }
    let hubUserId: number | null = null;
    if (first.kind === 'account_assignment') {
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(`${key}: an account assignment takes the hub user's email`);
        continue;
      }
      const { rows: users } = await pool.query<{ id: number }>('SELECT id FROM hub_users WHERE lower(email) = lower($1)', [value.trim()]);
      if (!users[0]) {
        problems.push(`${key}: no hub user has the email '${value}'; assign an existing hub user`);
        continue;
      }
      hubUserId = Number(users[0].id);
    }
    for (const s of held) {
      const where = `${key} on '${s.connection_id}'`;
      if (!s.crm_object || !s.crm_field) {
        problems.push(`${where}: the attribute has a value from this connection but no source mapping; run its accounts-inbound job again`);
        continue;
      }
      try {
        pathParts(s.crm_field);
      } catch (err) {
        if (!(err instanceof SourceFieldProblem)) throw err;
        problems.push(`${where}: ${err.message}`);
        continue;
      }
      if (!s.crm_id) {
        problems.push(`${where}: account ${account.id} is not linked to a ${s.crm_object} record on this connection; run its accounts-inbound job`);
        continue;
      }
      if (!s.crm_describe || s.crm_describe.path.toLowerCase() !== s.crm_field.toLowerCase()) {
        problems.push(`${where}: this source (${s.crm_object}.${s.crm_field}) was added or re-mapped after write-back was switched on and has not been checked; run \`hubsync attribute write-back ${key} on\` again`);
        continue;
      }
      const mode = toReferenceMode(s.reference_mode ?? 'repoint');
      const field = s.crm_describe;
      const input = first.kind === 'account_assignment' && typeof value === 'string' ? value.trim().toLowerCase() : value;
      if (field.reference && mode === 'repoint' && (input === null || input === '')) {
        problems.push(`${where}: ${s.crm_field} is written by re-pointing ${field.reference.lookupField}; an empty value cannot name a ${field.reference.targetObject}`);
        continue;
      }
      const converted = convertValue(field.field, input);
      if (!converted.ok) {
        problems.push(`${where}: ${converted.problem}`);
        continue;
      }
      writes.push({
        attributeId: Number(s.attribute_id),
        attribute: key,
        kind: first.kind,
        connectionId: s.connection_id as string,
        crmObject: s.crm_object,
        crmId: s.crm_id,
        crmField: s.crm_field,
        referenceMode: mode,
        field,
        value: converted.hub,
        crmValue: converted.crm,
        hubUserId,
      });
    }
  }
  if (problems.length > 0) throw new WriteBackRefusedError(problems);
  return {
    requestId,
    accountId: account.id,
    origin: request.origin,
    actor: request.actor.trim(),
    force: request.force === true,
    changes: request.changes,
    writes,
    acceptedAtMs,
  };
}

/**
 * The stored outcome of a request ID, if that request completed (W14). The same ID with a different account or
 * changes is a different request reusing the ID: refused.
 */
export async function storedOutcome(pool: Pool, request: WriteBackRequest, requestId: string): Promise<WriteBackOutcome | undefined> {
  const { rows } = await pool.query<{ account_id: number; changes: unknown; status: string; outcome: WriteBackOutcome | null }>(
    'SELECT account_id, changes, status, outcome FROM write_back_requests WHERE request_id = $1',
    [requestId],
  );
  const row = rows[0];
  if (!row) return undefined;
  // Compared as values: the stored jsonb does not keep the request's key order.
  if (!isDeepStrictEqual(row.changes, request.changes)) {
    throw new ConflictError(`Request ID '${requestId}' was used already for other changes (${JSON.stringify(row.changes)}); a request ID names one write-back.`, {
      fix: 'send a new request ID for a new change (or none: one is generated)',
    });
  }
  return row.status === 'completed' && row.outcome ? { ...row.outcome, replayed: true } : undefined;
}
