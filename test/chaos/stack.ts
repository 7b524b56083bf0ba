/**
 * The chaos campaign's stack, one for the whole campaign: an embedded PostgreSQL on a data directory of its
 * own and a Temporal dev server on a SQLite file of its own, each on a fixed port so that either can be
 * stopped and started again under a running worker (PostgreSQL crashes with an immediate shutdown and
 * recovers from its WAL; Temporal is stopped and finds its workflows in the file); the Salesforce, HubSpot and
 * Dataverse sandboxes, each in a child process (bench/inbound-sandbox.ts); and, per trial, real `hubsync
 * worker` processes (bench/processes.ts WorkerProcess) on the trial's hub database and task queue, kept
 * running by a supervisor that starts a new one whenever one ends (as a deployment restarts a dead worker).
 *
 * None of this is jest's global stack: a campaign run by the jest test starts its own processes too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SecretBox } from '../../activities/hub/secrets';
import { createPool, migrate, type Pool } from '../../activities/hub/store';
import { startSandboxProcess, WorkerProcess, type Cleanup, type Sandbox } from '../../bench/processes';
import { loadEnv } from '../../kernel/env';
import { freePort, isListening } from '../../local/ports';
import { startEmbeddedPostgres, type PostgresEndpoint } from '../../local/postgres';
import { startDevServer } from '../../local/temporal-server';
import type { TemporalEndpoint } from '../../workers/temporal';

const TEMPLATE_DATABASE = 'chaos_template';
/** temporal.api.enums.v1: TaskQueueKind NORMAL, TaskQueueType WORKFLOW. */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

export class ChaosStack {
  private pg!: PostgresEndpoint;
  private temporal!: TemporalEndpoint;
  /** A pool on the server's `postgres` database: CREATE DATABASE per trial. */
  private admin!: Pool;
  connection!: Connection;
  client!: Client;
  readonly box: SecretBox;
  readonly secretKey: string;
  sandboxes!: Record<'salesforce' | 'hubspot' | 'dynamics', Sandbox>;
  /** The workflow code bundled once, handed to every worker (HUBSYNC_WORKFLOW_BUNDLE; a worker that does not know the variable bundles its own). */
  private workflowBundle: string | undefined;

  private constructor(
    readonly workDir: string,
    private readonly pgPort: number,
    private readonly temporalPort: number,
    private readonly log: (line: string) => void,
  ) {
    this.secretKey = randomBytes(32).toString('base64');
    this.box = new SecretBox(Buffer.from(this.secretKey, 'base64'));
  }

  get pgDataDir(): string {
    return path.join(this.workDir, 'pg');
  }

  get temporalAddress(): string {
    return this.temporal.address;
  }

