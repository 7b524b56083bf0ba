/**
 * `hubsync worker`: a worker process on its own, for production (docker-compose.yml) and scale-out.
 * Needs TEMPORAL_ADDRESS and DATABASE_URL; applies pending migrations first; on SIGINT/SIGTERM it stops
 * taking tasks, lets in-flight activities finish (or cancels them after the grace time), then exits.
 *
 * Issue 15 (P3 operators): everything it prints is one JSON line per event (workers/log.ts): its own
 * lifecycle lines (migrations, start, polling, signals, stop: always, at info), the Temporal SDK's and
 * Core's logs and the activities' (at HUBSYNC_LOG_LEVEL), and a failure that ends it. With
 * HUBSYNC_METRICS_PORT (default 9464; 0: off) it serves /metrics, /healthz and /readyz
 * (workers/observability.ts) from before it connects until it has stopped.
 */
import { createPool, migrate } from '../activities/hub/store';
import { loadEnv } from '../kernel/env';
import { ConfigurationError } from '../kernel/errors';
import { useExistingServer } from './temporal';
import { installRuntime } from './runtime';
import { createHubsyncWorker, prebuiltWorkflowBundle, type HubsyncWorker } from './worker';
import { payloadCodecFor } from './payload-codec';
import { createLogger } from './log';
import { freeLoopbackPort, startObservabilityServer, workerReadiness, type ObservabilityServer } from './observability';

export async function workerCommand(): Promise<void> {
  const env = loadEnv();
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) {
    throw new ConfigurationError('`hubsync worker` needs TEMPORAL_ADDRESS and DATABASE_URL. For a local all-in-one stack use `npm start`.');
  }
  const logger = createLogger({ level: env.HUBSYNC_LOG_LEVEL, name: 'hubsync-worker' });
  // The worker's own lifecycle lines are always there, whatever the level of the rest.
  const lifecycle = logger.child({}, { level: logger.isLevelEnabled('info') ? env.HUBSYNC_LOG_LEVEL : 'info' });
  const log = (line: string) => lifecycle.info(line);
  let server: ObservabilityServer | undefined;
  let worker: HubsyncWorker | undefined;
  const pool = createPool(env.DATABASE_URL, { applicationName: 'hubsync-worker' });
  try {
    const coreMetricsAddress = env.HUBSYNC_METRICS_PORT ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
    installRuntime(env.HUBSYNC_LOG_LEVEL, { json: logger, ...(coreMetricsAddress ? { coreMetricsAddress } : {}) });
    if (env.HUBSYNC_METRICS_PORT) {
      server = await startObservabilityServer({
        port: env.HUBSYNC_METRICS_PORT,
        host: env.HUBSYNC_METRICS_HOST,
        pool,
        ...workerReadiness(() => worker),
        ...(coreMetricsAddress ? { coreMetricsUrl: `http://${coreMetricsAddress}/metrics` } : {}),
        log: logger,
      });
      lifecycle.info({ metricsUrl: server.url, port: env.HUBSYNC_METRICS_PORT, host: env.HUBSYNC_METRICS_HOST }, `Metrics and health on ${server.url}: /metrics, /healthz, /readyz.`);
    }
    await migrate(env.DATABASE_URL, log);
    const temporal = await useExistingServer(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
    const payloadCodec = payloadCodecFor(env.HUBSYNC_PAYLOAD_KEY);
    const workflowBundle = prebuiltWorkflowBundle(env.HUBSYNC_WORKFLOW_BUNDLE);
    log(workflowBundle ? `Workflow bundle: ${workflowBundle.codePath} (prebuilt).` : 'Workflow bundle: none prebuilt, bundling workflows/ at start-up.');
    worker = await createHubsyncWorker({ address: temporal.address, namespace: temporal.namespace, pool, taskQueue: env.HUBSYNC_TASK_QUEUE, ...(workflowBundle ? { workflowBundle } : {}), ...(payloadCodec ? { payloadCodec } : {}) });
    const running = worker;
    const onSignal = (signal: NodeJS.Signals) => {
      lifecycle.info({ signal }, `${signal}: finishing in-flight activities, then exiting...`);
      running.shutdown();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const identity = worker.worker.options.identity;
    lifecycle.info({ identity, taskQueue: env.HUBSYNC_TASK_QUEUE, temporalAddress: temporal.address, namespace: temporal.namespace }, `Worker ${identity} polls task queue "${env.HUBSYNC_TASK_QUEUE}" on ${temporal.address}.`);
    await worker.run();
    log('Worker stopped.');
  } catch (err) {
    // A failure that ends the worker is one JSON line too, and the exit code says so.
    logger.error({ err }, `Worker failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await server?.close();
    await pool.end();
  }
}
