/**
 * Starting, scheduling and watching job runs through Temporal (T10, P2, P3). Every run is started with the
 * job's search attributes and a readable summary, so operators find and read it in the Temporal UI.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type Client, type ScheduleSpec, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { getJob, type JobRecord } from '../activities/hub/jobs';
import type { Pool } from '../activities/hub/store';
import { JOB_KIND_INFO } from '../activities/mapping/job-kinds';
import { makeJobRunWorkflowId, makeJobScheduleId, SEARCH_ATTRIBUTES, TASK_QUEUE, type RunMode } from '../workflows/definitions';
import type { inboundJobWorkflow } from '../workflows';

export class JobRunError extends Error {
  override readonly name = 'JobRunError';
}

export function jobSearchAttributes(job: JobRecord): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.jobKind, value: job.kind },
    { key: SEARCH_ATTRIBUTES.jobId, value: job.id },
    { key: SEARCH_ATTRIBUTES.connectionId, value: job.connectionId },
    { key: SEARCH_ATTRIBUTES.direction, value: JOB_KIND_INFO[job.kind].direction },
  ];
}

function requireRunnable(job: JobRecord): void {
  if (JOB_KIND_INFO[job.kind].direction !== 'inbound') {
    throw new JobRunError(`Job '${job.id}' is a ${job.kind} job; running outbound jobs is not available in this version of hubsync (inbound jobs are).`);
  }
}

function summary(job: JobRecord, mode: RunMode, trigger: string): string {
  return `${job.kind} (${JOB_KIND_INFO[job.kind].feature}) run of job ${job.id} on connection ${job.connectionId}: ${mode}, ${trigger}`;
}

/** Starts a run now. Refused while another run of the job is in progress (runs never overlap). */
export async function startJobRun(temporal: Client, pool: Pool, jobId: string, mode: RunMode): Promise<WorkflowHandle<typeof inboundJobWorkflow>> {
  const job = await getJob(pool, jobId);
  requireRunnable(job);
  const running = await pool.query<{ workflow_id: string }>(`SELECT workflow_id FROM job_runs WHERE job_id = $1 AND status = 'running'`, [jobId]);
  const other = running.rows[0];
  // A run whose workflow has ended without recording it (terminated) does not count: the run releases it.
  if (other && (await temporal.workflow.getHandle(other.workflow_id).describe()).status.name === 'RUNNING') {
    throw new JobRunError(`Job '${jobId}' is already running (workflow ${other.workflow_id}); runs of a job never overlap. Wait for it, or cancel it in the Temporal UI.`);
  }
  try {
    return await temporal.workflow.start<typeof inboundJobWorkflow>('inboundJobWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: makeJobRunWorkflowId(jobId, new Date()),
      args: [{ jobId, mode }],
      typedSearchAttributes: jobSearchAttributes(job),
      staticSummary: summary(job, mode, 'started by hand'),
      memo: { jobVersion: job.version },
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new JobRunError(`A run of job '${jobId}' was started this very moment; try again.`);
    throw err;
  }
}

/** Parses "15m", "1h", "30s", "1d" into a schedule interval; refuses anything under a minute. */
export function parseEvery(every: string): string {
  const match = /^(\d+)([smhd])$/.exec(every);
  if (!match) throw new JobRunError(`--every takes a duration such as 15m, 1h or 1d, not '${every}'.`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  if (seconds < 60) throw new JobRunError(`--every ${every} is too frequent: schedule jobs at most once a minute.`);
  return `${seconds}s`;
}

export type ScheduleRequest = { every: string } | { cron: string };

/**
 * Creates or replaces the job's Temporal Schedule (P2): incremental runs, overlap policy SKIP (a run that
 * is still going when the next one is due makes the schedule skip that one).
 */
export async function scheduleJob(temporal: Client, pool: Pool, jobId: string, request: ScheduleRequest): Promise<string> {
  const job = await getJob(pool, jobId);
  requireRunnable(job);
  const scheduleId = makeJobScheduleId(jobId);
  const spec: ScheduleSpec = 'every' in request ? { intervals: [{ every: parseEvery(request.every) }] } : { cronExpressions: [request.cron] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'inboundJobWorkflow',
    taskQueue: TASK_QUEUE,
    workflowId: `hubsync-job-${jobId}-scheduled`,
    args: [{ jobId, mode: 'incremental' as const }],
    typedSearchAttributes: jobSearchAttributes(job),
    staticSummary: summary(job, 'incremental', 'scheduled'),
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' };
  try {
    await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await temporal.schedule.create({ scheduleId, spec, action, policies, state: { note: `hubsync job ${jobId}` } });
  }
  return scheduleId;
}

async function withSchedule<T>(temporal: Client, jobId: string, body: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
  const handle = temporal.schedule.getHandle(makeJobScheduleId(jobId));
  try {
    return await body(handle);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new JobRunError(`Job '${jobId}' has no schedule. Create one with \`hubsync job schedule ${jobId} --every 15m\`.`);
    throw err;
  }
}

export const pauseSchedule = (temporal: Client, jobId: string, note: string) => withSchedule(temporal, jobId, (h) => h.pause(note));
export const resumeSchedule = (temporal: Client, jobId: string, note: string) => withSchedule(temporal, jobId, (h) => h.unpause(note));
export const triggerSchedule = (temporal: Client, jobId: string) => withSchedule(temporal, jobId, (h) => h.trigger(ScheduleOverlapPolicy.SKIP));

export async function hasSchedule(temporal: Client, jobId: string): Promise<boolean> {
  try {
    await temporal.schedule.getHandle(makeJobScheduleId(jobId)).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
