/**
 * One run of an inbound job (T1, T2, T4, T25; P1-P3). The workflow carries only the cursor, page number and
 * counters; activities move the records. Long runs continue as new with those values, so history stays
 * bounded whatever the data volume.
 */
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { addStats, emptyStats, type InboundRunInput, type InboundRunResult, type RunProgress, type RunStats, type SyncCursor } from './definitions';

export const progressQuery = defineQuery<RunProgress>('progress');

/** Pages per activity call: a few seconds of work between progress updates and workflow events. */
export const PAGES_PER_ACTIVITY = 5;
/** Activity calls per workflow execution before continuing as new (if the server has not suggested it yet). */
export const CALLS_PER_EXECUTION = 200;

const { beginInboundRun, retryParkedAndRejected, finishInboundRun } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const { syncInboundPages } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 minutes',
  // A page takes seconds; a worker that stops heartbeating is presumed dead and the pages are retried
  // elsewhere, resuming from the last heartbeat.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

function describeStats(stats: RunStats): string {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
  return `read ${stats.read}, created ${stats.created}, updated ${stats.updated}, unchanged ${stats.unchanged}, deleted ${stats.deleted}, skipped ${skipped}, rejected ${rejected}`;
}

export async function inboundJobWorkflow(input: InboundRunInput): Promise<InboundRunResult> {
  const progress: RunProgress = {
    runId: input.continued?.runId ?? null,
    jobId: input.jobId,
    phase: 'starting',
    cursor: input.continued?.cursor ?? { modifiedAt: null, lastId: null },
    stats: input.continued?.stats ?? emptyStats(),
    expectedRecords: input.continued?.expectedRecords ?? null,
  };
  setHandler(progressQuery, () => progress);

  let runId: number;
  let jobVersion: number;
  let cursor: SyncCursor;
  let pageNo: number;
  if (input.continued) {
    ({ runId, jobVersion, cursor, pageNo } = input.continued);
  } else {
    const begun = await beginInboundRun({ jobId: input.jobId, mode: input.mode, workflowId: workflowInfo().workflowId });
    ({ runId, jobVersion, cursor } = begun);
    pageNo = 0;
    progress.runId = runId;
    progress.expectedRecords = begun.expectedRecords;
  }

  let continueFrom: InboundRunInput['continued'] | undefined;
  try {
    if (!input.continued && input.mode === 'incremental') {
      progress.phase = 'parked';
      const retried = await retryParkedAndRejected({ runId, jobId: input.jobId, jobVersion, pageNo, statsBefore: progress.stats });
      pageNo = retried.pageNo;
      progress.stats = addStats(progress.stats, retried.stats);
    }
    progress.phase = 'paging';
    for (let calls = 0; ; calls++) {
      if (calls >= (input.callsPerExecution ?? CALLS_PER_EXECUTION) || workflowInfo().continueAsNewSuggested) {
        continueFrom = { runId, jobVersion, cursor, pageNo, stats: progress.stats, expectedRecords: progress.expectedRecords };
        break;
      }
      const result = await syncInboundPages({ runId, jobId: input.jobId, jobVersion, cursor, pageNo, statsBefore: progress.stats, maxPages: PAGES_PER_ACTIVITY });
      cursor = result.cursor;
      pageNo = result.pageNo;
      progress.cursor = cursor;
      progress.stats = addStats(progress.stats, result.stats);
      setCurrentDetails(`${input.jobId} (${input.mode}): ${describeStats(progress.stats)}; cursor ${cursor.modifiedAt ?? '-'} / ${cursor.lastId ?? '-'}`);
      if (result.done) break;
    }
  } catch (err) {
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    const message = err instanceof ApplicationFailure || err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    await CancellationScope.nonCancellable(() => finishInboundRun({ runId, status, stats: progress.stats, error: message }));
    throw err;
  }

  if (continueFrom) await continueAsNew<typeof inboundJobWorkflow>({ ...input, continued: continueFrom });

  progress.phase = 'finishing';
  await finishInboundRun({ runId, status: 'completed', stats: progress.stats });
  progress.phase = 'done';
  setCurrentDetails(`${input.jobId} (${input.mode}) completed: ${describeStats(progress.stats)}`);
  return { runId, jobId: input.jobId, jobVersion, mode: input.mode, stats: progress.stats };
}
