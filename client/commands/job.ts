/**
 * `hubsync job ...`: integration jobs (T1-T10): create from a template, show, edit, validate, preview,
 * enable, disable, delete. Every change is validated before it is saved and bumps the job's version.
 */
import type { Command } from 'commander';
import { explainRecord } from '../../activities/jobs/explain';
import { isJobKind, JOB_KIND_INFO, JOB_KINDS } from '../../kernel/job-kinds';
import type { ValidationIssue } from '../../activities/crm/types';
import { openSession } from '../../activities/sessions';
import { getJob, listJobs, type JobRecord } from '../../activities/hub/jobs';
import { createValidatedJob, editValidatedJob, templateConfigFor } from '../../activities/jobs/configure';
import { previewJob } from '../../activities/jobs/preview';
import { validateJob, type JobValidation } from '../../activities/jobs/validate-job';
import { listRuns, type RunRecord } from '../../activities/hub/runs';
import { describeRun, describeSchedule } from '../format';
import { print, printJson, table, withContext, type CommandContext } from '../context';
import { intOption, readConfigFile } from '../input';
import { registerJobRunCommands } from './job-run';
import { ConfigurationError } from '../../kernel/errors';

function printMapping(job: JobRecord): void {
  print(table(['#', 'CRM FIELD', 'CRM TYPE', 'HUB FIELD', 'HUB TYPE', 'KEY'], job.config.mapping.map((r, i) => [i + 1, r.crmField, r.crmFieldType, r.hubField, r.hubFieldType, r.key ? 'key' : ''])));
}

/** What Temporal and the run table say of a job; the schedule is unknown when Temporal does not answer. */
async function jobState(ctx: CommandContext, job: JobRecord): Promise<{ schedule: string; lastRun: RunRecord | undefined }> {
  const [lastRun] = await listRuns(ctx.pool, job.id, 1);
  let schedule: string;
  try {
    schedule = describeSchedule(await (await ctx.hubsync()).describeSchedule(job.id));
  } catch (err) {
    schedule = `(unknown: Temporal did not answer: ${err instanceof Error ? err.message : String(err)})`;
  }
  return { schedule, lastRun };
}

function printJob(job: JobRecord, state?: { schedule: string; lastRun: RunRecord | undefined }): void {
  const info = JOB_KIND_INFO[job.kind];
  print(`Job ${job.id}  (${job.kind}, ${info.feature}; version ${job.version}; ${job.enabled ? 'enabled' : 'disabled'})`);
  print(`  connection:    ${job.connectionId}`);
  print(`  CRM object:    ${job.config.crmObject}${job.config.parentObject ? `  (parent: ${job.config.parentObject})` : ''}`);
  if (info.direction === 'inbound') print(`  filter:        ${job.config.filter ?? '(none: all records)'}`);
  else {
    print(`  hub filter:    ${job.config.hubFilter ? JSON.stringify(job.config.hubFilter) : '(none)'}`);
    print(`  allow create:  ${job.config.allowCreate ?? true}`);
    print(`  update window: ${job.config.updateWindowDays ?? 30} days`);
  }
  if (state) {
    print(`  schedule:      ${state.schedule}`);
    print(`  last run:      ${describeRun(state.lastRun)}`);
  }
  print('');
  printMapping(job);
}

function printIssues(issues: ValidationIssue[]): void {
  for (const issue of issues) {
    print(`${issue.severity === 'error' ? '✖' : '!'} ${issue.message}`);
    print(`  fix: ${issue.fix}`);
  }
}