  static async start(cleanup: Cleanup, log: (line: string) => void): Promise<ChaosStack> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-chaos-'));
    // PostgreSQL runs as the `postgres` user when this runs as root: it must reach its data directory.
    fs.chmodSync(workDir, 0o755);
    cleanup.defer('the work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
    const stack = new ChaosStack(workDir, await freePort(), await freePort(), log);
    log('starting PostgreSQL, the Temporal dev server and the Salesforce, HubSpot and Dataverse sandboxes...');
    const [bundle, , , salesforce, hubspot, dynamics] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace() {}, debug() {}, info() {}, warn: log, error: log, log() {} } }),
      stack.startPostgres(),
      stack.startTemporal(),
      startSandboxProcess(cleanup, 'none', 'salesforce'),
      startSandboxProcess(cleanup, 'none', 'hubspot'),
      startSandboxProcess(cleanup, 'none', 'dynamics'),
    ]);
    stack.sandboxes = { salesforce, hubspot, dynamics };
    stack.workflowBundle = path.join(workDir, 'workflow-bundle.js');
    fs.writeFileSync(stack.workflowBundle, bundle.code);
    cleanup.defer('PostgreSQL', () => stack.pg.stop());
    cleanup.defer('Temporal', () => stack.temporal.stop());
    const u = new URL(stack.pg.url);
    u.pathname = '/postgres';
    stack.admin = createPool(u.toString(), { max: 2, applicationName: 'hubsync-chaos' });
    cleanup.defer('the admin pool', () => stack.admin.end());
    stack.connection = await Connection.connect({ address: stack.temporal.address });
    cleanup.defer('the Temporal client', () => stack.connection.close());
    stack.client = new Client({ connection: stack.connection });
    // Every trial's hub starts as a copy of one migrated database.
    await stack.admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await migrate(stack.databaseUrl(TEMPLATE_DATABASE));
    return stack;
  }

  private async startPostgres(): Promise<void> {
    this.pg = await startEmbeddedPostgres({ dataDir: this.pgDataDir, port: this.pgPort });
  }

  private async startTemporal(): Promise<void> {
    const env = loadEnv();
    this.temporal = await startDevServer({
      cacheDir: env.cacheDir,
      cliPath: env.TEMPORAL_CLI_PATH,
      port: this.temporalPort,
      dbFilename: path.join(this.workDir, 'temporal.db'),
      logFile: path.join(this.workDir, 'temporal.log'),
      log: this.log,
    });
  }

  databaseUrl(name: string): string {
    const u = new URL(this.pg.url);
    u.pathname = `/${name}`;
    return u.toString();
  }

  /**
   * A fresh hub database for a trial: a copy of the migrated template, its hub account IDs starting at
   * `firstAccountId`. Write-back workflows are named by hub account (`hubsync-writeback-account-<id>`) and
   * live on for minutes after a trial: a later trial's accounts must not share their IDs, or its write-backs
   * would join the earlier trial's workflows, on a task queue no worker polls any more.
   */
  async createHub(name: string, firstAccountId: number): Promise<{ url: string; pool: Pool }> {
    await this.admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await this.admin.query(`CREATE DATABASE "${name}" TEMPLATE ${TEMPLATE_DATABASE}`);
    const url = this.databaseUrl(name);
    const pool = createPool(url, { max: 4, applicationName: 'hubsync-chaos' });
    await pool.query(`ALTER TABLE accounts ALTER COLUMN id RESTART WITH ${Math.trunc(firstAccountId)}`);
    return { url, pool };
  }

  async dropHub(name: string): Promise<void> {
    await this.admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  }

  /**
   * PostgreSQL crashes (an immediate shutdown: every backend ends at once, nothing is checkpointed) and, after
   * `downMs`, starts again on the same data directory and port, recovering from its WAL.
   */
  async restartPostgres(downMs: number): Promise<void> {
    const pidFile = path.join(this.pgDataDir, 'postmaster.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    await waitFor(() => !isAlive(pid), 30000, 'PostgreSQL to stop');
    await sleep(downMs);
    await this.startPostgres();
  }

  /** The Temporal dev server stops and, after `downMs`, starts again on the same SQLite file and port. */
  async restartTemporal(downMs: number): Promise<void> {
    await this.temporal.stop();
    await sleep(downMs);
    await waitFor(async () => !(await isListening(this.temporalPort)), 30000, 'the Temporal port to be free');
    await this.startTemporal();
  }

  /** Whether Temporal lists the worker of process `pid` among the workflow pollers of `taskQueue`. */
  async polls(taskQueue: string, pid: number): Promise<boolean> {
    const answer = await this.connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL }, taskQueueType: TASK_QUEUE_TYPE_WORKFLOW });
    return (answer.pollers ?? []).some((p) => p.identity?.endsWith(`:${pid}`) ?? false);
  }

  /** What a `hubsync worker` of a trial needs in its environment. */
  workerEnv(databaseUrl: string, taskQueue: string): NodeJS.ProcessEnv {
    return {
      TEMPORAL_ADDRESS: this.temporal.address,
      DATABASE_URL: databaseUrl,
      HUBSYNC_SECRET_KEY: this.secretKey,
      HUBSYNC_HOME: path.join(this.workDir, 'hubsync-home'),
      HUBSYNC_TASK_QUEUE: taskQueue,
      HUBSYNC_LOG_LEVEL: 'error',
      // Several workers on one machine: no metrics port of their own to fight over.
      HUBSYNC_METRICS_PORT: '0',
      ...(this.workflowBundle ? { HUBSYNC_WORKFLOW_BUNDLE: this.workflowBundle } : {}),
    };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The workers of one trial: one `hubsync worker` at a time, replaced whenever it ends (a SIGKILL of the
 * campaign's, or an exit of its own, which is counted: a worker should ride out a Temporal or PostgreSQL
 * restart, not die of it). A worker is ready once Temporal lists it (its identity ends with its pid) among the
 * pollers of the task queue: what the server sees, whatever the worker prints.
 */
export class WorkerSupervisor {
  current: WorkerProcess | undefined;
  /** Workers started, the first included. */
  started = 0;
  /** Workers that ended after they began polling without being killed by the campaign, with their last output. */
  readonly unexpectedExits: string[] = [];
  private readonly killed = new WeakSet<WorkerProcess>();
  private readonly polling = new WeakSet<WorkerProcess>();
  private stopping = false;

  constructor(
    private readonly env: () => NodeJS.ProcessEnv,
    private readonly polls: (taskQueue: string, pid: number) => Promise<boolean>,
  ) {}

  private live(worker: WorkerProcess | undefined): boolean {
    return worker !== undefined && !this.killed.has(worker) && worker.child.exitCode === null && worker.child.signalCode === null;
  }

  /** Starts a worker now; resolves once it polls. */
  start(): Promise<void> {
    const worker = new WorkerProcess(this.env());
    this.current = worker;
    this.started++;
    worker.child.once('exit', (code, signal) => {
      if (this.stopping || this.current !== worker) return;
      const killed = this.killed.has(worker);
      // One that ends before it polls could not start (its hub store or Temporal is down): it is tried again.
      if (!killed && this.polling.has(worker)) {
        this.unexpectedExits.push(`exit ${String(code ?? signal)}: ${worker.output.trim().split('\n').slice(-3).join(' | ')}`);
        if (process.env['CHAOS_DEBUG']) process.stderr.write(`--- worker output ---\n${worker.output}\n---\n`);
      }
      // Replaced at once, as a deployment replaces a dead worker (one that could not start, after a second).
      setTimeout(
        () => {
          if (!this.stopping && this.current === worker) this.start().catch(() => undefined);
        },
        killed ? 0 : 1000,
      );
    });
    return this.whenPolling(worker, Date.now() + 180000);
  }

  private async whenPolling(worker: WorkerProcess, deadline: number): Promise<void> {
    while (!this.polling.has(worker)) {
      if (!this.live(worker)) throw new Error(`the worker ended before it polled:\n${worker.output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`the worker did not poll in time:\n${worker.output.slice(-2000)}`);
      if (await this.polls(worker.taskQueue, worker.pid).catch(() => false)) this.polling.add(worker);
      else await sleep(250);
    }
  }

  /** Resolves once a live worker polls (whichever is current by then). */
  async ready(timeoutMs = 180000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const worker = this.current;
      try {
        if (!worker || !this.live(worker)) throw new Error('no live worker');
        await this.whenPolling(worker, deadline);
        if (worker === this.current && this.live(worker)) return;
      } catch (err) {
        if (Date.now() > deadline || this.stopping) throw err;
        await sleep(200);
      }
    }
  }

  /** SIGKILL: the worker dies in the middle of whatever it does; the next one starts at once. */
  kill(): void {
    const worker = this.current;
    if (!worker) return;
    this.killed.add(worker);
    worker.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.current;
    this.current = undefined;
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGKILL');
      await exited;
    }
  }
}
