/**
 * Names hubsync gives things in Temporal: the task queue, the search attributes it registers and sets, and
 * the builders of workflow and schedule IDs (P3: an ID says what the workflow is). Free of Node built-ins:
 * workflow code imports it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The one task queue every hubsync worker polls. Scale out by running more workers on it. */
export const TASK_QUEUE = 'hubsync';

/** Search attributes hubsync sets on its workflows, so operators can filter runs in the Temporal UI/CLI. */
export const SEARCH_ATTRIBUTES = {
  jobKind: defineSearchAttributeKey('HubsyncJobKind', SearchAttributeType.KEYWORD),
  jobId: defineSearchAttributeKey('HubsyncJobId', SearchAttributeType.KEYWORD),
  connectionId: defineSearchAttributeKey('HubsyncConnectionId', SearchAttributeType.KEYWORD),
  direction: defineSearchAttributeKey('HubsyncDirection', SearchAttributeType.KEYWORD),
} as const;

/** Name → Temporal type name, as `temporal server start-dev --search-attribute` and the operator API take them. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword'> = Object.fromEntries(
  Object.values(SEARCH_ATTRIBUTES).map((key) => [key.name, 'Keyword' as const]),
);

export function makeProbeWorkflowId(probeId: string): string {
  return `hubsync-probe-${probeId}`;
}

export type RunTrigger = 'manual' | 'scheduled';

/** Workflow ID of one run of a job: names the job and the run (P3). */
export function makeJobRunWorkflowId(jobId: string, startedAt: Date, trigger: RunTrigger = 'manual'): string {
  return `hubsync-job-${jobId}-${trigger}-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
}

/** Workflow ID prefix of a job's scheduled runs (Temporal appends the scheduled time). */
export function makeScheduledRunWorkflowId(jobId: string): string {
  return `hubsync-job-${jobId}-scheduled`;
}

/** ID of the Temporal Schedule that triggers a job (P2). */
export function makeJobScheduleId(jobId: string): string {
  return `hubsync-schedule-${jobId}`;
}
