/**
 * HubsyncClient: the one typed door to hubsync for service code and the CLI (P4). It holds one Temporal
 * client and one hub store pool, and starts every workflow by its function (never by a string) with the
 * definitions from kernel/. Runs, schedules (P2), run history (T24), write-back (W6, P4), the hub's own records
 * (tasks, touchpoints, campaign touches) and the health probe live here.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type ScheduleDescription,
  type ScheduleSpec,
  type WorkflowHandle,
} from '@temporalio/client';
import type { PayloadCodec, SearchAttributePair } from '@temporalio/common';
import { explainRecord, type Explanation } from '../activities/jobs/explain';
import { dataConverterFor } from '../workers/payload-codec';
import { ConfigurationError, HubsyncError, NotFoundError } from '../kernel/errors';
import { makeJobRunWorkflowId, makeJobScheduleId, makeProbeWorkflowId, makeScheduledRunWorkflowId, SEARCH_ATTRIBUTES, TASK_QUEUE } from '../kernel/ids';
import { JOB_KIND_INFO, type Direction } from '../kernel/job-kinds';
import type { JobRunInput, JobRunResult, ProbeResult, RunMode, RunProgress } from '../kernel/runs';
import { deleteJob, getJob, JobStateError, setJobEnabled, type JobRecord } from '../activities/hub/jobs';
import type { SecretBox } from '../activities/hub/secrets';
import { enableValidatedJob } from '../activities/jobs/configure';
import { alreadyRunning, listRuns, liveRun, type RunRecord } from '../activities/hub/runs';
import { createPool, type Pool } from '../activities/hub/store';
import { createHubRecord, deleteHubRecord, getHubRecord, listHubRecords, updateHubRecord, type HubRecordEntity, type HubRecordInputs, type HubRecordListOptions, type HubRecordPatch, type HubRecords } from '../activities/hub/records';
import type { CrmSession } from '../activities/crm/connector';
import { openSession, type SessionSource } from '../activities/sessions';
import { prepareWriteBack, storedOutcome } from '../activities/writeback/prepare';
import { listAttributes, setWriteBack, type AttributeInfo, type WriteBackSwitch } from '../activities/writeback/settings';
import { makeAccountWriteBackWorkflowId, WORKFLOW_CLOSING, WRITE_BACK_BUDGET_MS, type WriteBackOutcome, type WriteBackRequest } from '../kernel/writeback';
import { accountWriteBackWorkflow, inboundJobWorkflow, outboundJobWorkflow, probeWorkflow } from '../workflows';
import { writeBackUpdate } from '../workflows/writeback';
import { progressQuery } from '../workflows/job-run';
import { parseCron, parseEvery } from '../kernel/schedule';
import { getAccount, linkAccount, type AccountInfo, type LinkRequest, type LinkResult } from '../activities/hub/accounts';

/** The workflow that runs a job of each direction. */
const RUN_WORKFLOWS: Record<Direction, (input: JobRunInput) => Promise<JobRunResult>> = {
  inbound: inboundJobWorkflow,
  outbound: outboundJobWorkflow,
};

export type JobRunHandle = WorkflowHandle<(input: JobRunInput) => Promise<JobRunResult>>;

export type ScheduleRequest = { every: string } | { cron: string };

export function jobSearchAttributes(job: JobRecord): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.jobKind, value: job.kind },
    { key: SEARCH_ATTRIBUTES.jobId, value: job.id },
    { key: SEARCH_ATTRIBUTES.connectionId, value: job.connectionId },
    { key: SEARCH_ATTRIBUTES.direction, value: JOB_KIND_INFO[job.kind].direction },
  ];
}

function summary(job: JobRecord, mode: RunMode, trigger: string): string {
  return `${job.kind} (${JOB_KIND_INFO[job.kind].feature}) run of job ${job.id} on connection ${job.connectionId}: ${mode}, ${trigger}`;
}

/** What a job is scheduled with when neither the command nor its configuration says. */
export const DEFAULT_SCHEDULE: ScheduleRequest = { every: '15m' };

/** The Temporal schedule spec of a request, checked first (range, cron fields): a refusal writes nothing. */
function specOf(request: ScheduleRequest): ScheduleSpec {
  return 'every' in request ? { intervals: [{ every: `${parseEvery(request.every)}s` }] } : { cronExpressions: [parseCron(request.cron)] };
}

