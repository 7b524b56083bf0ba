/**
 * The activities every job run has, whatever its direction (P1): begin (validate the job, record the run,
 * read the cursor), finish (record the end), and pause the job's schedule when the CRM refused the
 * connection's credentials. Each returns only IDs, cursors and counters.
 */
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';
import { START_CURSOR, type SyncCursor } from '../../kernel/cursors';
import { ConfigurationError, ConflictError } from '../../kernel/errors';
import { makeJobScheduleId, type RunTrigger } from '../../kernel/ids';
import { JOB_KIND_INFO, type Direction } from '../../kernel/job-kinds';
import type { RunMode } from '../../kernel/runs';
import type { RunStats } from '../../kernel/stats';
import type { SessionSource } from '../sessions';
import { getJob, getJobForRun } from '../hub/jobs';
import { readCursor, recordRunEnd, recordRunStart, type RunStatus, type WorkflowStatusLookup } from '../hub/runs';
import type { Pool } from '../hub/store';
import { inboundReadSpec } from '../mapping/engine';
import { countOutboundRecords } from '../hub/sync-lookups';
import { budgetGate } from './budget-gate';
import { heartbeatingAll } from './heartbeating';
import { windowStart } from './outbound-run';
import { validateJob, validationErrors } from './validate-job';

/**
 * How far before the stored cursor an incremental outbound run starts: the hub stamps a change when its
 * statement runs, and a long transaction can commit it after a run has read past that time (T29). Records
 * re-read are recognised as unchanged by their stamp.
 */
export const HUB_STAMP_LOOKBACK_MS = 60_000;

export interface RunDeps {
  pool: Pool;
  session: SessionSource;
}

export interface BeginRunInput {
  jobId: string;
  /** The direction of the workflow that runs the job: a job of the other direction is refused. */
  direction: Direction;
  mode: RunMode;
  trigger: RunTrigger;
  workflowId: string;
}

export interface BeginRunResult {
  runId: number;
  jobVersion: number;
  connectionId: string;
  cursor: SyncCursor;
}

export interface FinishRunInput {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  stats: RunStats;
  error?: string;
}

/** Temporal's view of a workflow, through the client the activity context carries. */
export const workflowStatus: WorkflowStatusLookup = async (workflowId) =>
  (await Context.current().client.workflow.getHandle(workflowId).describe()).status.name;

export function createRunActivities(deps: RunDeps) {
  // Each heartbeats while it runs (the workflow gives them a heartbeat timeout): a worker killed during one
  // is noticed in seconds, not at the start-to-close timeout (the run awaits its count before it finishes).
  return heartbeatingAll({
    /**
     * Validates the job (T9: a job that does not validate cannot run, and leaves no run behind), records the
     * run and reads the cursor. Nothing after the run is recorded can fail here: from then on the workflow
     * knows the run and records how it ends.
     */
    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      const job = await getJob(deps.pool, input.jobId);
      if (JOB_KIND_INFO[job.kind].direction !== input.direction) {
        throw new ConfigurationError(`Job '${job.id}' is a ${job.kind} job, not an ${input.direction} one.`, { code: 'WRONG_JOB_KIND' });
      }
      if (!job.enabled && input.trigger === 'scheduled') {
        throw new ConflictError(`Job '${job.id}' is disabled; its scheduled run does nothing.`, { code: 'JOB_DISABLED', fix: `enable it with \`hubsync job enable ${job.id}\`` });
      }
      const session = await deps.session(job.connectionId);
      const validation = await validateJob(job, session);
      if (!validation.ok) {
        throw new ConfigurationError(`Job '${job.id}' version ${job.version} does not validate, so it cannot run:\n- ${validationErrors(validation).join('\n- ')}`, { code: 'JOB_DOES_NOT_VALIDATE' });
      }
      let cursor = START_CURSOR;
      if (input.mode === 'incremental') {
        const stored = await readCursor(deps.pool, job.id);
        // The source may make a record visible with a stamp at or before the last one seen (T29): start a little
        // before it; records already synced are recognised as unchanged by their stamp (decide.ts).
        const lookbackMs = input.direction === 'inbound' ? session.limits.stampLookbackMs : HUB_STAMP_LOOKBACK_MS;
        // A CRM position (Dataverse's delta link) is exact: the read starts there.
        if (stored.position) cursor = stored;
        else if (stored.modifiedAt) cursor = { modifiedAt: new Date(Date.parse(stored.modifiedAt) - lookbackMs).toISOString(), lastId: null };
      }
      const run = await recordRunStart(deps.pool, { jobId: job.id, jobVersion: job.version, workflowId: input.workflowId, mode: input.mode }, workflowStatus);
      return { runId: run.id, jobVersion: run.jobVersion, connectionId: job.connectionId, cursor };
    },

    /** How many records the run will read from its cursor (one API call; for progress, never for logic). */
    async countRunSource(input: { jobId: string; jobVersion: number; direction: Direction; cursor: SyncCursor }): Promise<number | null> {
      const job = await getJobForRun(deps.pool, input.jobId, input.jobVersion);
      const entity = JOB_KIND_INFO[job.config.kind].entity;
      if (input.direction === 'outbound' && entity !== 'account') {
        return countOutboundRecords(deps.pool, entity, job.config.hubFilter, { after: input.cursor, updatedSince: windowStart(job.config, new Date()) });
      }
      const session = await deps.session(job.connectionId);
      // The count is one CRM call made for progress alone: not made when the budget is down to its reserve (P6).
      const budget = budgetGate(deps.pool, job.connectionId, session);
      if (await budget.beforeCalls(1, { askCrm: false })) return null;
      const count = await session.countRecords(inboundReadSpec(job.config), input.cursor, true);
      await budget.afterCalls();
      return count;
    },

    /** Records the run's end: status, final statistics, the failure's message and fix. */
    async finishRun(input: FinishRunInput): Promise<void> {
      await recordRunEnd(deps.pool, input.runId, input);
    },

    /**
     * Pauses the job's schedule, with the reason as the schedule's note (shown by the Temporal UI and
     * `hubsync job show`): retrying a refused credential every 15 minutes would only burn API calls and could
     * lock the CRM user. True when there was a schedule to pause.
     */
    async pauseJobSchedule(input: { jobId: string; reason: string }): Promise<boolean> {
      const handle = Context.current().client.schedule.getHandle(makeJobScheduleId(input.jobId));
      try {
        await handle.pause(input.reason);
        return true;
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return false;
        throw err;
      }
    },
  });
}
