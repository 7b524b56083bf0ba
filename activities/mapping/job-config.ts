/**
 * The configuration of an integration job, validated once at the edge (zod here, then validate.ts
 * against the CRM's describe); workflows receive it already validated and versioned.
 */
import { z } from 'zod';
import { ConfigurationError, HubsyncError, messageWithFix } from '../../kernel/errors';
import { parseCron, parseEvery } from '../../kernel/schedule';
import { describeIssue } from '../../kernel/zod-issues';
import { unsafeText } from '../../kernel/text';
import { JOB_KIND_INFO, JOB_KINDS, type ConnectionKind, type JobKind } from '../../kernel/job-kinds';
import { defaultTemplate } from './templates';

export const JOB_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Outbound jobs consider only hub records updated in the last N days (T15). */
export const DEFAULT_UPDATE_WINDOW_DAYS = 30;

/** Longest CRM field path and hub field name a row may have (Salesforce API names are at most 40 characters a part). */
export const MAX_FIELD_NAME = 255;

/**
 * A text setting: trimmed, at most `max` characters, and no control characters or broken Unicode (a NUL or an
 * ESC is never meant, and PostgreSQL refuses NUL in the stored configuration). Line breaks only in `multiLine`.
 */
function settingText(max: number, multiLine = false) {
  return z
    .string()
    .trim()
    .max(max)
    .superRefine((text, ctx) => {
      const problem = unsafeText(text, { lineBreaks: multiLine });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

export const MappingRowSchema = z
  .object({
    crmField: settingText(MAX_FIELD_NAME).pipe(z.string().min(1, 'crmField is empty')),
    crmFieldType: settingText(100).default(''),
    hubField: settingText(MAX_FIELD_NAME).pipe(z.string().min(1, 'hubField is empty')),
    hubFieldType: settingText(100).pipe(z.string().min(1, 'hubFieldType is empty')),
    key: z.boolean().default(false),
  })
  .strict();

/** Outbound filter on hub fields (T15 combines it with the update window). Empty lists mean "any". */
export const HubFilterSchema = z
  .object({
    statuses: z.array(settingText(255).pipe(z.string().min(1))).optional(),
    priorities: z.array(settingText(255).pipe(z.string().min(1))).optional(),
    types: z.array(settingText(255).pipe(z.string().min(1))).optional(),
    ownerEmails: z.array(z.email()).optional(),
  })
  .strict();

export const ScheduleSchema = z
  .union(
    [
      z.object({ every: z.string() }).strict(),
      z.object({ cron: z.string() }).strict(),
    ],
    { error: 'schedule takes { every: "15m" } (a whole number and s, m, h or d) or { cron: "0 * * * *" } (five fields)' },
  )
  // In full when the job is saved (the interval's form and range, each cron field), not first when it is enabled.
  .superRefine((schedule, ctx) => {
    try {
      if ('every' in schedule) parseEvery(schedule.every, 'every');
      else parseCron(schedule.cron, 'cron');
    } catch (err) {
      if (!(err instanceof HubsyncError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['every' in schedule ? 'every' : 'cron'], message: messageWithFix(err, '    ') });
    }
  });

export const JobConfigSchema = z
  .object({
    kind: z.enum(JOB_KINDS),
    crmObject: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'crmObject must be an API name such as Task, Activity__c or companies'),
    parentObject: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).nullable(),
    mapping: z.array(MappingRowSchema).min(1, 'the mapping has no rows'),
    /** Inbound: a condition in the CRM's terms (T8): SOQL on Salesforce, `property = 'value' AND …` on HubSpot. */
    filter: settingText(4000, true).pipe(z.string().min(1)).optional(),
    /** Outbound: conditions on hub fields. */
    hubFilter: HubFilterSchema.optional(),
    schedule: ScheduleSchema.optional(),
    /** Outbound: create CRM records for hub records that have none (T14). */
    allowCreate: z.boolean().optional(),
    /** Outbound: only hub records updated in the last N days (T15). */
    updateWindowDays: z.number().int().min(1).max(3650).optional(),
    /**
     * Accounts inbound: the hub field (a mapping row's hubField, e.g. "Account Number") whose value identifies an
     * account across CRM connections. A record new to this connection joins the hub account that already holds
     * the same value from another connection, so one hub account can have several CRM sources (W5).
     */
    matchAccountsBy: settingText(MAX_FIELD_NAME).pipe(z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const direction = JOB_KIND_INFO[config.kind].direction;
    const misplaced = direction === 'inbound' ? (['hubFilter', 'allowCreate', 'updateWindowDays'] as const) : (['filter'] as const);
    if (config.matchAccountsBy !== undefined) {
      if (config.kind !== 'accounts-inbound') {
        ctx.addIssue({ code: 'custom', path: ['matchAccountsBy'], message: `matchAccountsBy applies to accounts-inbound jobs only; remove it from this ${config.kind} job` });
      } else if (!config.mapping.some((r) => !r.key && r.hubField.toLowerCase() === config.matchAccountsBy?.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['matchAccountsBy'], message: `matchAccountsBy names '${config.matchAccountsBy}', which no (non-key) mapping row fills; name the hubField of a row, e.g. "Account Number"` });
      }
    }
    for (const key of misplaced) {
      if (config[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to ${direction === 'inbound' ? 'outbound' : 'inbound'} jobs only; remove it from this ${config.kind} job` });
      }
    }
  });

export type MappingRow = z.infer<typeof MappingRowSchema>;
export type JobConfig = z.infer<typeof JobConfigSchema>;
export type HubFilter = z.infer<typeof HubFilterSchema>;

/** The configuration a new job of `kind` on a `crm` connection starts from: the kind's default template (T7). */
export function configFromTemplate(kind: JobKind, crm: ConnectionKind = 'salesforce'): JobConfig {
  const template = defaultTemplate(kind, crm);
  const outbound = JOB_KIND_INFO[kind].direction === 'outbound';
  return {
    kind,
    crmObject: template.crmObject,
    parentObject: template.parentObject,
    mapping: template.rows,
    ...(outbound ? { allowCreate: true, updateWindowDays: DEFAULT_UPDATE_WINDOW_DAYS } : {}),
  };
}

export class JobConfigError extends ConfigurationError {
  override readonly name = 'JobConfigError';
  constructor(
    readonly jobId: string,
    readonly problems: string[],
  ) {
    super(`Job '${jobId}' configuration is invalid; nothing was saved:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      fix: `correct the settings named above (\`hubsync job show ${jobId}\` shows the current configuration)`,
    });
  }
}

/** Parses untrusted configuration (CLI file, API) and names every problem with its path. */
export function parseJobConfig(jobId: string, input: unknown): JobConfig {
  // reportInput: a wrong type is reported with what was given ("expected string, got number 123").
  const parsed = JobConfigSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new JobConfigError(
    jobId,
    parsed.error.issues.map((issue) => {
      const where = issue.path
        .map((p, i) => (typeof p === 'number' && issue.path[i - 1] === 'mapping' ? `row ${p + 1}` : String(p)))
        .join(' → ');
      return `${where || 'config'}: ${describeIssue(issue)}`;
    }),
  );
}
