/**
 * Edits of a job's configuration, as the CLI takes them from a JSON/YAML file or flags: replace any
 * top-level setting, replace the whole mapping, or add, remove and change rows (T7: the mapping can be
 * edited after the job starts from its template). Pure: the result is validated before anything is saved.
 */
import { z } from 'zod';
import { ConfigurationError } from '../../kernel/errors';
import { describeIssue } from '../../kernel/zod-issues';
import { MappingRowSchema, type JobConfig, type MappingRow } from './job-config';

/** A row is addressed by its 1-based number or by its CRM field. */
const RowRefSchema = z.union([z.number().int().min(1), z.string().min(1)]);

export const JobEditSchema = z
  .object({
    crmObject: z.string().optional(),
    parentObject: z.string().nullable().optional(),
    mapping: z.array(MappingRowSchema).optional(),
    addRows: z.array(MappingRowSchema).optional(),
    removeRows: z.array(RowRefSchema).optional(),
    changeRows: z.array(MappingRowSchema.partial().extend({ row: RowRefSchema })).optional(),
    filter: z.string().nullable().optional(),
    hubFilter: z.unknown().optional(),
    schedule: z.unknown().optional(),
    allowCreate: z.boolean().optional(),
    updateWindowDays: z.number().int().optional(),
  })
  .strict();

export type JobEdit = z.infer<typeof JobEditSchema>;

/** An edit that cannot be applied (malformed, or naming a row the mapping does not have). */
export class JobEditError extends ConfigurationError {
  override readonly name = 'JobEditError';
}

function rowIndex(mapping: MappingRow[], ref: number | string, jobId: string): number {
  const index = typeof ref === 'number' ? ref - 1 : mapping.findIndex((r) => r.crmField.toLowerCase() === ref.toLowerCase());
  if (index < 0 || index >= mapping.length) {
    throw new JobEditError(`Job '${jobId}': no mapping row ${typeof ref === 'number' ? ref : `with crmField '${ref}'`} (the mapping has ${mapping.length} rows; see \`hubsync job show ${jobId}\`).`);
  }
  return index;
}

/** Applies an edit to a configuration; the result still has to be validated. */
export function applyJobEdit(jobId: string, config: JobConfig, input: unknown): JobConfig {
  const parsed = JobEditSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw new JobEditError(`Job '${jobId}': invalid edit; nothing was saved:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.') || 'edit'}: ${describeIssue(i)}`).join('\n')}`, {
      fix: 'an edit takes crmObject, parentObject, mapping, addRows, removeRows, changeRows, filter, hubFilter, schedule, allowCreate and updateWindowDays (see `hubsync job edit --help`)',
    });
  }
  const edit = parsed.data;
  let mapping = (edit.mapping ?? config.mapping).map((r) => ({ ...r }));
  for (const change of edit.changeRows ?? []) {
    const index = rowIndex(mapping, change.row, jobId);
    const { row: _row, ...fields } = change;
    mapping[index] = { ...mapping[index]!, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
  }
  if (edit.removeRows?.length) {
    const drop = new Set(edit.removeRows.map((ref) => rowIndex(mapping, ref, jobId)));
    mapping = mapping.filter((_, i) => !drop.has(i));
  }
  mapping.push(...(edit.addRows ?? []));

  const next: Record<string, unknown> = { ...config, mapping };
  for (const key of ['crmObject', 'parentObject', 'hubFilter', 'schedule', 'allowCreate', 'updateWindowDays'] as const) {
    if (edit[key] !== undefined) next[key] = edit[key];
  }
  if (edit.filter !== undefined) {
    if (edit.filter === null || edit.filter.trim() === '') delete next['filter'];
    else next['filter'] = edit.filter;
  }
  return next as JobConfig;
}
