/**
 * The local Temporal dev server (`temporal server start-dev`) for `npm start`, tests and benchmarks: started
 * with the best CLI available (temporal-cli.ts), waited for until it really answers, given hubsync's search
 * attributes, and stopped. An existing server (TEMPORAL_ADDRESS) is reached through workers/temporal.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES } from '../kernel/ids';
import { ensureSearchAttributes, waitForTemporal, type TemporalEndpoint } from '../workers/temporal';
import { freePort, isListening } from './ports';
import { stopChild } from './processes';
import { ensureTemporalCli, TemporalCliUnavailableError, type ResolvedCli } from './temporal-cli';
import { ConflictError } from '../kernel/errors';

export interface DevServerOptions {
  cacheDir: string;
  cliPath?: string | undefined;
  namespace?: string;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; no UI (headless) when omitted. */
  uiPort?: number;
  /** SQLite file for durable state; in memory when omitted. */
  dbFilename?: string;
  /** Where the server's own log goes (appended); discarded when omitted. */
  logFile?: string;
  /** A codec server the Web UI calls to show sealed payloads decrypted (HUBSYNC_PAYLOAD_KEY). */
  uiCodecEndpoint?: string | undefined;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

async function startWithCli(cli: ResolvedCli, opts: DevServerOptions): Promise<TemporalEndpoint> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port ?? (await freePort());
  if (await isListening(port)) {
    throw new ConflictError(`Port ${port} is already in use, so the Temporal dev server cannot start there. Stop what uses it, or set TEMPORAL_PORT (or TEMPORAL_ADDRESS to use that server).`);
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
  args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']));
  if (opts.uiPort && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFilename) {
    fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
    args.push('--db-filename', opts.dbFilename);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) args.push('--search-attribute', `${name}=${type}`);
  // Let the SDK's "continue as new suggested" flag fire early enough in tests and benchmarks alike.
  args.push('--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=10000');
  // Write-back latency (bench/writeback.ts): let a worker take the activity its workflow task schedules right
  // away (eager activity execution) instead of through the activity task queue, and let the dev server's one
  // history shard read its transfer queue more often than 20 times a second (its default, a 50 ms step in
  // every task dispatch). Both are server settings a production cluster chooses for itself.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  args.push('--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000');

  const logFd = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  // Own process group: a Ctrl-C in the terminal reaches hubsync only, which stops the worker first and
  // then this server. The exit hook is the backstop if hubsync ends any other way.
  const child = spawn(cli.path, args, { stdio: ['ignore', logFd, logFd], detached: true });
  if (typeof logFd === 'number') fs.closeSync(logFd);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (code, signal) => resolve(`exit code ${code ?? 'none'}, signal ${signal ?? 'none'}` + (opts.logFile ? `; see ${opts.logFile}` : '')));
  });
  const address = `127.0.0.1:${port}`;
  try {
    await waitForTemporal(address, namespace, { timeoutMs: opts.startTimeoutMs ?? 120000, exited });
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const endpoint: TemporalEndpoint = {
    address,
    namespace,
    origin: `local dev server (${cli.source}: ${cli.path}, pid ${child.pid})`,
    stop: () => stopChild(child),
  };
  if (opts.uiPort) endpoint.uiUrl = `http://127.0.0.1:${opts.uiPort}`;
  return endpoint;
}

/** Starts a local dev server with the best available CLI (see temporal-cli.ts for the order). */
export async function startDevServer(opts: DevServerOptions): Promise<TemporalEndpoint> {
  const log = opts.log ?? (() => undefined);
  const cli = await ensureTemporalCli({ cliPath: opts.cliPath, cacheDir: opts.cacheDir }, log);
  if (cli) return startWithCli(cli, opts);
  throw new TemporalCliUnavailableError(
    `Cannot start a local Temporal server: no temporal CLI (TEMPORAL_CLI_PATH, PATH or ${opts.cacheDir}) and no Go toolchain to build the pinned one.`,
    { fix: 'install Go (https://go.dev/dl) so hubsync builds the pinned CLI from the Go module proxy once; set TEMPORAL_CLI_PATH to a temporal binary; or set TEMPORAL_ADDRESS to an existing Temporal server' },
  );
}
