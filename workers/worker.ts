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
import { ErrorTranslationInterceptor } from './interceptors';
import { TASK_QUEUE } from '../kernel/ids';

export interface HubsyncWorkerOptions {
  address: string;
  namespace: string;
  pool: Pool;
  /** A pre-built bundle (tests bundle once per run); otherwise workflows/ is bundled at start-up, in a child process. */
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

/** Bundles workflows/ in a child process (see bundle-workflows.ts); resolves with the bundle's path. */
async function bundleInChildProcess(): Promise<string> {
  const out = path.join(os.tmpdir(), `hubsync-workflows-${process.pid}-${Date.now()}.js`);
  await new Promise<void>((resolve, reject) => {
    const child = fork(require.resolve('./bundle-workflows'), [out], { execArgv: ['--require', require.resolve('tsx/cjs')], stdio: 'inherit' });
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
      interceptors: { activity: [() => ({ inbound: new ErrorTranslationInterceptor() })] },
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
