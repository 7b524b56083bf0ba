/**
 * `hubsync job run|schedule|pause|resume|trigger|runs` (T10, T24, T25; P2, P3).
 */
import type { Command } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import type { RunProgress } from '../../kernel/runs';
import { formatStats } from '../../kernel/stats';
import { print, printJson, table, withContext } from '../context';
import type { HubsyncClient, JobRunHandle } from '../hubsync-client';

function progressLine(p: RunProgress): string {
  const width = 30;
  const known = p.expectedRecords !== null && p.expectedRecords > 0;
  const ratio = known ? Math.min(1, p.stats.read / (p.expectedRecords as number)) : 0;
  const bar = known ? `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] ${Math.round(ratio * 100)}%` : `[${p.phase}]`;
  return `${bar} ${p.stats.read}${known ? `/${p.expectedRecords}` : ''} records, ${p.stats.pages} pages; ${p.stats.created} created, ${p.stats.updated} updated`;
}

/** Waits for a run, drawing a progress bar from the workflow's progress query. */
async function waitWithProgress(hubsync: HubsyncClient, handle: JobRunHandle, json: boolean): Promise<void> {
  const tty = process.stdout.isTTY && !json;
  let last = '';
  const timer = setInterval(() => {
    hubsync.progress(handle).then(
      (p) => {
        const line = progressLine(p);
        if (line === last) return;
        last = line;
        if (tty) process.stdout.write(`\r${line.padEnd(100)}`);
        else if (!json) print(line);
      },
      () => undefined,
    );
  }, 500);
  try {
    const result = await handle.result();
    if (tty) process.stdout.write('\n');
    if (json) return printJson(result);
    print(`✔ run ${result.runId} of job ${result.jobId} (version ${result.jobVersion}, ${result.mode}) completed: ${formatStats(result.stats)}`);
  } catch (err) {
    if (tty) process.stdout.write('\n');
    const cause = err instanceof WorkflowFailedError && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
    throw new Error(`run ${handle.workflowId} failed: ${cause}`);
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
        if (Boolean(opts.every) === Boolean(opts.cron)) throw new Error('Give exactly one of --every <duration> or --cron <expression>.');
        const scheduleId = await (await ctx.hubsync()).schedule(id, opts.every ? { every: opts.every } : { cron: opts.cron as string });
        print(`Job '${id}' runs ${opts.every ? `every ${opts.every}` : `on cron "${opts.cron}"`} (Temporal Schedule ${scheduleId}; pause, trigger or backfill it from the Temporal UI or \`hubsync job pause|resume|trigger\`).`);
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
    .option('--limit <n>', 'how many', '10')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { limit: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const runs = await (await ctx.hubsync()).runs(id, Number(opts.limit));
        if (opts.json) return printJson(runs);
        if (runs.length === 0) return print(`Job '${id}' has not run yet. Run it with \`hubsync job run ${id} --wait\`.`);
        print(table(['RUN', 'VERSION', 'MODE', 'STATUS', 'STARTED', 'STATISTICS'], runs.map((r) => [r.id, r.jobVersion, r.mode, r.status, r.startedAt, r.stats.pages === undefined ? '' : formatStats(r.stats)])));
        for (const r of runs.filter((x) => x.error)) print(`run ${r.id}: ${r.error}`);
      }),
    );
}
