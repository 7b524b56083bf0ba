/**
 * Benchmark of the worker's start-up, from the sources and from the production build: `npm run
 * bench:worker-startup` (= `npx tsx bench/worker-startup.ts [--runs N] [--dist DIR]`).
 *
 * One throwaway PostgreSQL (migrated) and the Temporal dev server for the whole run. The production build is
 * made first with `npm run build` into a temporary directory laid out as the Docker image's runtime stage
 * (package.json, node_modules, dist/), unless --dist names an existing build. Then `hubsync worker` is started
 * N times each way (after one warm-up start each, not counted), alternating, each on a task queue of its own:
 *
 *   source    `node bin/hubsync.js worker`: tsx loads the TypeScript, and workflows/ is bundled at start-up
 *             in a child process (workers/bundle-workflows.ts), as `npx hubsync worker` runs;
 *   compiled  `node dist/client/main.js worker`: plain JavaScript and the prebuilt dist/workflow-bundle.js, as
 *             the Docker image runs.
 *
 * Measured per start: the time from spawn to the worker's polling line (migrations, which find nothing to
 * do, the Temporal connection and search attributes, the bundle, Worker.create); CPU time to that line
 * (the worker's own, plus its bundling child's once that has exited); the worker's RSS 2 s after that line,
 * and the peak RSS of the worker and of the worker with its children (sampled every 20 ms from /proc, Linux).
 * Each worker is then stopped with SIGTERM. The exit code is 1 only if a start failed or ran the wrong way.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../activities/hub/store';
import { clearProxyVariables, loadEnv } from '../kernel/env';
import { freePort } from '../local/ports';
import { startThrowawayPostgres } from '../local/postgres';
import { stopChild } from '../local/processes';
import { startDevServer } from '../local/temporal-server';
import { logger, mb, readProcStatus, secs, table } from './measure';
import { Cleanup, errorText, track } from './processes';

const ROOT = path.resolve(__dirname, '..');
const log = logger('worker-startup');

type Mode = 'source' | 'compiled';

interface Start {
  mode: Mode;
  /** Spawn to the polling line, ms. */
  readyMs: number;
  /** CPU time to the polling line, ms: the worker's and its exited children's. */
  cpuMs: number;
  /** The worker's RSS 2 s after the polling line. */
  rss: number;
  /** The worker's own peak RSS (VmHWM) by then. */
  peak: number;
  /** The highest sum of the worker's and its children's RSS seen while it started. */
  treePeak: number;
}

function parseArgs(argv: string[]): { runs: number; dist: string | undefined } {
  let runs = 5;
  let dist: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [arg, value] = [argv[i], argv[i + 1]];
    if (arg === '--runs' && value && /^[1-9]\d*$/.test(value)) runs = Number(argv[++i]);
    else if (arg === '--dist' && value) dist = path.resolve(argv[++i]!);
    else throw new Error(`unknown argument ${String(arg)}; usage: npx tsx bench/worker-startup.ts [--runs N] [--dist DIR]`);
  }
  return { runs, dist };
}

/** CPU time (user + system, and that of waited-for children) of a process so far, in ms (100 ticks a second). */
function cpuWithChildrenMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": utime, stime, cutime, cstime are fields 14-17 (indexes 11-14 here).
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
  } catch {
    return 0;
  }
}

