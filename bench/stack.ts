/**
 * The throwaway stack the run benchmarks (bench/inbound.ts, bench/outbound.ts) share: one PostgreSQL server,
 * the Temporal dev server and one or more Salesforce sandboxes, each in a child process of its own
 * (bench/inbound-sandbox.ts), all stopped by the cleanup list; hub databases created on that server for a
 * size, each with the bench connection to a sandbox and the accounts-inbound job; the `hubsync worker` over
 * one of them; a jsforce connection to a sandbox for the set-up and the checks around a run.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Connection as SfConnection } from 'jsforce';
import pg from 'pg';
import { openSalesforce } from '../activities/crm/salesforce/client';
import { addConnection } from '../activities/hub/connections';
import { SecretBox } from '../activities/hub/secrets';
import { createPool, migrate, type Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../activities/mapping/job-config';
import { HubsyncClient } from '../client/hubsync-client';
import { clearProxyVariables, loadEnv } from '../kernel/env';
import type { RunStats } from '../kernel/stats';
import { freePort } from '../local/ports';
import { startThrowawayPostgres, type PostgresEndpoint } from '../local/postgres';
import { startDevServer } from '../local/temporal-server';
import type { TemporalEndpoint } from '../workers/temporal';
import { Cleanup, errorText, resultOrWorkerExit, startSandboxProcess, WorkerProcess, type Sandbox } from './processes';

export const CONNECTION_ID = 'bench-sfdc';
export const ACCOUNTS_JOB = 'bench-accounts-inbound';

export interface Stack {
  workDir: string;
  postgres: PostgresEndpoint;
  temporal: TemporalEndpoint;
  /** Empty orgs (`seed: 'none'`), on the same pod: the same set-up gives the same record IDs in each. */
  sandboxes: Sandbox[];
  /** A connection to the server's `postgres` database, for CREATE DATABASE and CHECKPOINT. */
  admin: pg.Client;
  client: Client;
  box: SecretBox;
  /** The box's key, base64, for the worker and the baseline processes. */
  secretKey: string;
}

/** Starts PostgreSQL, the Temporal dev server and `sandboxes` sandbox processes side by side. */
export async function startStack(cleanup: Cleanup, log: (line: string) => void, opts: { name: string; sandboxes: number }): Promise<Stack> {
  const env = loadEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `hubsync-bench-${opts.name}-`));
  cleanup.defer('the work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  log(`starting PostgreSQL, the Temporal dev server and ${opts.sandboxes === 1 ? 'the Salesforce sandbox' : `${opts.sandboxes} Salesforce sandboxes`}...`);
  const [pgStarted, temporalStarted, ...sandboxesStarted] = await Promise.allSettled([
    freePort().then((port) => startThrowawayPostgres(port)),
    startDevServer({ cacheDir: env.cacheDir, cliPath: env.TEMPORAL_CLI_PATH, log, logFile: path.join(workDir, 'temporal.log') }),
    ...Array.from({ length: opts.sandboxes }, () => startSandboxProcess(cleanup, 'none')),
  ]);
  if (pgStarted.status === 'fulfilled') cleanup.defer('PostgreSQL', () => pgStarted.value.stop());
  if (temporalStarted.status === 'fulfilled') cleanup.defer('Temporal', () => temporalStarted.value.stop());
  for (const started of [pgStarted, temporalStarted, ...sandboxesStarted]) if (started.status === 'rejected') throw started.reason;
  if (pgStarted.status !== 'fulfilled' || temporalStarted.status !== 'fulfilled') throw new Error('unreachable');
  const sandboxes = sandboxesStarted.map((s) => (s.status === 'fulfilled' ? (s.value as Sandbox) : undefined)).filter((s): s is Sandbox => s !== undefined);
  const postgres = pgStarted.value;

  const serverUrl = new URL(postgres.url);
  serverUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  // A Ctrl-C reaches PostgreSQL too, which then ends this connection: not a crash, the cleanup follows.
  admin.on('error', () => undefined);
  await admin.connect();
  cleanup.defer('the admin connection', () => admin.end());
  const connection = await Connection.connect({ address: temporalStarted.value.address });
  cleanup.defer('the Temporal client', () => connection.close());
  const secretKey = randomBytes(32).toString('base64');
  return { workDir, postgres, temporal: temporalStarted.value, sandboxes, admin, client: new Client({ connection }), box: new SecretBox(Buffer.from(secretKey, 'base64')), secretKey };
}

