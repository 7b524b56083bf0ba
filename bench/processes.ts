/**
 * The process plumbing the benchmarks share (bench/inbound.ts, bench/outbound.ts, bench/writeback.ts): a
 * cleanup list run in reverse order (at the end, on failure, on Ctrl-C), child processes tracked and killed if
 * the benchmark dies, a Salesforce, HubSpot or Dataverse sandbox in a child process of its own (bench/inbound-sandbox.ts), a
 * baseline child answering commands over IPC (bench/baseline-child.ts is its side), and a real
 * `hubsync worker` process. With BENCH_CPU_PROF_DIR set, the worker and every forked child write a V8 CPU
 * profile there when they exit (`node --cpu-prof`, which NODE_OPTIONS does not take).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { stopChild } from '../local/processes';
import type { SandboxReady } from './inbound-ipc';

const BIN = path.resolve(__dirname, '..', 'bin', 'hubsync.js');

/** `--cpu-prof` into BENCH_CPU_PROF_DIR, when it is set. */
const profileFlags = () => (process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}`] : []);

export const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/** Everything started, stopped in reverse order at the end, on failure and on Ctrl-C. */
export class Cleanup {
  private tasks: Array<{ name: string; stop: () => Promise<void> }> = [];
  /** A signal started the cleanup: the benchmark's own `finally` leaves it to that. */
  interrupted = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers a stop function; the returned function stops it now (once). */
  defer(name: string, stop: () => Promise<void>): () => Promise<void> {
    const task = { name, stop };
    this.tasks.push(task);
    return async () => {
      const i = this.tasks.indexOf(task);
      if (i < 0) return;
      this.tasks.splice(i, 1);
      await stop();
    };
  }

  async runAll(): Promise<void> {
    for (let task = this.tasks.pop(); task; task = this.tasks.pop()) {
      try {
        await task.stop();
      } catch (err) {
        this.log(`stopping ${task.name} failed: ${errorText(err)}`);
      }
    }
  }

  /** On the first SIGINT or SIGTERM: everything stopped, then exit 130. */
  onSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interrupted) return;
      this.interrupted = true;
      this.log(`${signal}: stopping everything...`);
      void this.runAll().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

/** Child processes still running, killed outright if this process exits any other way. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Asks a child started with an IPC channel to exit by message (it then closes what it runs itself). */
export const askToExit = (child: ChildProcess) => (child.connected ? child.send({ cmd: 'exit' }) : child.kill('SIGTERM'));

export function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${String(code)}) before answering`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

