import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProbeInput, ProbeResult } from '../kernel/runs';

const { recordProbe } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * End-to-end health probe: proves that the Temporal server dispatches to a live worker and that the
 * worker's activities can write to the hub store. `hubsync doctor` runs it to report the worker green.
 */
export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  return recordProbe(input);
}
