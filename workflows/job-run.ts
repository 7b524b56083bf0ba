/**
 * The loop every job run shares, whatever its direction (P1-P3, T24, T25): begin (validate, record the run,
 * read the cursor), page through the source with the direction's activity, continue as new before history
 * grows long, finish. The workflow carries only the cursor, page number and counters; activities move the
 * records. A direction's workflow (inbound-run.ts) is this loop with its own paging activity.
 *
 * Failures: the run is recorded as failed with the activity's own message; when the CRM refused the
 * connection's credentials (kind `auth`) the job's schedule is paused first, and the failure says so.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { describeWait } from '../kernel/budget';
import { START_CURSOR, type SyncCursor } from '../kernel/cursors';
import { failureType, kindOfFailureType, type ErrorKind } from '../kernel/errors';
import type { Direction } from '../kernel/job-kinds';
import type { JobRunInput, JobRunResult, PagesInput, PagesResult, RunProgress } from '../kernel/runs';
import { addStats, emptyStats, formatStats, type RunStats } from '../kernel/stats';

export const progressQuery = defineQuery<RunProgress>('progress');

/**
 * Pages per activity call, by direction: a few seconds of work between progress updates and workflow events.
 * Inbound pages are the CRM's 2,000 records (plus the page read ahead while the last one is written), outbound
 * pages one write batch of 200, so an outbound call takes more of them for the same records per call.
 */
export const PAGES_PER_ACTIVITY: Record<Direction, number> = { inbound: 5, outbound: 25 };
/** Activity calls per workflow execution before continuing as new (if the server has not suggested it yet). */
export const CALLS_PER_EXECUTION = 200;

const { beginRun, countRunSource, finishRun, pauseJobSchedule } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  // They heartbeat while they run: an attempt whose worker died is retried within this, not at the 10 minutes
  // (a worker killed during the count, which the run awaits before it finishes, stalled it that long).
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** What a direction adds to the shared loop. */
export interface RunSteps {
  direction: Direction;
  /**
   * Once per run, before paging, in incremental runs (parked and rejected records, T26, T28). `cursor` is where
   * the paging will start: records the pages read anyway need no retry of their own.
   */
  beforePaging?: (input: Omit<PagesInput, 'maxPages'>) => Promise<{ pageNo: number; stats: RunStats }>;
  /** Up to `maxPages` pages from the cursor. */
  syncPages: (input: PagesInput) => Promise<PagesResult>;
  /** Once per run, after the last page, in both modes (outbound: deletions, T19). */
  afterPaging?: (input: Omit<PagesInput, 'cursor' | 'maxPages'>) => Promise<{ pageNo: number; stats: RunStats }>;
}

