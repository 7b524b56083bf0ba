/**
 * The local stack behind `hubsync start` / `npm start`: everything a laptop needs (PostgreSQL, Temporal and
 * its UI, the Salesforce sandbox, a worker), with state under .hubsync/ so a second start resumes the first
 * one's state; `stop()` stops, in reverse order, everything it started. The demo on top of it is the CLI's
 * (client/demo.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureLocalSecretKey } from '../activities/hub/secrets';
import { createPool, migrate, type Pool } from '../activities/hub/store';
import { startDynamicsSandbox, type DynamicsSandboxHandle } from '../sandbox/dynamics';
import { startHubSpotSandbox, type HubSpotSandboxHandle } from '../sandbox/hubspot';
import { startSalesforceSandbox, type SalesforceSandboxHandle } from '../sandbox/salesforce';
import { startEmbeddedPostgres, redactUrl, type PostgresEndpoint } from './postgres';
import { startDevServer } from './temporal-server';
import { useExistingServer, type TemporalEndpoint } from '../workers/temporal';
import { installRuntime } from '../workers/runtime';
import { createHubsyncWorker, type HubsyncWorker } from '../workers/worker';
import { freeLoopbackPort, startObservabilityServer, workerReadiness, type ObservabilityServer } from '../workers/observability';
import { startCodecServer, type CodecServer } from '../workers/codec-server';
import { payloadCodecFor } from '../workers/payload-codec';
import { freePort } from './ports';
import { clearProxyVariables, type HubsyncEnv } from '../kernel/env';
import { readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo, type RuntimeInfo } from './runtime-file';
import { ConflictError } from '../kernel/errors';

export interface LocalStack {
  temporal: TemporalEndpoint;
  database: PostgresEndpoint;
  pool: Pool;
  worker: HubsyncWorker;
  /** The local Salesforce REST API sandbox (demo org, saved under <hubsyncHome>/sandbox-salesforce). */
  salesforceSandbox: SalesforceSandboxHandle;
  hubspotSandbox: HubSpotSandboxHandle;
  dynamicsSandbox: DynamicsSandboxHandle;
  /** Resolves when the worker stops (shutdown requested, or a fatal error). */
  workerDone: Promise<void>;
  info: RuntimeInfo;
  stop(): Promise<void>;
}

