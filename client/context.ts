/**
 * What CLI commands share: the environment, the hub store of the configured or running stack, and the
 * secret box. Opened per command and closed when it ends.
 */
import { Client, Connection } from '@temporalio/client';
import { HubsyncClient } from './hubsync-client';
import { dataConverterFor, payloadCodecFor } from '../workers/payload-codec';
import { createPool, type Pool } from '../activities/hub/store';
import { loadSecretBox, type SecretBox } from '../activities/hub/secrets';
import { loadEnv, type HubsyncEnv } from '../kernel/env';
import { ConfigurationError } from '../kernel/errors';
import { readRuntimeInfo, type RuntimeInfo } from '../local/runtime-file';

export interface CommandContext {
  env: HubsyncEnv;
  runtime: RuntimeInfo | undefined;
  pool: Pool;
  secretBox(): SecretBox;
  /** The typed client over the configured Temporal server (TEMPORAL_ADDRESS, else the running local stack). */
  hubsync(): Promise<HubsyncClient>;
  /** Link to a workflow in the Temporal Web UI, when the local stack serves one. */
  uiLink(workflowId: string): string | undefined;
  close(): Promise<void>;
}

export function openContext(): CommandContext {
  const env = loadEnv();
  const runtime = readRuntimeInfo(env.hubsyncHome);
  const databaseUrl = env.DATABASE_URL ?? runtime?.database.url;
  if (!databaseUrl) throw new ConfigurationError('No database: set DATABASE_URL, or start the local stack with `npm start` in another terminal.');
  const pool = createPool(databaseUrl, { max: 2, applicationName: 'hubsync-cli' });
  let box: SecretBox | undefined;
  let connection: Promise<Connection> | undefined;
  const namespace = env.TEMPORAL_ADDRESS ? env.TEMPORAL_NAMESPACE : (runtime?.temporal.namespace ?? env.TEMPORAL_NAMESPACE);
  return {
    env,
    runtime,
    pool,
    secretBox: () => (box ??= loadSecretBox(env)),
    hubsync: async () => {
      const address = env.TEMPORAL_ADDRESS ?? runtime?.temporal.address;
      if (!address) throw new ConfigurationError('No Temporal server: set TEMPORAL_ADDRESS, or start the local stack with `npm start` in another terminal.');
      connection ??= Connection.connect({ address, connectTimeout: 5000 });
      return HubsyncClient.over(new Client({ connection: await connection, namespace, ...dataConverterFor(payloadCodecFor(env.HUBSYNC_PAYLOAD_KEY)) }), pool, { secretBox: () => (box ??= loadSecretBox(env)), taskQueue: env.HUBSYNC_TASK_QUEUE });
    },
    uiLink: (workflowId) => (runtime?.temporal.uiUrl ? `${runtime.temporal.uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}` : undefined),
    close: async () => {
      await pool.end();
      if (connection) await (await connection).close();
    },
  };
}

/** Runs a command body with a context, always closing it. */
export async function withContext<T>(body: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = openContext();
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A plain text table: columns sized to their content. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const lastColumn = headers.length - 1;
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length))));
  // Columns are cut at 60 characters to keep the table readable, except the last, which nothing follows.
  const line = (r: string[]) => r.map((c, i) => (c.length > 60 && i < lastColumn ? `${c.slice(0, 57)}...` : c).padEnd(i < lastColumn ? (widths[i] ?? 0) : 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