/** A bench/ TypeScript file as a child process under tsx, with an IPC channel. */
export function forkTs(file: string, env: NodeJS.ProcessEnv = {}, nodeOptions: string[] = []): ChildProcess {
  return track(fork(path.join(__dirname, file), [], { execArgv: [...profileFlags(), ...nodeOptions, '--require', 'tsx/cjs'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

/**
 * A baseline process (bench/inbound-baseline.ts, bench/outbound-baseline.ts): a bench/ file forked with an
 * IPC channel that answers one command at a time with one message, `{type: 'error', message}` when it failed.
 */
export class BenchChild<Command extends { cmd: string }, Message extends { type: string }> {
  readonly child: ChildProcess;

  constructor(
    file: string,
    env: NodeJS.ProcessEnv,
    private readonly what: string,
    nodeOptions: string[] = [],
  ) {
    this.child = forkTs(file, env, nodeOptions);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.what} did not start`);
    return this.child.pid;
  }

  private async answer<T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> {
    const m = await nextMessage<Message | { type: 'error'; message: string }>(this.child, this.what);
    if (m.type === 'error' && 'message' in m) throw new Error(`${this.what}: ${String(m.message)}`);
    if (m.type !== type) throw new Error(`${this.what}: expected '${type}', got '${m.type}'`);
    return m as Extract<Message, { type: T }>;
  }

  async ready(): Promise<void> {
    await this.answer('ready' as Message['type']);
  }

  protected request<T extends Message['type']>(command: Command, type: T): Promise<Extract<Message, { type: T }>> {
    const answer = this.answer(type);
    this.child.send(command);
    return answer;
  }

  stop(): Promise<void> {
    return stopChild(this.child, { ask: askToExit, graceMs: 10000 });
  }
}

export interface Sandbox {
  pid: number;
  url: string;
  /** Salesforce: the connected app and refresh token (what a Salesforce connection takes); HubSpot: its public app's; Dataverse: the app registration's client ID and secret. */
  credentials: Omit<SandboxReady, 'type' | 'url' | 'accessToken'>;
  /** HubSpot only: the private app's access token. */
  accessToken?: string;
  /** Dataverse only: the tenant, token endpoint and scope of its client-credentials app (`credentials` has the client ID and secret). */
  dataverse?: { tenantId: string; tokenUrl: string; scope: string };
  /** Stops the sandbox process now (otherwise the cleanup list does). */
  stop(): Promise<void>;
  admin<T>(method: string, urlPath: string, body?: unknown): Promise<T>;
}

/** What a sandbox process runs (BENCH_SANDBOX_KIND of bench/inbound-sandbox.ts). */
export type SandboxKind = 'salesforce' | 'hubspot' | 'dynamics';

const SANDBOX_NAMES: Record<SandboxKind, string> = { salesforce: 'the Salesforce sandbox', hubspot: 'the HubSpot sandbox', dynamics: 'the Dataverse sandbox' };

/** A sandbox on its own event loop (bench/inbound-sandbox.ts), empty or seeded with the demo org: Salesforce's unless `kind` says HubSpot or Dataverse. */
export async function startSandboxProcess(cleanup: Cleanup, seed: 'none' | 'demo', kind: SandboxKind = 'salesforce'): Promise<Sandbox> {
  const child = forkTs('inbound-sandbox.ts', { BENCH_SANDBOX_SEED: seed, BENCH_SANDBOX_KIND: kind });
  const what = SANDBOX_NAMES[kind];
  const stop = cleanup.defer(what, () => stopChild(child, { ask: askToExit, graceMs: 10000 }));
  const { url, clientId, clientSecret, refreshToken, accessToken, dataverse } = await nextMessage<SandboxReady>(child, `${what} process`);
  return {
    pid: child.pid ?? 0,
    url,
    credentials: { clientId, clientSecret, refreshToken },
    ...(accessToken ? { accessToken } : {}),
    ...(dataverse ? { dataverse } : {}),
    stop,
    admin: async <T>(method: string, urlPath: string, body?: unknown): Promise<T> => {
      const res = await fetch(new URL(urlPath, url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${method} ${urlPath}: HTTP ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** A `hubsync worker` process, as production runs it; its RSS is its own. */
export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  /** The task queue it polls (HUBSYNC_TASK_QUEUE, `hubsync` by default). */
  readonly taskQueue: string;

  constructor(env: NodeJS.ProcessEnv) {
    this.taskQueue = env['HUBSYNC_TASK_QUEUE'] ?? 'hubsync';
    this.child = track(spawn(process.execPath, [...profileFlags(), BIN, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the worker process did not start');
    return this.child.pid;
  }

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The worker logs JSON lines, in which the queue's quotes are escaped.
    const polling = new RegExp(`polls task queue \\\\?"${this.taskQueue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\\\?"`);
    while (!polling.test(this.output)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the worker exited (${String(this.child.exitCode ?? this.child.signalCode)}) before polling:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the worker did not poll within ${timeoutMs / 1000} s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Rejects when the worker process ends (a run waiting on it would otherwise wait forever). */
  exited(): Promise<never> {
    return new Promise((_, reject) => {
      const fail = () => reject(new Error(`the worker exited (${String(this.child.exitCode ?? this.child.signalCode)}) during the run:\n${this.output}`));
      if (this.child.exitCode !== null || this.child.signalCode !== null) fail();
      else this.child.once('exit', fail);
    });
  }

  /** SIGTERM: in-flight activities finish, then it exits (the worker's own grace is 30 s). */
  stop(): Promise<void> {
    return stopChild(this.child, { graceMs: 40000 });
  }
}

/**
 * A workflow's result, or a failure if the worker process ends first (a run with no worker would wait
 * forever). Either way the pending long poll for the result is cancelled, so nothing retries it afterwards.
 */
export async function resultOrWorkerExit<T>(client: Client, worker: WorkerProcess, result: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  // The client adds an abort listener to the signal for every call it makes under it (each long poll of a
  // result that takes minutes) and never removes them: no leak worth a warning for one run.
  setMaxListeners(0, abort.signal);
  try {
    return await Promise.race([client.withAbortSignal(abort.signal, result), worker.exited()]);
  } finally {
    abort.abort();
  }
}
