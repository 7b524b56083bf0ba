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

/** Position of an inbound run: the modification stamp and Id of the last record written (T25, T29). */
export interface SyncCursor {
  /** ISO timestamp (SystemModstamp), or null before the first record. */
  modifiedAt: string | null;
  /** Record Id: the tie-break between records sharing a timestamp. */
  lastId: string | null;
}

export const START_CURSOR: SyncCursor = { modifiedAt: null, lastId: null };

export type RunMode = 'incremental' | 'full';

/** Per-run statistics (T24). Counters only: no record payload ever enters the workflow. */
export interface RunStats {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
  pages: number;
}

export function emptyStats(): RunStats {
  return { read: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: {}, rejected: {}, pages: 0 };
}

export function addStats(a: RunStats, b: RunStats): RunStats {
  const merge = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    read: a.read + b.read,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
    skipped: merge(a.skipped, b.skipped),
    rejected: merge(a.rejected, b.rejected),
    pages: a.pages + b.pages,
  };
}

export interface InboundRunInput {
  jobId: string;
  mode: RunMode;
  /** Activity calls per workflow execution before continuing as new (default 200). */
  callsPerExecution?: number;
  /** Set when the run continues as new: what the previous execution had reached. */
  continued?: {
    runId: number;
    jobVersion: number;
    cursor: SyncCursor;
    pageNo: number;
    stats: RunStats;
    expectedRecords: number | null;
  };
}

export interface InboundRunResult {
  runId: number;
  jobId: string;
  jobVersion: number;
  mode: RunMode;
  stats: RunStats;
}

export interface RunProgress {
  runId: number | null;
  jobId: string;
  phase: 'starting' | 'parked' | 'paging' | 'finishing' | 'done';
  cursor: SyncCursor;
  stats: RunStats;
  /** Records the CRM had from the cursor on when the run began; null until known. */
  expectedRecords: number | null;
}

/** Workflow ID of one run of a job: names the job and the run (P3). */
export function makeJobRunWorkflowId(jobId: string, startedAt: Date, trigger: 'manual' | 'scheduled' = 'manual'): string {
  return `hubsync-job-${jobId}-${trigger}-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
}

/** ID of the Temporal Schedule that triggers a job (P2). */
export function makeJobScheduleId(jobId: string): string {
  return `hubsync-schedule-${jobId}`;
}
