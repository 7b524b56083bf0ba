/**
 * Child process of bench/writeback.ts: a Temporal worker for the floor workflow alone
 * (bench/writeback-floor-workflow.ts, bundled from its path at start-up), on its own task queue, with the
 * SDK's default worker options as the `hubsync worker` has them. Answers `{type: 'ready'}` once polling;
 * `{cmd: 'exit'}` (or the parent going away) shuts it down. Needs TEMPORAL_ADDRESS.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntime } from '../workers/runtime';
import { FLOOR_TASK_QUEUE } from './writeback-floor-workflow';

async function main(): Promise<void> {
  const address = process.env['TEMPORAL_ADDRESS'];
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set');
  // 'error': the SDK warns at start-up that this worker has no activities, which is the point.
  installRuntime('error');
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: FLOOR_TASK_QUEUE,
    identity: `hubsync-bench-floor-worker:${process.pid}`,
    workflowsPath: require.resolve('./writeback-floor-workflow'),
  });
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'exit') stop();
  });
  process.on('disconnect', stop);
  const running = worker.run();
  process.send?.({ type: 'ready' });
  try {
    await running;
  } finally {
    await connection.close();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench floor worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
