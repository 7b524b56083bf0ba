/**
 * `hubsync worker`: a worker process on its own, for production (docker-compose.yml) and scale-out.
 * Needs TEMPORAL_ADDRESS and DATABASE_URL; applies pending migrations first; on SIGINT/SIGTERM it stops
 * taking tasks, lets in-flight activities finish (or cancels them after the grace time), then exits.
 */
import { createPool, migrate } from '../activities/hub/store';
import { loadEnv } from '../kernel/env';
import { ConfigurationError } from '../kernel/errors';
import { useExistingServer } from './temporal';
import { installRuntime } from './runtime';
import { createHubsyncWorker } from './worker';
import { payloadCodecFor } from './payload-codec';

export async function workerCommand(): Promise<void> {
  const env = loadEnv();
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) {
    throw new ConfigurationError('`hubsync worker` needs TEMPORAL_ADDRESS and DATABASE_URL. For a local all-in-one stack use `npm start`.');
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  await migrate(env.DATABASE_URL, log);
  const temporal = await useExistingServer(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const pool = createPool(env.DATABASE_URL, { applicationName: 'hubsync-worker' });
  installRuntime(env.HUBSYNC_LOG_LEVEL);
  const payloadCodec = payloadCodecFor(env.HUBSYNC_PAYLOAD_KEY);
  const worker = await createHubsyncWorker({ address: temporal.address, namespace: temporal.namespace, pool, taskQueue: env.HUBSYNC_TASK_QUEUE, ...(payloadCodec ? { payloadCodec } : {}) });
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: finishing in-flight activities, then exiting...`);
    worker.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log(`Worker ${worker.worker.options.identity} polls task queue "${env.HUBSYNC_TASK_QUEUE}" on ${temporal.address}.`);
  try {
    await worker.run();
  } finally {
    await pool.end();
  }
  log('Worker stopped.');
}
