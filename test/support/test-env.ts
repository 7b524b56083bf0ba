/**
 * What test files use of the run-wide stack started by global-setup.ts: the database, the Temporal
 * server and the workflow bundle, plus a helper to run a real hubsync worker around a test body.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool, type Pool } from '../../activities/hub/store';
import { installRuntime } from '../../workers/runtime';
import { createHubsyncWorker, type HubsyncWorker, type HubsyncWorkerOptions } from '../../workers/worker';

export const TEST_ENV = {
  databaseUrl: 'HUBSYNC_TEST_DATABASE_URL',
  temporalAddress: 'HUBSYNC_TEST_TEMPORAL_ADDRESS',
  workflowBundle: 'HUBSYNC_TEST_WORKFLOW_BUNDLE',
  workDir: 'HUBSYNC_TEST_WORK_DIR',
} as const;

export interface TestStackHandle {
  stop(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (test/support/global-setup.ts starts the stack)`);
  return value;
}

export const testStack = {
  get databaseUrl() {
    return required(TEST_ENV.databaseUrl);
  },
  get temporalAddress() {
    return required(TEST_ENV.temporalAddress);
  },
  get workflowBundlePath() {
    return required(TEST_ENV.workflowBundle);
  },
  get workDir() {
    return required(TEST_ENV.workDir);
  },
};

/**
 * The task queue of the running test file: test files run in parallel on the one Temporal server, and a
 * workflow started by one file must never be picked up by another file's worker.
 */
export function fileTaskQueue(): string {
  const testPath = expect.getState().testPath ?? 'unknown';
  return `hubsync-test-${path.basename(testPath).replace(/\.test\.ts$/, '').replace(/[^A-Za-z0-9._-]/g, '-')}`;
}

export function testPool(): Pool {
  return createPool(testStack.databaseUrl, { max: 4, applicationName: 'hubsync-test' });
}

export async function testTemporalClient(): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: testStack.temporalAddress });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/** A real hubsync worker (bundled workflows, real activities) on the file's task queue, not yet running. */
export function createFileWorker(pool: Pool, options: Pick<HubsyncWorkerOptions, 'pageSize' | 'secretBox' | 'taskQueue' | 'payloadCodec'> = {}): Promise<HubsyncWorker> {
  installRuntime('warn');
  return createHubsyncWorker({
    address: testStack.temporalAddress,
    namespace: 'default',
    pool,
    workflowBundle: { codePath: testStack.workflowBundlePath },
    identity: `hubsync-test-worker:${process.pid}`,
    taskQueue: fileTaskQueue(),
    ...options,
  });
}

/** Runs `body` while a real hubsync worker (bundled workflows, real activities) polls the file's task queue. */
export async function withWorker<T>(pool: Pool, body: () => Promise<T>, options: Pick<HubsyncWorkerOptions, 'pageSize' | 'secretBox' | 'taskQueue'> = {}): Promise<T> {
  const worker = await createFileWorker(pool, options);
  try {
    return await worker.worker.runUntil(body);
  } finally {
    await worker.connection.close();
  }
}
