/**
 * The write-back switch of attributes and account assignments (W1, W2). Switching on is checked whole before
 * anything is written: the attribute must be mapped to a CRM field by an accounts-inbound job, that field (or
 * the lookup a re-point sets) must be updateable and not a formula, and at most one account assignment may
 * have write-back on. The describe answers are stored with each source, for checking requests later.
 */
import { ConfigurationError, ConflictError, NotFoundError } from '../../kernel/errors';
import type { ReferenceMode } from '../../kernel/writeback';
import { listJobs } from '../hub/jobs';
import { withTransaction, type Pool } from '../hub/store';
import { attributeKey } from '../mapping/hub-fields';
import type { SessionSource } from '../sessions';
import { describeSource, SourceFieldProblem } from './fields';
import type { SourceField } from '../../kernel/writeback';

export interface AttributeSourceInfo {
  connectionId: string;
  crmObject: string;
  crmField: string;
  referenceMode: ReferenceMode | null;
  /** The accounts-inbound jobs whose mapping feeds this source today; none means the source is left over. */
  mappedBy: string[];
}

export interface AttributeInfo {
  key: string;
  label: string;
  kind: 'attribute' | 'account_assignment';
  valueType: string;
  writeBack: boolean;
  sources: AttributeSourceInfo[];
}

export const toReferenceMode = (db: string): ReferenceMode => (db === 'edit_referenced' ? 'edit-referenced' : 'repoint');
const toDbMode = (mode: ReferenceMode) => (mode === 'edit-referenced' ? 'edit_referenced' : 'repoint');

interface DefinitionRow {
  id: number;
  key: string;
  label: string;
  kind: 'attribute' | 'account_assignment';
  value_type: string;
  write_back_enabled: boolean;
}

interface SourceRow {
  attribute_id: number;
  connection_id: string;
  crm_object: string;
  crm_field: string;
  reference_mode: string;
}

/** Which accounts-inbound jobs map `key` from `crmField` on each connection. */
async function mappingIndex(pool: Pool): Promise<(connectionId: string, key: string, crmField: string) => string[]> {
  const jobs = (await listJobs(pool)).filter((j) => j.kind === 'accounts-inbound');
  return (connectionId, key, crmField) =>
    jobs
      .filter((j) => j.connectionId === connectionId && j.config.mapping.some((r) => attributeKey(r.hubField) === key && r.crmField.toLowerCase() === crmField.toLowerCase()))
      .map((j) => j.id);
}

function toInfo(d: DefinitionRow, sources: SourceRow[], mappedBy: (connectionId: string, key: string, crmField: string) => string[]): AttributeInfo {
  return {
    key: d.key,
    label: d.label,
    kind: d.kind,
    valueType: d.value_type,
    writeBack: d.write_back_enabled,
    sources: sources
      .filter((s) => s.attribute_id === d.id)
      .map((s) => ({
        connectionId: s.connection_id,
        crmObject: s.crm_object,
        crmField: s.crm_field,
        referenceMode: s.crm_field.includes('.') ? toReferenceMode(s.reference_mode) : null,
        mappedBy: mappedBy(s.connection_id, d.key, s.crm_field),
      })),
  };
}

export async function listAttributes(pool: Pool): Promise<AttributeInfo[]> {
  const [defs, sources, mappedBy] = await Promise.all([
    pool.query<DefinitionRow>('SELECT id, key, label, kind, value_type, write_back_enabled FROM attribute_definitions ORDER BY kind, key'),
    pool.query<SourceRow>('SELECT attribute_id, connection_id, crm_object, crm_field, reference_mode FROM attribute_sources ORDER BY connection_id'),
    mappingIndex(pool),
  ]);
  return defs.rows.map((d) => toInfo(d, sources.rows, mappedBy));
}

export async function getAttribute(pool: Pool, key: string): Promise<AttributeInfo> {
  const found = (await listAttributes(pool)).find((a) => a.key === key);
  if (!found) throw await unknownAttribute(pool, key);
  return found;
}

async function unknownAttribute(pool: Pool, key: string): Promise<NotFoundError> {
  const { rows } = await pool.query<{ key: string }>('SELECT key FROM attribute_definitions ORDER BY key');
  return new NotFoundError(`No attribute '${key}'. Known attributes: ${rows.map((r) => r.key).join(', ') || '(none yet)'}.`, {
    fix: 'see `hubsync attribute list`; attributes appear once an accounts-inbound job that maps them has run',
  });
}

export interface WriteBackSwitch {
  on: boolean;
  /** W7: how this source's reference field is written; needs `connection` when the attribute has several sources. */
  referenceMode?: ReferenceMode;
  connection?: string;
}

/**
 * Switches write-back on or off for an attribute. On: every check first (mapping, W2, describe of each
 * source), then one transaction; a refusal writes nothing.
 */