/** The hubsync error kind behind a failed activity, when it is one. */
function failureKindOf(err: unknown): ErrorKind | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? kindOfFailureType(err.cause.type) : undefined;
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export async function runJob(input: JobRunInput, steps: RunSteps): Promise<JobRunResult> {
  const progress: RunProgress = {
    runId: input.continued?.runId ?? null,
    jobId: input.jobId,
    phase: 'starting',
    cursor: input.continued?.cursor ?? START_CURSOR,
    stats: input.continued?.stats ?? emptyStats(),
    expectedRecords: input.continued?.expectedRecords ?? null,
  };
  setHandler(progressQuery, () => progress);

  let runId = input.continued?.runId;
  let jobVersion = input.continued?.jobVersion ?? 0;
  let cursor: SyncCursor = progress.cursor;
  let pageNo = input.continued?.pageNo ?? 0;
  let continueFrom: JobRunInput['continued'] | undefined;
  // The count is for progress only: it runs beside the first pages, and a failed count leaves it unknown.
  let counted: Promise<unknown> = Promise.resolve();
  try {
    if (runId === undefined) {
      const begun = await beginRun({ jobId: input.jobId, direction: steps.direction, mode: input.mode, trigger: input.trigger ?? 'manual', workflowId: workflowInfo().workflowId });
      ({ runId, jobVersion, cursor } = begun);
      progress.runId = runId;
      log.info('job run started', { jobId: input.jobId, jobRunId: runId, jobVersion, direction: steps.direction, mode: input.mode, trigger: input.trigger ?? 'manual' });
      counted = countRunSource({ jobId: input.jobId, jobVersion, direction: steps.direction, cursor }).then(
        (n) => (progress.expectedRecords = n),
        () => undefined,
      );
      if (input.mode === 'incremental' && steps.beforePaging) {
        progress.phase = 'parked';
        const before = await steps.beforePaging({ runId, jobId: input.jobId, jobVersion, cursor, pageNo, statsBefore: progress.stats });
        pageNo = before.pageNo;
        progress.stats = addStats(progress.stats, before.stats);
      }
    }
    progress.phase = 'paging';
    for (let calls = 0; ; calls++) {
      if (calls >= (input.callsPerExecution ?? CALLS_PER_EXECUTION) || workflowInfo().continueAsNewSuggested) {
        continueFrom = { runId, jobVersion, cursor, pageNo, stats: progress.stats, expectedRecords: progress.expectedRecords };
        break;
      }
      const result = await steps.syncPages({ runId, jobId: input.jobId, jobVersion, cursor, pageNo, statsBefore: progress.stats, maxPages: PAGES_PER_ACTIVITY[steps.direction] });
      cursor = result.cursor;
      pageNo = result.pageNo;
      progress.cursor = cursor;
      progress.stats = addStats(progress.stats, result.stats);
      setCurrentDetails(`${input.jobId} (${input.mode}): ${formatStats(progress.stats, { brief: true })}; cursor ${cursor.modifiedAt ?? '-'} / ${cursor.lastId ?? '-'}`);
      if (result.done) break;
      if (result.wait) {
        // P6: the connection's API budget is down to the write-back reserve (or the CRM asked for a pause). The
        // run never fails for it: it sleeps on a durable timer, saying why in its progress and the Temporal UI,
        // then pages on; the next call asks again. Each wait is one activity call, so a long one continues as new.
        progress.phase = 'waiting';
        progress.waiting = result.wait;
        setCurrentDetails(`${input.jobId} (${input.mode}) ${describeWait(result.wait)}; so far ${formatStats(progress.stats, { brief: true })}`);
        await sleep(Math.max(1000, Date.parse(result.wait.until) - Date.now()), { summary: `API budget of '${result.wait.connectionId}' (${result.wait.cause}) until ${result.wait.until}` });
        progress.phase = 'paging';
        delete progress.waiting;
      }
    }
    if (!continueFrom && steps.afterPaging) {
      progress.phase = 'finishing';
      const after = await steps.afterPaging({ runId, jobId: input.jobId, jobVersion, pageNo, statsBefore: progress.stats });
      pageNo = after.pageNo;
      progress.stats = addStats(progress.stats, after.stats);
    }
  } catch (err) {
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    let message = failureMessage(err);
    const auth = failureKindOf(err) === 'auth';
    if (auth) {
      const paused = await CancellationScope.nonCancellable(() =>
        pauseJobSchedule({ jobId: input.jobId, reason: `paused by hubsync: the CRM refused the connection's credentials (${workflowInfo().workflowId}): ${message}` }),
      );
      message += paused
        ? `\nThe job's schedule is paused so that it stops retrying a refused credential; resume it with \`hubsync job resume ${input.jobId}\` once the connection works again.`
        : '\nThe job has no schedule to pause.';
    }
    if (runId !== undefined) {
      const end = { runId, status, stats: progress.stats, error: message } as const;
      await CancellationScope.nonCancellable(() => finishRun(end));
    }
    setCurrentDetails(`${input.jobId} (${input.mode}) ${status}: ${message}`);
    log.warn(`job run ${status}`, { jobId: input.jobId, jobRunId: runId ?? null, direction: steps.direction, mode: input.mode, error: message, stats: progress.stats });
    if (auth) throw ApplicationFailure.create({ message, type: failureType('auth'), nonRetryable: true, ...(err instanceof Error ? { cause: err } : {}) });
    throw err;
  }

  await counted;
  if (continueFrom) await continueAsNew<(i: JobRunInput) => Promise<JobRunResult>>({ ...input, continued: continueFrom });

  progress.phase = 'finishing';
  await finishRun({ runId, status: 'completed', stats: progress.stats });
  progress.phase = 'done';
  setCurrentDetails(`${input.jobId} (${input.mode}) completed: ${formatStats(progress.stats, { brief: true })}`);
  log.info('job run completed', { jobId: input.jobId, jobRunId: runId, direction: steps.direction, mode: input.mode, stats: progress.stats });
  return { runId, jobId: input.jobId, jobVersion, mode: input.mode, stats: progress.stats };
}