/** The accounts-inbound template for a `seed: 'none'` org, which has no custom fields: key, name and owner. */
export function accountsConfig(): JobConfig {
  const accounts = configFromTemplate('accounts-inbound');
  accounts.mapping = accounts.mapping.filter((r) => ['Id', 'Name', 'Owner.Email'].includes(r.crmField));
  return accounts;
}

/** One empty, migrated hub database on the stack's server (dropped first if a run before left it). */
export async function createHubDatabase(stack: Stack, name: string): Promise<{ url: string; pool: Pool }> {
  await stack.admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await stack.admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(stack.postgres.url);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrate(url);
  return { url, pool: createPool(url, { max: 4, applicationName: 'hubsync-bench' }) };
}

/** One empty, migrated hub database on the stack's server, with the bench connection to `sandbox` and the accounts job. */
export async function createHub(stack: Stack, name: string, sandbox: Sandbox): Promise<{ url: string; pool: Pool }> {
  const hub = await createHubDatabase(stack, name);
  await addConnection(hub.pool, stack.box, { id: CONNECTION_ID, kind: 'salesforce', baseUrl: sandbox.url, ...sandbox.credentials });
  await createValidatedJob(hub.pool, stack.box, { id: ACCOUNTS_JOB, connectionId: CONNECTION_ID, config: accountsConfig() });
  return hub;
}

/** A `hubsync worker` process over the hub database at `databaseUrl`, logging warnings only. */
export function startWorker(stack: Stack, databaseUrl: string): WorkerProcess {
  return new WorkerProcess({
    TEMPORAL_ADDRESS: stack.temporal.address,
    DATABASE_URL: databaseUrl,
    HUBSYNC_SECRET_KEY: stack.secretKey,
    HUBSYNC_HOME: path.join(stack.workDir, 'hubsync-home'),
    HUBSYNC_LOG_LEVEL: 'warn',
  });
}

/** The environment of a baseline process: its hub, the secret key, the connection (the Salesforce one unless given). */
export const baselineEnv = (stack: Stack, databaseUrl: string, connectionId = CONNECTION_ID) => ({ BENCH_DATABASE_URL: databaseUrl, HUBSYNC_SECRET_KEY: stack.secretKey, BENCH_CONNECTION_ID: connectionId });

/** jsforce on a sandbox as the admin user, opened as the worker opens its own. */
export function openSandboxConnection(sandbox: Sandbox): Promise<SfConnection> {
  const c = sandbox.credentials;
  return openSalesforce({ id: CONNECTION_ID, baseUrl: sandbox.url, settings: { loginUrl: sandbox.url, clientId: c.clientId }, secrets: { clientSecret: c.clientSecret, refreshToken: c.refreshToken } });
}

/**
 * A run benchmark's main: proxies cleared (all its traffic is loopback), the stack started, `body` run, and
 * everything stopped at the end, on failure and on Ctrl-C; a failure is printed and exits 1.
 */
export function runBench(log: (line: string) => void, opts: { name: string; sandboxes: number }, body: (stack: Stack, cleanup: Cleanup) => Promise<void>): void {
  const main = async () => {
    clearProxyVariables();
    const cleanup = new Cleanup(log);
    cleanup.onSignals();
    try {
      await body(await startStack(cleanup, log, opts), cleanup);
    } finally {
      if (!cleanup.interrupted) await cleanup.runAll();
    }
  };
  main().catch((err: unknown) => {
    process.stderr.write(`${errorText(err)}\n`);
    process.exitCode = 1;
  });
}

/**
 * Not measured: each side imports the accounts (the parents of its tasks) with a run of its own, the worker
 * through a workflow on `pool`'s hub, the baseline in its loop; both must create `expected` accounts.
 */
export async function importAccounts(stack: Stack, side: { pool: Pool; worker: WorkerProcess }, baselineImport: () => Promise<{ stats: RunStats }>, expected: number): Promise<void> {
  const run = await HubsyncClient.over(stack.client, side.pool).startRun(ACCOUNTS_JOB, 'full');
  const workflow = await resultOrWorkerExit(stack.client, side.worker, () => run.result());
  const baseline = await baselineImport();
  if (workflow.stats.created !== expected || baseline.stats.created !== expected) {
    throw new Error(`accounts import: created ${workflow.stats.created} (workflow) and ${baseline.stats.created} (baseline), expected ${expected}`);
  }
}
