/**
 * Definitions shared by workflows, activities, workers and the client: the task queue, the search
 * attributes hubsync registers, workflow ID builders and the inputs/results that cross the Temporal
 * boundary. Only plain JSON crosses that boundary (ISO strings, not Date; records, not Map).
 * This module must stay free of Node built-ins: workflow code imports it.
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

/** Input of the end-to-end probe that `hubsync doctor` (and the test suite) runs through a worker. */
export interface ProbeInput {
  /** Caller-chosen ID; the probe row is upserted by it, so a retried activity writes one row. */
  probeId: string;
  requestedBy: string;
}

export interface ProbeResult {
  probeId: string;
  /** Identity of the worker that executed the activity. */
  workerIdentity: string;
  /** Database server time at which the row was written, ISO 8601. */
  recordedAt: string;
}

export function makeProbeWorkflowId(probeId: string): string {
  return `hubsync-probe-${probeId}`;
}
