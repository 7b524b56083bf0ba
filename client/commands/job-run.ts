/**
 * `hubsync job run|schedule|pause|resume|trigger|runs` (T10, T24, T25; P2, P3).
 */
import type { Command } from 'commander';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { describeWait } from '../../kernel/budget';
import type { RunProgress } from '../../kernel/runs';
import { formatStats } from '../../kernel/stats';
import { print, printJson, table, withContext } from '../context';
import type { HubsyncClient, JobRunHandle } from '../hubsync-client';
import { describeSchedule } from '../format';
import { intOption } from '../input';
import { ConfigurationError, HubsyncError, kindOfFailureType } from '../../kernel/errors';

function progressLine(p: RunProgress): string {
  const width = 30;
  const known = p.expectedRecords !== null && p.expectedRecords > 0;
  const ratio = known ? Math.min(1, p.stats.read / (p.expectedRecords as number)) : 0;
  const bar = known ? `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] ${Math.round(ratio * 100)}%` : `[${p.phase}]`;
  const line = `${bar} ${p.stats.read}${known ? `/${p.expectedRecords}` : ''} records, ${p.stats.pages} pages; ${p.stats.created} created, ${p.stats.updated} updated`;
  return p.waiting ? `${line}; ${describeWait(p.waiting)}` : line;
}

/**
 * What a failed run says about itself: the first hubsync failure in the chain (the CRM's or the validation's
 * message with its fix), not Temporal's "Workflow execution failed" / "Activity task failed" wrappers.
 */
export function rootMessage(err: unknown): string {
  let innermost = err instanceof Error ? err.message : String(err);
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && kindOfFailureType(current.type)) return current.message;
    if (!(current instanceof WorkflowFailedError) && !(current instanceof ActivityFailure)) innermost = current.message;
  }
  return innermost;
}

/** What the run is waiting on, when an activity is being retried: which one, its attempt and last error. */
async function retryLine(handle: JobRunHandle): Promise<string | undefined> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const retrying = pending.find((a) => (a.attempt ?? 1) > 1);
  if (!retrying) return undefined;
  const last = retrying.lastFailure?.message ?? 'no message';
  return `retrying ${retrying.activityType?.name ?? 'an activity'} (attempt ${retrying.attempt}): ${last.split('\n')[0]}`;
}

/** Waits for a run, drawing a progress bar from the workflow's progress query, and what it retries. */
async function waitWithProgress(hubsync: HubsyncClient, handle: JobRunHandle, json: boolean): Promise<void> {
  const tty = process.stdout.isTTY && !json;
  let last = '';
  let polls = 0;
  const show = (line: string) => {
    if (line === last) return;
    last = line;
    if (tty) process.stdout.write(`\r${line.padEnd(100)}`);
    else if (!json) print(line);
  };
  const timer = setInterval(() => {
    // The retry state costs a describe call: every other poll.
    const retry = polls++ % 2 === 0 ? retryLine(handle).catch(() => undefined) : Promise.resolve(undefined);
    void Promise.all([hubsync.progress(handle).catch(() => undefined), retry]).then(([p, r]) => {
      if (p) show(r ? `${progressLine(p)}; ${r}` : progressLine(p));
      else if (r) show(`[starting] ${r}`);
    });
  }, 500);
  try {
    const result = await handle.result();
    if (tty) process.stdout.write('\n');
    if (json) return printJson(result);
    print(`✔ run ${result.runId} of job ${result.jobId} (version ${result.jobVersion}, ${result.mode}) completed: ${formatStats(result.stats)}`);
  } catch (err) {
    if (tty) process.stdout.write('\n');
    throw new HubsyncError('transient', `run ${handle.workflowId} failed: ${rootMessage(err)}`, { cause: err });
  } finally {
    clearInterval(timer);
  }
}

export function registerJobRunCommands(job: Command): void {
  job
    .command('run <job>')
    .description('Run a job now: incremental by default (T25); never overlaps a run in progress')
    .option('--full', 'full sync: re-read every record instead of what changed since the last run')
    .option('--wait', 'wait for the run to finish, with a progress bar')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { full?: boolean; wait?: boolean; json?: boolean }) =>
      withContext(async (ctx) => {
        const hubsync = await ctx.hubsync();
        const handle = await hubsync.startRun(id, opts.full ? 'full' : 'incremental');
        const link = ctx.uiLink(handle.workflowId);
        if (!opts.json) print(`Started ${opts.full ? 'full' : 'incremental'} run of job '${id}': workflow ${handle.workflowId}${link ? `\n  ${link}` : ''}`);
        if (opts.wait) await waitWithProgress(hubsync, handle, Boolean(opts.json));
        else if (opts.json) printJson({ workflowId: handle.workflowId });
      }),
    );

  job
    .command('schedule <job>')
    .description('Run a job on a Temporal Schedule (incremental runs; a run still going makes the next one skip)')
    .option('--every <duration>', 'interval, e.g. 15m, 1h, 1d')
    .option('--cron <expression>', 'cron expression (five fields), e.g. "0 * * * *"')
    .action(async (id: string, opts: { every?: string; cron?: string }) =>
      withContext(async (ctx) => {
        if (Boolean(opts.every) === Boolean(opts.cron)) throw new ConfigurationError('Give exactly one of --every <duration> or --cron <expression>.');
        const hubsync = await ctx.hubsync();
        const scheduleId = await hubsync.schedule(id, opts.every ? { every: opts.every } : { cron: opts.cron as string });
        print(`Job '${id}' runs ${describeSchedule(await hubsync.describeSchedule(id))} (Temporal Schedule ${scheduleId}; pause, trigger or backfill it from the Temporal UI or \`hubsync job pause|resume|trigger\`).`);
      }),
    );

  job
    .command('pause <job>')
    .description('Pause the job\'s schedule')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        await (await ctx.hubsync()).pauseSchedule(id, 'paused with hubsync job pause');
        print(`Paused the schedule of job '${id}'.`);
      }),
    );

  job
    .command('resume <job>')
    .description('Resume the job\'s schedule')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        await (await ctx.hubsync()).resumeSchedule(id, 'resumed with hubsync job resume');
        print(`Resumed the schedule of job '${id}'.`);
      }),
    );

  job
    .command('trigger <job>')
    .description('Trigger the job\'s schedule now (skipped if a run is in progress)')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        await (await ctx.hubsync()).triggerSchedule(id);
        print(`Triggered the schedule of job '${id}'.`);
      }),
    );

  job
    .command('runs <job>')
    .description('Recent runs of a job with their statistics (T24)')
    .option('--limit <n>', 'how many, 1 to 1000', intOption('--limit', 1, 1000), 10)
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { limit: number; json?: boolean }) =>
      withContext(async (ctx) => {
        const runs = await (await ctx.hubsync()).runs(id, opts.limit);
        if (opts.json) return printJson(runs);
        if (runs.length === 0) return print(`Job '${id}' has not run yet. Run it with \`hubsync job run ${id} --wait\`.`);
        // The statistics last, whole: table() never cuts its last column.
        print(table(['RUN', 'VERSION', 'MODE', 'STATUS', 'STARTED', 'STATISTICS'], runs.map((r) => [r.id, r.jobVersion, r.mode, r.status, r.startedAt, r.stats.pages === undefined ? '' : formatStats(r.stats)])));
        for (const r of runs.filter((x) => x.error)) print(`run ${r.id} ${r.status}: ${r.error}`);
      }),
    );
}