function runWorkflowOf(job: JobRecord): (input: JobRunInput) => Promise<JobRunResult> {
  return RUN_WORKFLOWS[JOB_KIND_INFO[job.kind].direction];
}

/** How long writeBack waits for a worker: the CRM budget, plus time for another worker to take over a crashed attempt. */
const WRITE_BACK_WAIT_MS = WRITE_BACK_BUDGET_MS + 40_000;

/** What Temporal says when an update reaches a workflow that is closing (completed or continued as new). */
const WORKFLOW_CLOSED = new RegExp(`${WORKFLOW_CLOSING}|already completed|continued as new|wasn't processed by worker|workflow execution (has )?(already )?(completed|finished)|not found`, 'i');

function errorChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.message);
  return parts.join(' | ');
}

export interface HubsyncClientOptions {
  temporalAddress: string;
  namespace?: string;
  databaseUrl: string;
  /** Seals payloads before Temporal stores them (HUBSYNC_PAYLOAD_KEY, workers/payload-codec.ts); the workers need the same key. */
  payloadCodec?: PayloadCodec;
}

export interface HubsyncClientDeps {
  /** The key of connection secrets, for what validates against the CRM (enabling a job). */
  secretBox?: () => SecretBox;
  /** The task queue workflows are started on (default `hubsync`): the one the workers poll. */
  taskQueue?: string;
}

export class HubsyncClient {
  private constructor(
    readonly temporal: Client,
    readonly pool: Pool,
    private readonly deps: HubsyncClientDeps,
    private readonly owned: { connection?: Connection; pool?: Pool },
  ) {}

  /** Connects to Temporal and the hub store; close() releases both. */
  static async connect(opts: HubsyncClientOptions & HubsyncClientDeps): Promise<HubsyncClient> {
    const connection = await Connection.connect({ address: opts.temporalAddress, connectTimeout: 5000 });
    const pool = createPool(opts.databaseUrl, { max: 4, applicationName: 'hubsync-client' });
    return new HubsyncClient(new Client({ connection, namespace: opts.namespace ?? 'default', ...dataConverterFor(opts.payloadCodec) }), pool, opts, { connection, pool });
  }

