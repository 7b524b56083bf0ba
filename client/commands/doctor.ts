/**
 * `hubsync doctor`: what is configured and whether each part answers. Reads the configuration from the
 * environment, else from the runtime file of a running `hubsync start`.
 */
import { Connection } from '@temporalio/client';
import { createPool, pendingMigrations } from '../../activities/hub/store';
import { loadEnv } from '../../kernel/env';
import { redactUrl } from '../../local/postgres';
import { SEARCH_ATTRIBUTE_TYPES } from '../../kernel/ids';
import { HubsyncClient } from '../hubsync-client';
import { readRuntimeInfo } from '../../local/runtime-file';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function timed<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function runDoctor(): Promise<Check[]> {
  const env = loadEnv();
  const runtime = readRuntimeInfo(env.hubsyncHome);
  const checks: Check[] = [];
  const temporalAddress = env.TEMPORAL_ADDRESS ?? runtime?.temporal.address;
  const namespace = env.TEMPORAL_ADDRESS ? env.TEMPORAL_NAMESPACE : (runtime?.temporal.namespace ?? env.TEMPORAL_NAMESPACE);
  const databaseUrl = env.DATABASE_URL ?? runtime?.database.url;
  const notRunning = 'Start hubsync with `npm start` (or set TEMPORAL_ADDRESS and DATABASE_URL).';

  checks.push({
    name: 'configuration',
    ok: Boolean(temporalAddress && databaseUrl),
    detail: runtime ? `local stack of \`hubsync start\` (pid ${runtime.pid}, since ${runtime.startedAt})` : 'environment variables',
    ...(temporalAddress && databaseUrl ? {} : { fix: notRunning }),
  });

  let temporalOk = false;
  if (temporalAddress) {
    let connection: Connection | undefined;
    try {
      connection = await timed(Connection.connect({ address: temporalAddress, connectTimeout: 3000 }), 5000, 'Temporal');
      const info = await timed(connection.workflowService.getSystemInfo({}), 5000, 'Temporal');
      await connection.workflowService.describeNamespace({ namespace });
      checks.push({ name: 'temporal', ok: true, detail: `${temporalAddress} namespace ${namespace}, server ${info.serverVersion || 'unknown version'}` });
      temporalOk = true;
      const attrs = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.keys(SEARCH_ATTRIBUTE_TYPES).filter((n) => !(n in (attrs.customAttributes ?? {})));
      checks.push({
        name: 'search attributes',
        ok: missing.length === 0,
        detail: missing.length ? `missing: ${missing.join(', ')}` : Object.keys(SEARCH_ATTRIBUTE_TYPES).join(', '),
        ...(missing.length ? { fix: 'Restart `hubsync start` (it registers them), or `temporal operator search-attribute create`.' } : {}),
      });
      const pollers = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: env.HUBSYNC_TASK_QUEUE }, taskQueueType: 1 });
      const count = pollers.pollers?.length ?? 0;
      checks.push({
        name: 'worker',
        ok: count > 0,
        detail: count ? `${count} poller(s) on task queue "${env.HUBSYNC_TASK_QUEUE}": ${(pollers.pollers ?? []).map((p) => p.identity).join(', ')}` : `no worker polls task queue "${env.HUBSYNC_TASK_QUEUE}"`,
        ...(count ? {} : { fix: 'Run `npm start`, or `npx hubsync worker` with TEMPORAL_ADDRESS and DATABASE_URL set.' }),
      });
    } catch (err) {
      checks.push({ name: 'temporal', ok: false, detail: `${temporalAddress}: ${message(err)}`, fix: notRunning });
    } finally {
      await connection?.close().catch(() => undefined);
    }
  } else {
    checks.push({ name: 'temporal', ok: false, detail: 'not configured', fix: notRunning });
  }

  const uiUrl = runtime?.temporal.uiUrl;
  if (uiUrl) {
    try {
      const res = await timed(fetch(uiUrl), 5000, 'Temporal UI');
      checks.push({ name: 'temporal ui', ok: res.ok, detail: `${uiUrl} answered HTTP ${res.status}` });
    } catch (err) {
      checks.push({ name: 'temporal ui', ok: false, detail: `${uiUrl}: ${message(err)}` });
    }
  }

  let databaseOk = false;
  if (databaseUrl) {
    const pool = createPool(databaseUrl, { max: 1, applicationName: 'hubsync-doctor' });
    try {
      const { rows } = await timed(pool.query<{ version: string }>('SELECT version()'), 5000, 'PostgreSQL');
      const pending = await pendingMigrations(pool);
      databaseOk = pending.length === 0;
      checks.push({
        name: 'database',
        ok: databaseOk,
        detail: `${redactUrl(databaseUrl)}: ${(rows[0]?.version ?? '').split(',')[0]}; ${pending.length ? `pending migrations: ${pending.join(', ')}` : 'schema up to date'}`,
        ...(pending.length ? { fix: 'Run `npx hubsync migrate`.' } : {}),
      });
    } catch (err) {
      checks.push({ name: 'database', ok: false, detail: `${redactUrl(databaseUrl)}: ${message(err)}`, fix: notRunning });
    } finally {
      await pool.end();
    }
  } else {
    checks.push({ name: 'database', ok: false, detail: 'not configured', fix: notRunning });
  }

  for (const [name, sandbox] of Object.entries(runtime?.sandboxes ?? {})) {
    try {
      const res = await timed(fetch(new URL('/__admin/health', sandbox.url)), 5000, `${name} sandbox`);
      checks.push({ name: `sandbox ${name}`, ok: res.ok, detail: `${sandbox.url} answered HTTP ${res.status}` });
    } catch (err) {
      checks.push({ name: `sandbox ${name}`, ok: false, detail: `${sandbox.url}: ${message(err)}` });
    }
  }

  const workerPolling = checks.find((c) => c.name === 'worker')?.ok ?? false;
  if (temporalOk && databaseOk && workerPolling && temporalAddress && databaseUrl) {
    const client = await HubsyncClient.connect({ temporalAddress, namespace, databaseUrl, taskQueue: env.HUBSYNC_TASK_QUEUE });
    try {
      const started = Date.now();
      const result = await timed(client.probe({ requestedBy: 'hubsync doctor', timeoutMs: 15000 }), 20000, 'probe workflow');
      checks.push({ name: 'end to end', ok: true, detail: `probe workflow ran on ${result.workerIdentity} and wrote its row in ${Date.now() - started} ms` });
    } catch (err) {
      checks.push({ name: 'end to end', ok: false, detail: `probe workflow: ${message(err)}`, fix: 'See the worker output of `npm start`.' });
    } finally {
      await client.close();
    }
  }
  return checks;
}

export async function doctorCommand(opts: { json?: boolean }): Promise<void> {
  const checks = await runDoctor();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2)}\n`);
  } else {
    for (const c of checks) {
      process.stdout.write(`${c.ok ? '✔' : '✖'} ${c.name.padEnd(18)} ${c.detail}\n`);
      if (!c.ok && c.fix) process.stdout.write(`  ${''.padEnd(18)} fix: ${c.fix}\n`);
    }
  }
  if (!checks.every((c) => c.ok)) process.exitCode = 1;
}