export async function startLocalStack(env: HubsyncEnv, log: (line: string) => void): Promise<LocalStack> {
  clearProxyVariables();
  const running = readRuntimeInfo(env.hubsyncHome);
  if (running) {
    throw new ConflictError(`hubsync is already running (pid ${running.pid}, started ${running.startedAt}). Stop it with Ctrl-C in its terminal, or \`kill ${running.pid}\`.`);
  }
  fs.mkdirSync(env.hubsyncHome, { recursive: true });
  // Connection secrets are encrypted at rest; the local stack keeps its key in .hubsync/secret.key.
  ensureLocalSecretKey(env);
  const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const { what, run } of cleanups.reverse()) {
      const started = Date.now();
      await run().then(
        () => log(`  stopped ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
        (err: unknown) => log(`  warning: stopping ${what}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    cleanups.length = 0;
  };

  try {
    log('Starting PostgreSQL...');
    const database: PostgresEndpoint = env.DATABASE_URL
      ? { url: env.DATABASE_URL, origin: 'DATABASE_URL', stop: async () => undefined }
      : await startEmbeddedPostgres({ dataDir: path.join(env.hubsyncHome, 'postgres'), port: env.HUBSYNC_PG_PORT, log });
    cleanups.push({ what: 'PostgreSQL', run: () => database.stop() });
    const migrated = await migrate(database.url);
    log(migrated.applied.length ? `Applied migrations: ${migrated.applied.join(', ')}` : 'Database schema is up to date.');
    const pool = createPool(database.url, { applicationName: 'hubsync-worker' });
    cleanups.push({ what: 'database pool', run: () => pool.end() });

    // With HUBSYNC_PAYLOAD_KEY, payloads are sealed in Temporal: the local Web UI gets a codec server to call,
    // so whoever runs this stack (and so holds the key) reads them decrypted there.
    const payloadCodec = payloadCodecFor(env.HUBSYNC_PAYLOAD_KEY);
    let codecServer: CodecServer | undefined;
    if (payloadCodec && !env.TEMPORAL_ADDRESS) {
      const uiOrigins = [`http://localhost:${env.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`];
      const server = await startCodecServer(payloadCodec, { port: await freePort(), origins: uiOrigins });
      codecServer = server;
      cleanups.push({ what: 'codec server', run: () => server.close() });
    }

    log('Starting Temporal...');
    const temporal = env.TEMPORAL_ADDRESS
      ? await useExistingServer(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE)
      : await startDevServer({
          cacheDir: env.cacheDir,
          cliPath: env.TEMPORAL_CLI_PATH,
          namespace: env.TEMPORAL_NAMESPACE,
          port: env.TEMPORAL_PORT,
          uiPort: env.TEMPORAL_UI_PORT,
          dbFilename: path.join(env.hubsyncHome, 'temporal.db'),
          logFile: path.join(env.hubsyncHome, 'temporal.log'),
          uiCodecEndpoint: codecServer?.url,
          log,
        });
    cleanups.push({ what: 'Temporal', run: () => temporal.stop() });

    log('Starting the Salesforce sandbox...');
    const salesforceSandbox = await startSalesforceSandbox({
      port: env.HUBSYNC_SFDC_SANDBOX_PORT,
      seed: 'demo',
      dataDir: path.join(env.hubsyncHome, 'sandbox-salesforce'),
    });
    cleanups.push({ what: 'Salesforce sandbox', run: () => salesforceSandbox.close() });

    log('Starting the HubSpot sandbox...');
    const hubspotSandbox = await startHubSpotSandbox({
      port: env.HUBSYNC_HUBSPOT_SANDBOX_PORT,
      seed: 'demo',
      dataDir: path.join(env.hubsyncHome, 'sandbox-hubspot'),
    });
    cleanups.push({ what: 'HubSpot sandbox', run: () => hubspotSandbox.close() });

    log('Starting the Dataverse sandbox...');
    const dynamicsSandbox = await startDynamicsSandbox({
      port: env.HUBSYNC_DYNAMICS_SANDBOX_PORT,
      seed: 'demo',
      dataDir: path.join(env.hubsyncHome, 'sandbox-dynamics'),
    });
    cleanups.push({ what: 'Dataverse sandbox', run: () => dynamicsSandbox.close() });

    log('Starting the worker (bundling workflows)...');
    // Issue 15: the worker's events go to the terminal as short lines and to worker.log as JSON lines; with
    // HUBSYNC_METRICS_PORT (default 9464; 0: off) it serves /metrics, /healthz and /readyz on 127.0.0.1.
    const coreMetricsAddress = env.HUBSYNC_METRICS_PORT ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
    installRuntime(env.HUBSYNC_LOG_LEVEL, { detailFile: path.join(env.hubsyncHome, 'worker.log'), ...(coreMetricsAddress ? { coreMetricsAddress } : {}) });
    const worker = await createHubsyncWorker({ address: temporal.address, namespace: temporal.namespace, pool, taskQueue: env.HUBSYNC_TASK_QUEUE, ...(payloadCodec ? { payloadCodec } : {}) });
    const workerDone = worker.run();
    cleanups.push({
      what: 'worker',
      run: async () => {
        worker.shutdown();
        await workerDone.catch(() => undefined);
      },
    });
    let metrics: ObservabilityServer | undefined;
    if (env.HUBSYNC_METRICS_PORT) {
      try {
        metrics = await startObservabilityServer({
          port: env.HUBSYNC_METRICS_PORT,
          host: '127.0.0.1',
          pool,
          ...workerReadiness(() => worker),
          ...(coreMetricsAddress ? { coreMetricsUrl: `http://${coreMetricsAddress}/metrics` } : {}),
        });
        const server = metrics;
        cleanups.push({ what: 'metrics endpoint', run: () => server.close() });
      } catch (err) {
        // A laptop may have the port taken (another stack, another exporter): the stack runs on without it.
        log(`Metrics: not served, port ${env.HUBSYNC_METRICS_PORT} on 127.0.0.1 is taken (${err instanceof Error ? err.message : String(err)}); set HUBSYNC_METRICS_PORT to a free port, or 0.`);
      }
    }

    const info: RuntimeInfo = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      temporal: { address: temporal.address, namespace: temporal.namespace, origin: temporal.origin, ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}), ...(codecServer ? { codecServerUrl: codecServer.url } : {}) },
      database: { url: database.url, origin: database.origin },
      sandboxes: { salesforce: { url: salesforceSandbox.url }, hubspot: { url: hubspotSandbox.url }, dynamics: { url: dynamicsSandbox.url } },
      ...(metrics ? { metricsUrl: metrics.url } : {}),
    };
    writeRuntimeInfo(env.hubsyncHome, info);
    cleanups.push({ what: 'runtime file', run: async () => removeRuntimeInfo(env.hubsyncHome) });
    return { temporal, database, pool, worker, salesforceSandbox, hubspotSandbox, dynamicsSandbox, workerDone, info, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export function describeStack(stack: LocalStack): string[] {
  const sf = stack.salesforceSandbox.credentials;
  return [
    `Temporal:     ${stack.temporal.address} (namespace ${stack.temporal.namespace}; ${stack.temporal.origin})`,
    `Temporal UI:  ${stack.temporal.uiUrl ?? '(served by your Temporal deployment)'}${stack.info.temporal.codecServerUrl ? ` (payloads sealed by HUBSYNC_PAYLOAD_KEY; the UI decodes them through ${stack.info.temporal.codecServerUrl})` : ''}`,
    `Database:     ${redactUrl(stack.database.url)} (${stack.database.origin})`,
    `Worker:       task queue "${stack.worker.worker.options.taskQueue}", ${stack.worker.worker.options.identity}`,
    ...(stack.info.metricsUrl ? [`Metrics:      ${stack.info.metricsUrl}/metrics (Prometheus; health: ${stack.info.metricsUrl}/healthz, ${stack.info.metricsUrl}/readyz)`] : []),
    `Salesforce:   ${stack.salesforceSandbox.url} (local sandbox, demo org; admin API ${stack.salesforceSandbox.url}/__admin)`,
    `              username ${sf.username}, password ${sf.password}, client id ${sf.clientId}, client secret ${sf.clientSecret}`,
    `              refresh token ${sf.refreshToken}`,
    `HubSpot:      ${stack.hubspotSandbox.url} (local sandbox, demo portal; admin API ${stack.hubspotSandbox.url}/__admin)`,
    `              private app token ${stack.hubspotSandbox.accessToken}`,
    `Dataverse:    ${stack.dynamicsSandbox.url} (local sandbox, demo environment; admin API ${stack.dynamicsSandbox.url}/__admin)`,
    `              tenant ${stack.dynamicsSandbox.tenantId}, client id ${stack.dynamicsSandbox.clientId}, client secret ${stack.dynamicsSandbox.clientSecret}`,
  ];
}
