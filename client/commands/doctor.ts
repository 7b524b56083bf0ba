/**
 * `hubsync doctor`: what is configured and whether each part answers. Reads the configuration from the
 * environment, else from the runtime file of a running `hubsync start`.
 *
 * Issue 15 (P3 operators): it covers everything the deployment runs: Temporal and its search attributes, the
 * worker pollers on HUBSYNC_TASK_QUEUE (workflow and activity pollers both), the database and its schema,
 * every stored CRM connection (a session opened and its API usage read: one call each; the reason when it
 * fails, never a secret), the local sandboxes, the worker's metrics and health endpoint (HUBSYNC_METRICS_URL,
 * or the one `npm start` serves), and an end-to-end probe workflow.
 */
import { Connection } from '@temporalio/client';
import { listConnections } from '../../activities/hub/connections';
import { loadSecretBox, type SecretBox } from '../../activities/hub/secrets';
import { createPool, pendingMigrations, type Pool } from '../../activities/hub/store';
import { openSession } from '../../activities/sessions';
import { loadEnv } from '../../kernel/env';
import { redactUrl } from '../../local/postgres';
import { SEARCH_ATTRIBUTE_TYPES } from '../../kernel/ids';
import { HubsyncClient } from '../hubsync-client';
import { readRuntimeInfo } from '../../local/runtime-file';
import { redactText } from '../../workers/log';

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

const message = (err: unknown) => redactText((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '');

const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const; // temporal.api.enums.v1.TaskQueueType

/** Every stored connection: a session opened from it and its API usage read (one call), at most 4 at a time. */
async function connectionChecks(pool: Pool, box: () => SecretBox): Promise<Check[]> {
  const connections = await listConnections(pool);
  if (connections.length === 0) return [{ name: 'connections', ok: true, detail: 'none stored yet (`hubsync connection add`)' }];
  let secretBox: SecretBox;
  try {
    secretBox = box();
  } catch (err) {
    return [{ name: 'connections', ok: false, detail: `${connections.length} stored, but their secrets cannot be read: ${message(err)}`, fix: 'Set HUBSYNC_SECRET_KEY to the key the workers use.' }];
  }
  const checks: Check[] = new Array<Check>(connections.length);
  let next = 0;
  const one = async (): Promise<void> => {
    for (let i = next++; i < connections.length; i = next++) {
      const c = connections[i]!;
      const where = `${c.kind} ${redactText(c.baseUrl)}`;
      try {
        const usage = await timed(openSession(pool, secretBox, c.id).then((session) => session.apiUsage()), 15000, `connection '${c.id}'`);
        const share = `${usage.used} of ${usage.max} API requests ${usage.window === 'day' ? 'today' : 'in the rolling window'}`;
        checks[i] = { name: `connection ${c.id}`, ok: true, detail: `${where}: authenticated; ${share}` };
      } catch (err) {
        checks[i] = { name: `connection ${c.id}`, ok: false, detail: `${where}: ${message(err)}`, fix: `\`hubsync connection test ${c.id}\` shows it; fix its settings or secrets with \`hubsync connection update ${c.id}\`.` };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, connections.length) }, one));
  return checks;
}

/** The worker's metrics and health endpoint: ready, and its metrics have hubsync's and the Temporal SDK's. */
async function metricsCheck(url: string): Promise<Check> {
  const base = url.replace(/\/+$/, '');
  try {
    const ready = await timed(fetch(`${base}/readyz`), 5000, 'the metrics endpoint');
    const body = (await ready.json().catch(() => ({}))) as { reason?: string };
    if (!ready.ok) return { name: 'metrics', ok: false, detail: `${base}/readyz answered HTTP ${ready.status}: ${redactText(body.reason ?? 'not ready')}`, fix: 'See the worker\'s log.' };
    const metrics = await timed(fetch(`${base}/metrics`), 5000, 'the metrics endpoint');
    const text = await metrics.text();
    const families = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const hubsync = [...families].filter((f) => f?.startsWith('hubsync_')).length;
    const temporal = [...families].filter((f) => f?.startsWith('temporal_')).length;
    const ok = metrics.ok && hubsync > 0;
    return {
      name: 'metrics',
      ok,
      detail: `${base}: ready; /metrics answered HTTP ${metrics.status} with ${hubsync} hubsync and ${temporal} Temporal SDK metric families`,
      ...(ok ? {} : { fix: 'Check that HUBSYNC_METRICS_URL points at a hubsync worker.' }),
    };
  } catch (err) {
    return { name: 'metrics', ok: false, detail: `${base}: ${message(err)}`, fix: 'Start the worker with HUBSYNC_METRICS_PORT set (default 9464), or correct HUBSYNC_METRICS_URL.' };
  }
}

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
      // A worker polls for workflow tasks and for activity tasks; both must be served for runs to progress.
      const [workflowPollers, activityPollers] = await Promise.all(
        [TASK_QUEUE_TYPE.workflow, TASK_QUEUE_TYPE.activity].map(async (taskQueueType) => (await connection!.workflowService.describeTaskQueue({ namespace, taskQueue: { name: env.HUBSYNC_TASK_QUEUE }, taskQueueType })).pollers ?? []),
      );
      const identities = [...new Set([...workflowPollers!, ...activityPollers!].map((p) => p.identity))];
      const both = workflowPollers!.length > 0 && activityPollers!.length > 0;
      checks.push({
        name: 'worker',
        ok: both,
        detail:
          identities.length === 0
            ? `no worker polls task queue "${env.HUBSYNC_TASK_QUEUE}"`
            : `${workflowPollers!.length} workflow and ${activityPollers!.length} activity poller(s) on task queue "${env.HUBSYNC_TASK_QUEUE}": ${identities.join(', ')}`,
        ...(both ? {} : { fix: 'Start `hubsync worker` (TEMPORAL_ADDRESS, DATABASE_URL and HUBSYNC_TASK_QUEUE as the clients use), or run `npm start`.' }),
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
    const pool = createPool(databaseUrl, { max: 4, applicationName: 'hubsync-doctor' });
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
      if (databaseOk) checks.push(...(await connectionChecks(pool, () => loadSecretBox(env))));
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

  const metricsUrl = env.HUBSYNC_METRICS_URL ?? runtime?.metricsUrl;
  if (metricsUrl) checks.push(await metricsCheck(metricsUrl));

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
    const width = Math.max(18, ...checks.map((c) => c.name.length));
    for (const c of checks) {
      process.stdout.write(`${c.ok ? '✔' : '✖'} ${c.name.padEnd(width)} ${c.detail}\n`);
      if (!c.ok && c.fix) process.stdout.write(`  ${''.padEnd(width)} fix: ${c.fix}\n`);
    }
  }
  if (!checks.every((c) => c.ok)) process.exitCode = 1;
}