function printValidation(validation: JobValidation): void {
  print(table(['#', 'CRM FIELD', 'CRM TYPE', 'HUB FIELD', 'OK'], validation.rows.map((r) => [r.row, r.crmField, r.crmType ?? '?', r.hubField, r.ok ? '✔' : '✖'])));
  print('');
  printIssues(validation.issues);
  print(validation.ok ? `✔ job '${validation.jobId}' (version ${validation.version}) validates` : `✖ job '${validation.jobId}' does not validate`);
}

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('Manage integration jobs (accounts, tasks, touchpoints, campaign touches)');
  registerJobRunCommands(job);

  job
    .command('create')
    .description('Create a job (disabled) from its kind\'s default template or a configuration file; refused unless it validates')
    .requiredOption('--kind <kind>', `one of ${JOB_KINDS.join(', ')}`)
    .requiredOption('--connection <id>', 'the CRM connection')
    .option('--id <id>', 'job ID (default: <connection>-<kind>)')
    .option('--from-template', 'start from the default mapping template of the kind (T7)')
    .option('--file <path>', 'JSON/YAML configuration (mapping, filter, ...) instead of the template')
    .option('--json', 'machine-readable output')
    .action(async (opts: { kind: string; connection: string; id?: string; fromTemplate?: boolean; file?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        if (!isJobKind(opts.kind)) throw new ConfigurationError(`Unknown job kind '${opts.kind}'. Use one of: ${JOB_KINDS.join(', ')}.`);
        if (!opts.fromTemplate && !opts.file) throw new ConfigurationError('Say where the mapping comes from: --from-template (the default template of the kind) or --file <config>.');
        const id = opts.id ?? `${opts.connection}-${opts.kind}`;
        const base = await templateConfigFor(ctx.pool, { id, kind: opts.kind, connectionId: opts.connection });
        const config = opts.file ? { ...base, ...readConfigFile(opts.file), kind: opts.kind } : base;
        const { job: created, validation } = await createValidatedJob(ctx.pool, ctx.secretBox(), { id, connectionId: opts.connection, config });
        if (opts.json) return printJson({ job: created, validation });
        printJob(created);
        printIssues(validation.issues);
        print(`\nCreated job '${created.id}' (disabled). Next: \`hubsync job preview ${created.id}\`, then \`hubsync job enable ${created.id}\`.`);
      }),
    );

  job
    .command('list')
    .description('List jobs')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const jobs = await listJobs(ctx.pool);
        if (opts.json) return printJson(jobs);
        if (jobs.length === 0) return print('No jobs. Create one with `hubsync job create --kind tasks-inbound --connection <id> --from-template`.');
        const states = await Promise.all(jobs.map((j) => jobState(ctx, j)));
        print(
          table(
            ['ID', 'KIND', 'CONNECTION', 'VERSION', 'ENABLED', 'SCHEDULE', 'LAST RUN'],
            jobs.map((j, i) => [j.id, j.kind, j.connectionId, j.version, j.enabled ? 'yes' : 'no', states[i]!.schedule, states[i]!.lastRun ? `${states[i]!.lastRun!.status} ${states[i]!.lastRun!.startedAt}` : '-']),
          ),
        );
      }),
    );

  job
    .command('show <job>')
    .description('Show a job: settings and mapping table')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const found = await getJob(ctx.pool, id);
        const state = await jobState(ctx, found);
        if (opts.json) printJson({ ...found, ...state });
        else printJob(found, state);
      }),
    );

  job
    .command('edit <job>')
    .description('Change a job: settings and mapping rows from a JSON/YAML file and/or flags; refused unless the result validates')
    .option('--file <path>', 'edit file: any of crmObject, parentObject, mapping (replace all rows), addRows, removeRows (numbers or crmField), changeRows ({row, ...fields}), filter, hubFilter, schedule, allowCreate, updateWindowDays')
    .option('--filter <soql>', 'inbound SOQL WHERE condition (T8); empty string removes it')
    .option('--object <name>', 'CRM object (a custom object may replace Task/Event)')
    .option('--allow-create <bool>', 'outbound: create CRM records (T14): true or false')
    .option('--update-window <days>', 'outbound: only records updated in the last N days, 1 to 3650 (T15)', intOption('--update-window', 1, 3650))
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { file?: string; filter?: string; object?: string; allowCreate?: string; updateWindow?: number; json?: boolean }) =>
      withContext(async (ctx) => {
        const edit: Record<string, unknown> = opts.file ? readConfigFile(opts.file) : {};
        if (opts.filter !== undefined) edit['filter'] = opts.filter;
        if (opts.object) edit['crmObject'] = opts.object;
        if (opts.allowCreate !== undefined) {
          if (!['true', 'false'].includes(opts.allowCreate)) throw new ConfigurationError(`--allow-create takes true or false, not '${opts.allowCreate}'.`);
          edit['allowCreate'] = opts.allowCreate === 'true';
        }
        if (opts.updateWindow !== undefined) edit['updateWindowDays'] = opts.updateWindow;
        if (Object.keys(edit).length === 0) throw new ConfigurationError('Nothing to change: give --file and/or a setting flag (see `hubsync job edit --help`).');
        const { job: updated, validation } = await editValidatedJob(ctx.pool, ctx.secretBox(), id, edit);
        if (opts.json) return printJson({ job: updated, validation });
        printJob(updated);
        printIssues(validation.issues);
        print(`\nSaved job '${updated.id}' as version ${updated.version}.`);
      }),
    );

  job
    .command('validate <job>')
    .description('Check every mapped field against the CRM\'s describe, and the filter with the CRM (T8, T9)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const found = await getJob(ctx.pool, id);
        const validation = await validateJob(found, await openSession(ctx.pool, ctx.secretBox(), found.connectionId));
        if (opts.json) printJson(validation);
        else printValidation(validation);
        if (!validation.ok) process.exitCode = 1;
      }),
    );

  job
    .command('explain <job> <record>')
    .description("Why a record did or did not sync (T30): the first rule that stopped it, with the facts; inbound by CRM ID, external ID or hub ID, outbound by hub ID (12 or task-12), CRM ID or external ID")
    .option('--json', 'machine-readable output')
    .action(async (id: string, record: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const explanation = await explainRecord(ctx.pool, (connectionId) => openSession(ctx.pool, ctx.secretBox(), connectionId), id, record);
        if (opts.json) return printJson(explanation);
        const subject =
          explanation.direction === 'inbound'
            ? `${explanation.crmObject} ${explanation.crmId}`
            : `Hub ${explanation.hubType.replace('_', ' ')} ${explanation.hubId ?? record} (${explanation.crmId ? `${explanation.crmObject} ${explanation.crmId}` : `no ${explanation.crmObject}`})`;
        print(`${subject} in job '${explanation.jobId}': ${explanation.answer.verdict}`);
        print(`  ${explanation.summary}`);
      }),
    );

  job
    .command('preview <job>')
    .description('Show the first 10 source records mapped to their target, and what a run would do with each (T9)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const found = await getJob(ctx.pool, id);
        const preview = await previewJob(ctx.pool, found, await openSession(ctx.pool, ctx.secretBox(), found.connectionId));
        if (opts.json) return printJson(preview);
        if (!preview.validation.ok) {
          printValidation(preview.validation);
          process.exitCode = 1;
          return;
        }
        if (preview.rows.length === 0) return print('No source records match the job.');
        for (const row of preview.rows) {
          const d = row.decision;
          print(`${row.source}: ${d.action.toUpperCase()}${'code' in d ? ` (${d.code}) ${d.reason}` : ''}`);
          for (const [field, value] of Object.entries(row.target)) print(`    ${field}: ${JSON.stringify(value)}`);
        }
      }),
    );

  job
    .command('enable <job>')
    .description('"Save and sync" (T10): validate the job, enable it, schedule it and run it now')
    .option('--every <duration>', "schedule interval, 1m to 366d (default: the job's schedule setting, else 15m)")
    .option('--cron <expression>', 'schedule on a cron expression (five fields) instead')
    .option('--no-run', 'enable and schedule without running now')
    .action(async (id: string, opts: { every?: string; cron?: string; run: boolean }) =>
      withContext(async (ctx) => {
        if (opts.every && opts.cron) throw new ConfigurationError('Give at most one of --every <duration> or --cron <expression>.');
        const hubsync = await ctx.hubsync();
        const schedule = opts.every ? { every: opts.every } : opts.cron ? { cron: opts.cron } : undefined;
        const { job: enabled, schedule: stored, run } = await hubsync.enableJob(id, { ...(schedule ? { schedule } : {}), run: opts.run });
        print(`Enabled job '${enabled.id}' (version ${enabled.version}).`);
        if (stored) print(`Scheduled: ${describeSchedule(stored)}.`);
        if (run) print(`Started run: workflow ${run.workflowId}${ctx.uiLink(run.workflowId) ? `\n  ${ctx.uiLink(run.workflowId)}` : ''}`);
      }),
    );

  job
    .command('disable <job>')
    .description('Pause the job\'s schedule and disable the job')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        const hubsync = await ctx.hubsync();
        await hubsync.disableJob(id);
        print(`Disabled job '${id}'.${(await hubsync.describeSchedule(id)) ? ' Its schedule is paused.' : ''}`);
      }),
    );

  job
    .command('delete <job>')
    .description('Delete a job with its schedule, versions, runs and sync state (hub records stay)')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        await (await ctx.hubsync()).deleteJob(id);
        print(`Deleted job '${id}' and its schedule.`);
      }),
    );
}