  /** A client over a Temporal client and pool the caller owns (and closes). */
  static over(temporal: Client, pool: Pool, deps: HubsyncClientDeps = {}): HubsyncClient {
    return new HubsyncClient(temporal, pool, deps, {});
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  /**
   * "Save and sync" (T10): the job validated again against the CRM, enabled, scheduled and (unless `run` is
   * false) run now. Every input is checked before anything is written; if scheduling fails after the job was
   * enabled, it is disabled again, so a refusal leaves the job and its schedule as they were.
   */
  async enableJob(jobId: string, opts: { schedule?: ScheduleRequest; run?: boolean } = {}): Promise<{ job: JobRecord; schedule: ScheduleDescription | undefined; run: JobRunHandle | undefined }> {
    const current = await getJob(this.pool, jobId);
    const request = opts.schedule ?? current.config.schedule ?? DEFAULT_SCHEDULE;
    specOf(request);
    const wasEnabled = current.enabled;
    const { job } = await enableValidatedJob(this.pool, this.secretBox(), jobId);
    try {
      await this.schedule(jobId, request);
      await this.resumeSchedule(jobId, 'enabled with hubsync job enable');
    } catch (err) {
      if (!wasEnabled) await setJobEnabled(this.pool, jobId, false);
      throw err;
    }
    const run = opts.run === false ? undefined : await this.startRun(jobId, 'incremental');
    return { job, schedule: await this.describeSchedule(jobId), run };
  }

  /** Pauses the job's schedule (Temporal first), then disables the job. */
  async disableJob(jobId: string): Promise<JobRecord> {
    await getJob(this.pool, jobId);
    if (await this.describeSchedule(jobId)) await this.pauseSchedule(jobId, 'disabled with hubsync job disable');
    return setJobEnabled(this.pool, jobId, false);
  }

  /**
   * Deletes the job's schedule, then the job with its versions, runs and sync state (hub records stay).
   * Refused while a run is going: it would fail half-way with its job gone.
   */
  async deleteJob(jobId: string): Promise<void> {
    await getJob(this.pool, jobId);
    const live = await liveRun(this.pool, jobId, this.workflowStatus);
    if (live) throw new JobStateError(`Job '${jobId}' is running (workflow ${live.workflowId}); it is not deleted.`, { fix: 'wait for the run to end, or cancel it in the Temporal UI, then delete the job' });
    if (await this.describeSchedule(jobId)) await this.temporal.schedule.getHandle(makeJobScheduleId(jobId)).delete();
    await deleteJob(this.pool, jobId);
  }

  private secretBox(): SecretBox {
    if (!this.deps.secretBox) throw new ConfigurationError('This hubsync client has no secret key to read connection secrets with.', { fix: 'create it with the secretBox option (HUBSYNC_SECRET_KEY)' });
    return this.deps.secretBox();
  }

  /** The task queue this client starts workflows on. */
  get taskQueue(): string {
    return this.deps.taskQueue ?? TASK_QUEUE;
  }

  private readonly workflowStatus = async (workflowId: string) => (await this.temporal.workflow.getHandle(workflowId).describe()).status.name;

  // ------------------------------------------------------------------------------------------------- runs

  /** Starts a run now (T10, T25). Refused while another run of the job is in progress (runs never overlap). */
  async startRun(jobId: string, mode: RunMode, opts: { callsPerExecution?: number } = {}): Promise<JobRunHandle> {
    const job = await getJob(this.pool, jobId);
    const workflow = runWorkflowOf(job);
    const other = await liveRun(this.pool, jobId, this.workflowStatus);
    if (other) throw alreadyRunning(jobId, other.workflowId);
    const workflowId = makeJobRunWorkflowId(jobId, new Date());
    try {
      return await this.temporal.workflow.start(workflow, {
        taskQueue: this.taskQueue,
        workflowId,
        args: [{ jobId, mode, ...(opts.callsPerExecution ? { callsPerExecution: opts.callsPerExecution } : {}) }],
        typedSearchAttributes: jobSearchAttributes(job),
        staticSummary: summary(job, mode, 'started by hand'),
        memo: { jobVersion: job.version },
      });
    } catch (err) {
      // Another run was started for the same millisecond: it is the one running.
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw alreadyRunning(jobId, workflowId);
      throw err;
    }
  }

  /** Starts a run and waits for its result. */
  async runJob(jobId: string, mode: RunMode): Promise<JobRunResult> {
    return (await this.startRun(jobId, mode)).result();
  }

  /** What a run reports while it runs (its `progress` query). */
  progress(handle: JobRunHandle): Promise<RunProgress> {
    return handle.query(progressQuery);
  }

  /** Recent runs of a job, newest first, with their statistics and failures (T24). */
  async runs(jobId: string, limit = 10): Promise<RunRecord[]> {
    await getJob(this.pool, jobId);
    return listRuns(this.pool, jobId, limit);
  }

  // -------------------------------------------------------------------------------------------- schedules

  /**
   * Creates or replaces the job's Temporal Schedule (P2): incremental runs, overlap policy SKIP (a run that
   * is still going when the next one is due makes the schedule skip that one).
   */
  async schedule(jobId: string, request: ScheduleRequest): Promise<string> {
    const spec = specOf(request);
    const job = await getJob(this.pool, jobId);
    const workflow = runWorkflowOf(job);
    if (!job.enabled) throw new JobStateError(`Job '${jobId}' is disabled; a schedule would run it anyway.`, { fix: `enable it with \`hubsync job enable ${jobId}\` (which also schedules it)` });
    const scheduleId = makeJobScheduleId(jobId);
    const args: [JobRunInput] = [{ jobId, mode: 'incremental', trigger: 'scheduled' }];
    const action = {
      type: 'startWorkflow' as const,
      workflowType: workflow,
      taskQueue: this.taskQueue,
      workflowId: makeScheduledRunWorkflowId(jobId),
      args,
      typedSearchAttributes: jobSearchAttributes(job),
      staticSummary: summary(job, 'incremental', 'scheduled'),
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' };
    try {
      await this.temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await this.temporal.schedule.create({ scheduleId, spec, action, policies, state: { note: `hubsync job ${jobId}` } });
    }
    return scheduleId;
  }

  private async withSchedule<T>(jobId: string, body: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
    const handle = this.temporal.schedule.getHandle(makeJobScheduleId(jobId));
    try {
      return await body(handle);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError(`Job '${jobId}' has no schedule. Create one with \`hubsync job schedule ${jobId} --every 15m\`.`);
      throw err;
    }
  }

  pauseSchedule(jobId: string, note: string): Promise<void> {
    return this.withSchedule(jobId, (h) => h.pause(note));
  }

  resumeSchedule(jobId: string, note: string): Promise<void> {
    return this.withSchedule(jobId, (h) => h.unpause(note));
  }

  async triggerSchedule(jobId: string): Promise<void> {
    const job = await getJob(this.pool, jobId);
    if (!job.enabled) throw new JobStateError(`Job '${jobId}' is disabled; its schedule is not triggered.`, { fix: `enable it with \`hubsync job enable ${jobId}\`, or run it once with \`hubsync job run ${jobId}\`` });
    return this.withSchedule(jobId, (h) => h.trigger(ScheduleOverlapPolicy.SKIP));
  }

  /** The job's schedule as Temporal has it, or undefined when the job has none. */
  async describeSchedule(jobId: string): Promise<ScheduleDescription | undefined> {
    try {
      return await this.temporal.schedule.getHandle(makeJobScheduleId(jobId)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  // ------------------------------------------------------------------------------------------ write-back

  /** Every attribute definition with its kind, type, CRM sources (reference modes) and write-back switch (W1). */
  listAttributes(): Promise<AttributeInfo[]> {
    return listAttributes(this.pool);
  }

  /**
   * Switches write-back on or off for an attribute or account assignment (W1, W2, W7). Switching on checks
   * each source's field with the CRM's describe first; a refusal changes nothing.
   */
  async setAttributeWriteBack(key: string, change: WriteBackSwitch): Promise<AttributeInfo> {
    return setWriteBack(this.pool, this.sessions('checking CRM fields'), key, change);
  }

  /** CRM sessions opened on first use, for one operation; `purpose` names it when the client has no secret key. */
  private sessions(purpose: string): SessionSource {
    const secretBox = this.deps.secretBox;
    if (!secretBox) throw new ConfigurationError(`This HubsyncClient has no secret key, which ${purpose} needs.`, { fix: 'create it with a secretBox (HUBSYNC_SECRET_KEY)' });
    const sessions = new Map<string, Promise<CrmSession>>();
    return (connectionId: string) => {
      let open = sessions.get(connectionId);
      if (!open) sessions.set(connectionId, (open = openSession(this.pool, secretBox(), connectionId)));
      return open;
    };
  }

  /**
   * Why a record of a job did or did not sync (T30): the first rule that stopped it, with the facts behind it,
   * written nowhere. Inbound, `record` is its CRM ID, its external ID or the hub record's ID; outbound, the hub
   * record's ID (`12` or `task-12`), the CRM ID it is linked to, or its external ID. `direction` tells the answer's shape.
   */
  explainRecord(jobId: string, record: string): Promise<Explanation> {
    return explainRecord(this.pool, this.sessions('reading the record in the CRM'), jobId, record);
  }

  // ------------------------------------------------------------------------------------------ accounts

  /** A hub account (by ID or `connection:crmId`) with its CRM sources, one per connection (W5). */
  getAccount(account: string | number): Promise<AccountInfo> {
    return getAccount(this.pool, account);
  }

  /**
   * Links a hub account to a CRM record by hand (W5), when matching by value cannot tell: checked whole first
   * (the record exists in the CRM, links stay one per connection and account; `move` to take it from another
   * account); the connection's accounts-inbound job then imports the record into this account.
   */
  linkAccount(request: LinkRequest): Promise<LinkResult> {
    return linkAccount(this.pool, this.sessions('reading the CRM record'), request);
  }

  /**
   * Writes attribute and account-assignment changes of one account back to every CRM they came from and
   * resolves, when that is finished, with one outcome per data source (W5, W6, P4). A request that fails any
   * check is refused here with WriteBackRefusedError (every problem listed) before any CRM call or Temporal
   * request. The same request ID never writes twice: a retry returns the first outcome (W14).
   */
  async writeBack(request: WriteBackRequest): Promise<WriteBackOutcome> {
    const requestId = request.requestId ?? randomUUID();
    // Both at once: a request ID that completed returns its outcome even if the request would not pass now.
    const [stored, prepared] = await Promise.allSettled([storedOutcome(this.pool, request, requestId), prepareWriteBack(this.pool, request, requestId, Date.now())]);
    if (stored.status === 'rejected') throw stored.reason;
    if (stored.value) return stored.value;
    if (prepared.status === 'rejected') throw prepared.reason;
    const plan = prepared.value;
    const workflowId = makeAccountWriteBackWorkflowId(plan.accountId);
    for (let attempt = 1; ; attempt++) {
      const startWorkflowOperation = new WithStartWorkflowOperation(accountWriteBackWorkflow, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ accountId: plan.accountId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Write-back of account ${plan.accountId} (one Workflow Update per request)`,
      });
      try {
        return await this.temporal.withDeadline(Date.now() + WRITE_BACK_WAIT_MS, () =>
          this.temporal.workflow.executeUpdateWithStart(writeBackUpdate, { args: [plan], updateId: requestId, startWorkflowOperation }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new HubsyncError(
            'transient',
            `No worker finished write-back ${requestId} within ${WRITE_BACK_WAIT_MS / 1000} s; it may still be applied when a worker polls task queue '${this.taskQueue}'.`,
            { code: 'WRITE_BACK_TIMEOUT', fix: 'check that a hubsync worker runs (`hubsync doctor`), then call again with the same request ID: it returns the outcome and never writes twice', cause: err },
          );
        }
        // The account's workflow ended or continued as new just as the update arrived, or the server turned it
        // away from a workflow task that did not answer it: send it again (the request ID keeps it from applying twice).
        if (attempt >= 5 || !WORKFLOW_CLOSED.test(errorChain(err))) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  // ----------------------------------------------------------------------------------------- hub records

  /**
   * Hub tasks, touchpoints and campaign touches, written as the hub's own application writes them; outbound
   * jobs (T3, T5, T6) find the changes through the database's triggers. Input is checked first: a refusal
   * (HubRecordRefusedError) lists every problem and writes nothing.
   */
  createHubRecord<E extends HubRecordEntity>(entity: E, input: HubRecordInputs[E]): Promise<HubRecords[E]> {
    return createHubRecord(this.pool, entity, input);
  }

  /** Changes only the fields given; `null` clears one. Touchpoint participants given replace the stored ones (T23). */
  updateHubRecord<E extends HubRecordEntity>(entity: E, id: number, patch: HubRecordPatch<E>): Promise<HubRecords[E]> {
    return updateHubRecord(this.pool, entity, id, patch);
  }

  /** Deletes the record and returns it as it was; its tombstone lets outbound jobs delete the CRM record (T19). */
  deleteHubRecord<E extends HubRecordEntity>(entity: E, id: number): Promise<HubRecords[E]> {
    return deleteHubRecord(this.pool, entity, id);
  }

  getHubRecord<E extends HubRecordEntity>(entity: E, id: number): Promise<HubRecords[E]> {
    return getHubRecord(this.pool, entity, id);
  }

  /** Most recently updated first; of one account with `accountId`; at most `limit` (default 50). */
  listHubRecords<E extends HubRecordEntity>(entity: E, opts: HubRecordListOptions = {}): Promise<Array<HubRecords[E]>> {
    return listHubRecords(this.pool, entity, opts);
  }

  // ---------------------------------------------------------------------------------------------- health

  /**
   * Runs the end-to-end probe workflow: Temporal dispatches it to a worker, whose activity writes a row in
   * the hub store. Resolves with what the worker recorded; rejects if no worker answers in time.
   */
  async probe(opts: { requestedBy: string; timeoutMs?: number }): Promise<ProbeResult> {
    const probeId = randomUUID();
    const handle = await this.temporal.workflow.start(probeWorkflow, {
      taskQueue: this.taskQueue,
      workflowId: makeProbeWorkflowId(probeId),
      args: [{ probeId, requestedBy: opts.requestedBy }],
      workflowExecutionTimeout: `${Math.ceil((opts.timeoutMs ?? 20000) / 1000)} seconds`,
    });
    return handle.result();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.owned.connection?.close(), this.owned.pool?.end()]);
  }
}
