/**
 * One run of an outbound job (T3, T5, T6, T25): the shared run loop (job-run.ts) paging from the hub into the
 * CRM, after retrying rejected and parked records (T28, T11) and before propagating hub deletions (T19).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { JobRunInput, JobRunResult } from '../kernel/runs';
import { runJob } from './job-run';

// A page takes seconds; a worker that stops heartbeating is presumed dead and the pages are retried elsewhere,
// resuming from the last heartbeat. Rate limits (REQUEST_LIMIT_EXCEEDED) back off exponentially up to a minute.
const { retryOutboundRejected, syncOutboundPages, finishOutboundRun } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function outboundJobWorkflow(input: JobRunInput): Promise<JobRunResult> {
  return runJob(input, { direction: 'outbound', beforePaging: retryOutboundRejected, syncPages: syncOutboundPages, afterPaging: finishOutboundRun });
}