export async function setWriteBack(pool: Pool, session: SessionSource, key: string, change: WriteBackSwitch): Promise<AttributeInfo> {
  const attribute = await getAttribute(pool, key);
  // Callers without the types (JavaScript, JSON) may send anything: an unknown mode would be stored as repoint.
  if (change.referenceMode !== undefined && change.referenceMode !== 'repoint' && change.referenceMode !== 'edit-referenced') {
    throw new ConfigurationError(`Write-back for '${key}' refused: reference mode '${String(change.referenceMode).slice(0, 100)}' does not exist.`, { fix: 'use repoint (point the lookup to the record with the value) or edit-referenced (change the field on the referenced record)' });
  }
  if (change.referenceMode && !change.on) throw new ConfigurationError('--reference-mode is set when switching write-back on', { fix: `run \`hubsync attribute write-back ${key} on --reference-mode ${change.referenceMode}\`` });
  if (!change.on) {
    await pool.query('UPDATE attribute_definitions SET write_back_enabled = false, updated_at = now() WHERE key = $1', [key]);
    return getAttribute(pool, key);
  }

  const mapped = attribute.sources.filter((s) => s.mappedBy.length > 0);
  if (mapped.length === 0) {
    const leftOver = attribute.sources.map((s) => `${s.connectionId} (${s.crmObject}.${s.crmField})`).join(', ');
    throw new ConfigurationError(
      `Attribute '${key}' is not mapped to a field of any CRM connection${leftOver ? `: no accounts-inbound job maps it any more (it came from ${leftOver})` : ''}; write-back needs a CRM field to write to (W1).`,
      { fix: `map a CRM field to "${attribute.label}" in an accounts-inbound job (\`hubsync job edit <job>\`) and run the job` },
    );
  }
  if (change.connection && !mapped.some((s) => s.connectionId === change.connection)) {
    throw new ConfigurationError(`Attribute '${key}' has no source on connection '${change.connection}'; its sources: ${mapped.map((s) => s.connectionId).join(', ')}.`, { fix: 'name one of those with --connection' });
  }
  if (change.referenceMode) {
    const candidates = mapped.filter((s) => !change.connection || s.connectionId === change.connection);
    const plain = candidates.find((s) => !s.crmField.includes('.'));
    if (plain && candidates.every((s) => !s.crmField.includes('.'))) {
      throw new ConfigurationError(`--reference-mode applies to reference fields such as Owner.Email; '${key}' on '${plain.connectionId}' is the plain field ${plain.crmObject}.${plain.crmField}.`, { fix: 'leave --reference-mode out' });
    }
    if (!change.connection && mapped.length > 1) {
      throw new ConfigurationError(`Attribute '${key}' comes from ${mapped.length} connections (${mapped.map((s) => s.connectionId).join(', ')}); --reference-mode applies to one.`, { fix: 'add --connection <id> to say which source it is for' });
    }
  }
  const modeTarget = change.referenceMode ? (change.connection ?? mapped[0]?.connectionId) : undefined;
  if (attribute.kind === 'account_assignment') {
    const { rows } = await pool.query<{ key: string; label: string }>(
      `SELECT key, label FROM attribute_definitions WHERE kind = 'account_assignment' AND write_back_enabled AND key <> $1`,
      [key],
    );
    const other = rows[0];
    if (other) {
      throw new ConflictError(
        `Account assignment '${other.key}' (${other.label}) has write-back on already; only one account assignment may (W2): two would re-point the same owner lookups and their micro-syncs would overwrite each other.`,
        { fix: `switch it off first: \`hubsync attribute write-back ${other.key} off\`` },
      );
    }
  }

  // Describe every source before writing anything: one refused source refuses the switch.
  const described: Array<{ source: AttributeSourceInfo; mode: ReferenceMode; field: SourceField }> = [];
  for (const source of mapped) {
    const mode = source.connectionId === modeTarget && change.referenceMode ? change.referenceMode : (source.referenceMode ?? 'repoint');
    const crm = await session(source.connectionId);
    try {
      described.push({ source, mode, field: await describeSource(crm.describe, source.crmObject, source.crmField, mode) });
    } catch (err) {
      if (!(err instanceof SourceFieldProblem)) throw err;
      throw new ConfigurationError(`Write-back for '${key}' refused: on connection '${source.connectionId}', ${err.message}.`, { fix: err.fix });
    }
  }

  try {
    await withTransaction(pool, async (client) => {
      for (const { source, mode, field } of described) {
        await client.query(
          `UPDATE attribute_sources s SET reference_mode = $3, crm_describe = $4
             FROM attribute_definitions d WHERE d.id = s.attribute_id AND d.key = $1 AND s.connection_id = $2`,
          [key, source.connectionId, toDbMode(mode), JSON.stringify(field)],
        );
      }
      await client.query('UPDATE attribute_definitions SET write_back_enabled = true, updated_at = now() WHERE key = $1', [key]);
    });
  } catch (err) {
    // Another switch won the race for the one account assignment (the unique index of W2).
    if ((err as { constraint?: string }).constraint === 'attribute_definitions_one_assignment_write_back') {
      throw new ConflictError(`Another account assignment had write-back switched on meanwhile; only one may (W2).`, { fix: 'see `hubsync attribute list`' });
    }
    throw err;
  }
  return getAttribute(pool, key);
}
