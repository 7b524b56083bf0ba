/**
 * One run of an inbound job (T1, T2, T4, T25): the shared run loop (job-run.ts) paging from the CRM into the
 * hub, after retrying parked and rejected records (T26, T28), then the deletions a connector reports apart
 * from its pages (T19).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { JobRunInput, JobRunResult } from '../kernel/runs';
import { runJob } from './job-run';

const { retryParkedAndRejected, syncInboundDeletions } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  // Both heartbeat while they run: a worker that died is noticed within this, not at the 10 minutes.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const { syncInboundPages } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 minutes',
  // A page takes seconds; a worker that stops heartbeating is presumed dead and the pages are retried
  // elsewhere, resuming from the last heartbeat.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function inboundJobWorkflow(input: JobRunInput): Promise<JobRunResult> {
  return runJob(input, { direction: 'inbound', beforePaging: retryParkedAndRejected, syncPages: syncInboundPages, afterPaging: syncInboundDeletions });
}
