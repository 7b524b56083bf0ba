/**
 * Inputs and results that cross the Temporal boundary for job runs and the health probe. Only plain JSON
 * crosses it (ISO strings, not Date; records, not Map). Free of Node built-ins: workflow code imports it.
 */
import type { BudgetWait } from './budget';
import type { SyncCursor } from './cursors';
import type { RunTrigger } from './ids';
import type { RunStats } from './stats';

export type RunMode = 'incremental' | 'full';

/** Input of a job-run workflow, whatever its direction. */
export interface JobRunInput {
  jobId: string;
  mode: RunMode;
  /** Who started the run (default manual): a scheduled run of a disabled job does nothing. */
  trigger?: RunTrigger;
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

export interface JobRunResult {
  runId: number;
  jobId: string;
  jobVersion: number;
  mode: RunMode;
  stats: RunStats;
}

export type RunPhase = 'starting' | 'parked' | 'paging' | 'waiting' | 'finishing' | 'done';

/** What a run's `progress` query answers while it runs (T24, P3). */
export interface RunProgress {
  runId: number | null;
  jobId: string;
  phase: RunPhase;
  cursor: SyncCursor;
  stats: RunStats;
  /** Records the source had from the cursor on when the run began; null until known. */
  expectedRecords: number | null;
  /** While the phase is `waiting`: why the run waits for API budget and until when (P6). */
  waiting?: BudgetWait;
}

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

/** One call of a run's paging activity: from `cursor`, at most `maxPages` pages numbered from `pageNo`. */
export interface PagesInput {
  runId: number;
  jobId: string;
  jobVersion: number;
  cursor: SyncCursor;
  pageNo: number;
  /** The run's statistics before this call (the page transactions keep job_runs.stats up to date). */
  statsBefore: RunStats;
  maxPages: number;
}

export interface PagesResult {
  cursor: SyncCursor;
  pageNo: number;
  done: boolean;
  /** Statistics of the pages this call covered. */
  stats: RunStats;
  /** Set when the call stopped early because the connection's API budget is spent down to its reserve (P6). */
  wait?: BudgetWait;
}