/** The process and all its descendants, from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of fs.readdirSync(`/proc/${out[i]}/task`)) {
        const children = fs.readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // It exited meanwhile.
    }
  }
  return out;
}

async function build(cleanup: Cleanup): Promise<string> {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-bench-app-'));
  cleanup.defer('the build directory', async () => fs.rmSync(app, { recursive: true, force: true }));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  const dist = path.join(app, 'dist');
  const started = Date.now();
  log(`npm run build -- --out-dir ${dist}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build', '--', '--out-dir', dist], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`npm run build failed (exit ${String(code)})`);
  log(`built in ${secs(Date.now() - started)}`);
  return dist;
}

async function startOnce(mode: Mode, dist: string, env: NodeJS.ProcessEnv, taskQueue: string): Promise<Start> {
  const entry = mode === 'source' ? path.join(ROOT, 'bin', 'hubsync.js') : path.join(dist, 'client', 'main.js');
  const started = performance.now();
  const child = track(spawn(process.execPath, [entry, 'worker'], { env: { ...process.env, ...env, HUBSYNC_TASK_QUEUE: taskQueue }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker did not start');
  let treePeak = 0;
  const sample = () => (treePeak = Math.max(treePeak, processTree(pid).reduce((sum, p) => sum + (readProcStatus(p)?.rss ?? 0), 0)));
  const sampler = setInterval(sample, 20);
  try {
    // JSON log lines escape the quotes around the task queue.
    const polling = new RegExp(`polls task queue \\\\?"${taskQueue}\\\\?"`);
    let readyMs = 0;
    while (!readyMs) {
      if (polling.test(output)) readyMs = performance.now() - started;
      else if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${mode} worker exited (${String(child.exitCode ?? child.signalCode)}) before polling:\n${output}`);
      else if (performance.now() - started > 120000) throw new Error(`the ${mode} worker did not poll within 120 s:\n${output}`);
      else await new Promise((r) => setTimeout(r, 5));
    }
    const cpuMs = cpuWithChildrenMs(pid);
    const expected = mode === 'compiled' ? `Workflow bundle: ${path.join(dist, 'workflow-bundle.js')} (prebuilt).` : 'bundling workflows/ at start-up';
    if (!output.includes(expected)) throw new Error(`the ${mode} worker did not say "${expected}":\n${output}`);
    await new Promise((r) => setTimeout(r, 2000));
    sample();
    const status = readProcStatus(pid);
    if (!status) throw new Error(`the ${mode} worker's /proc status is gone`);
    return { mode, readyMs, cpuMs, rss: status.rss, peak: status.hwm, treePeak };
  } finally {
    clearInterval(sampler);
    await stopChild(child, { graceMs: 40000 });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

async function main(): Promise<void> {
  clearProxyVariables();
  const opts = parseArgs(process.argv.slice(2));
  const env = loadEnv();
  const cleanup = new Cleanup(log);
  cleanup.onSignals();
  try {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-bench-worker-startup-'));
    cleanup.defer('the work directory', async () => fs.rmSync(workDir, { recursive: true, force: true }));
    const dist = opts.dist ?? (await build(cleanup));
    if (!fs.existsSync(path.join(dist, 'client', 'main.js')) || !fs.existsSync(path.join(dist, 'workflow-bundle.js'))) throw new Error(`${dist} is not a build: no client/main.js or workflow-bundle.js (npm run build)`);
    log('starting PostgreSQL and the Temporal dev server...');
    const [pgStarted, temporalStarted] = await Promise.allSettled([
      freePort().then((port) => startThrowawayPostgres(port)),
      startDevServer({ cacheDir: env.cacheDir, cliPath: env.TEMPORAL_CLI_PATH, log, logFile: path.join(workDir, 'temporal.log') }),
    ]);
    if (pgStarted.status === 'fulfilled') cleanup.defer('PostgreSQL', () => pgStarted.value.stop());
    if (temporalStarted.status === 'fulfilled') cleanup.defer('Temporal', () => temporalStarted.value.stop());
    if (pgStarted.status === 'rejected') throw pgStarted.reason;
    if (temporalStarted.status === 'rejected') throw temporalStarted.reason;
    if (pgStarted.status !== 'fulfilled' || temporalStarted.status !== 'fulfilled') throw new Error('unreachable');
    await migrate(pgStarted.value.url);
    const workerEnv: NodeJS.ProcessEnv = {
      TEMPORAL_ADDRESS: temporalStarted.value.address,
      DATABASE_URL: pgStarted.value.url,
      HUBSYNC_LOG_LEVEL: 'warn',
      // No metrics endpoint: nothing to collide with, and the same work both ways.
      HUBSYNC_METRICS_PORT: '0',
    };

    const starts: Start[] = [];
    const modes: Mode[] = ['source', 'compiled'];
    for (let run = 0; run <= opts.runs; run++) {
      // Alternating which goes first spreads drift (other load, caches) over both.
      for (const mode of run % 2 ? [...modes].reverse() : modes) {
        const start = await startOnce(mode, dist, workerEnv, `bench-startup-${mode}-${run}`);
        log(`${run === 0 ? 'warm-up' : `run ${run}`} ${mode}: ready in ${secs(start.readyMs)}, CPU ${secs(start.cpuMs)}, RSS ${mb(start.rss)} (peak ${mb(start.peak)}, with children ${mb(start.treePeak)})`);
        if (run > 0) starts.push(start);
      }
    }

    const of = (mode: Mode) => starts.filter((s) => s.mode === mode);
    const rows = modes.map((mode) => {
      const s = of(mode);
      const ready = s.map((x) => x.readyMs);
      const rss = s.map((x) => x.rss);
      return [
        mode === 'source' ? 'source (tsx, bundled at start-up)' : 'compiled (dist/, prebuilt bundle)',
        `${secs(median(ready))} (${range(ready, secs)})`,
        secs(median(s.map((x) => x.cpuMs))),
        `${mb(median(rss))} (${range(rss, mb)})`,
        mb(median(s.map((x) => x.peak))),
        mb(median(s.map((x) => x.treePeak))),
      ];
    });
    const [source, compiled] = [of('source'), of('compiled')];
    const ratio = (f: (s: Start) => number) => median(source.map(f)) / median(compiled.map(f));
    const saved = (f: (s: Start) => number) => median(source.map(f)) - median(compiled.map(f));
    process.stdout.write(
      `\nhubsync worker start-up, ${opts.runs} starts each way (medians; ranges in brackets), Node ${process.version}, ${os.cpus().length} CPUs\n` +
        `${table([['way', 'spawn → polling', 'CPU to polling', 'RSS 2 s after', 'peak RSS (worker)', 'peak RSS (with children)'], ...rows])}\n\n` +
        `  compiled vs source: ready ${ratio((s) => s.readyMs).toFixed(1)}× sooner (${secs(saved((s) => s.readyMs))} less), ` +
        `${secs(saved((s) => s.cpuMs))} less CPU, RSS ${mb(saved((s) => s.rss))} less (${((1 - 1 / ratio((s) => s.rss)) * 100).toFixed(0)}%), ` +
        `peak with children ${mb(saved((s) => s.treePeak))} less\n`,
    );
  } finally {
    if (!cleanup.interrupted) await cleanup.runAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exitCode = 1;
});
