/**
 * Builds the hubsync worker: one task queue, every workflow (bundled from workflows/index.ts) and every
 * activity (from createActivities, with their dependencies injected here).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { dataConverterFor } from './payload-codec';
import { createActivities } from '../activities';
import { loadSecretBox, type SecretBox } from '../activities/hub/secrets';
import type { Pool } from '../activities/hub/store';
import { loadEnv } from '../kernel/env';
import { ConfigurationError } from '../kernel/errors';
import { ErrorTranslationInterceptor, jobLogAttributes } from './interceptors';
import { TASK_QUEUE } from '../kernel/ids';

export interface HubsyncWorkerOptions {
  address: string;
  namespace: string;
  pool: Pool;
  /** A prebuilt bundle (tests bundle once per run; `hubsync worker` passes prebuiltWorkflowBundle()); otherwise workflows/ is bundled at start-up, in a child process. */
  workflowBundle?: { codePath: string };
  identity?: string;
  /** How long in-flight activities may run on after shutdown was requested before they are cancelled. */
  shutdownGraceTime?: string;
  /** The key for connection secrets (default: HUBSYNC_SECRET_KEY or the local stack's key file, on first use). */
  secretBox?: () => SecretBox;
  /** Records per CRM page (default 2,000). */
  pageSize?: number;
  /** The task queue to poll (default `hubsync`; HUBSYNC_TASK_QUEUE for the worker process). */
  taskQueue?: string;
  /** Seals payloads before Temporal stores them (HUBSYNC_PAYLOAD_KEY); clients need the same key. */
  payloadCodec?: PayloadCodec;
}

export interface HubsyncWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Runs until shutdown() is called (or the worker fails), then closes the connection. */
  run(): Promise<void>;
  shutdown(): void;
}

/** This module runs from the TypeScript sources (tsx, Jest), not from the compiled `dist/`. */
const FROM_SOURCE = path.extname(__filename) === '.ts';

/** Where `npm run build` writes the workflow bundle: beside the compiled folders (`dist/workflow-bundle.js`). */
export const BUILT_WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

/**
 * The prebuilt workflow bundle a worker process loads instead of bundling workflows/ at start-up: the file
 * `named` (HUBSYNC_WORKFLOW_BUNDLE), else, for compiled code, the one `npm run build` wrote beside it.
 * From the sources there is none unless named, so an edited workflow is never shadowed by a stale build.
 */
export function prebuiltWorkflowBundle(named?: string): { codePath: string } | undefined {
  if (named) {
    const codePath = path.resolve(named);
    if (!fs.existsSync(codePath)) throw new ConfigurationError(`HUBSYNC_WORKFLOW_BUNDLE names ${codePath}, which does not exist: run \`npm run build\` or unset it.`);
    return { codePath };
  }
  return !FROM_SOURCE && fs.existsSync(BUILT_WORKFLOW_BUNDLE) ? { codePath: BUILT_WORKFLOW_BUNDLE } : undefined;
}

/** Bundles workflows/ in a child process (see bundle-workflows.ts); resolves with the bundle's path. */
async function bundleInChildProcess(): Promise<string> {
  const out = path.join(os.tmpdir(), `hubsync-workflows-${process.pid}-${Date.now()}.js`);
  // From the sources the child needs tsx to load bundle-workflows.ts; compiled, it is plain JavaScript.
  const execArgv = FROM_SOURCE ? ['--require', require.resolve('tsx/cjs')] : [];
  await new Promise<void>((resolve, reject) => {
    const child = fork(require.resolve('./bundle-workflows'), [out], { execArgv, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bundling the workflow code failed (exit ${code})`))));
  });
  return out;
}

export async function createHubsyncWorker(opts: HubsyncWorkerOptions): Promise<HubsyncWorker> {
  const bundlePath = opts.workflowBundle ? undefined : await bundleInChildProcess();
  const connection = await NativeConnection.connect({ address: opts.address });
  const workflowSource: Pick<WorkerOptions, 'workflowBundle'> = { workflowBundle: opts.workflowBundle ?? { codePath: bundlePath as string } };
  try {
    const worker = await Worker.create({
      connection,
      namespace: opts.namespace,
      taskQueue: opts.taskQueue ?? TASK_QUEUE,
      identity: opts.identity ?? `hubsync-worker@${os.hostname()}:${process.pid}`,
      activities: createActivities({
        pool: opts.pool,
        secretBox: opts.secretBox ?? memoize(() => loadSecretBox(loadEnv())),
        ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      }),
      interceptors: { activity: [() => ({ inbound: new ErrorTranslationInterceptor() }), jobLogAttributes] },
      ...workflowSource,
      shutdownGraceTime: (opts.shutdownGraceTime ?? '30 seconds') as WorkerOptions['shutdownGraceTime'],
      ...dataConverterFor(opts.payloadCodec),
    });
    return {
      worker,
      connection,
      run: async () => {
        try {
          await worker.run();
        } finally {
          await connection.close();
        }
      },
      shutdown: () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  } finally {
    // Worker.create has read the bundle; the file is not needed any more.
    if (bundlePath) fs.rmSync(bundlePath, { force: true });
  }
}

function memoize<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
