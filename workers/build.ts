/**
 * `npm run build [-- --out-dir DIR]`: the production build, into `dist/` unless told otherwise.
 *   1. TypeScript compiled to CommonJS JavaScript (tsconfig.build.json; tests and benchmarks left out);
 *   2. db/migrations copied beside it (`dist/db/migrations`, found by kernel/paths.ts);
 *   3. the workflow code bundled once (`dist/workflow-bundle.js`), which `hubsync worker` run from
 *      `dist/` loads with `workflowBundle: { codePath }` instead of bundling at every start.
 * The output directory is emptied first, so nothing of an older build stays behind. Run with tsx: it is a
 * development tool and is not part of the build itself.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from './bundle-workflows';

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv: string[]): { outDir: string } {
  let outDir = path.join(ROOT, 'dist');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--out-dir' && value) {
      outDir = path.resolve(value);
      i++;
    } else {
      throw new Error(`unknown argument ${String(arg)}; usage: npm run build [-- --out-dir DIR]`);
    }
  }
  return { outDir };
}

/** tsc -p tsconfig.build.json into `outDir`, in a child process (so it runs beside the bundling). */
function compile(outDir: string): Promise<void> {
  const tsc = require.resolve('typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json failed (exit ${String(code)})`))));
  });
}

/** A path relative to the working directory when it is below it (`dist/client/main.js`), else absolute. */
const shortPath = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));

/** Written first into every build: an output directory without it is not emptied (`--out-dir .` deletes nothing). */
const MARKER = '.hubsync-build';

function clearOutDir(outDir: string): void {
  if (path.relative(outDir, ROOT) === '' || !path.relative(outDir, ROOT).startsWith('..')) throw new Error(`refusing to build into ${outDir}: it holds the sources`);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0 && !fs.existsSync(path.join(outDir, MARKER))) {
    throw new Error(`refusing to empty ${outDir}: it is not the output of a build (no ${MARKER}); remove it or pick another --out-dir`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, MARKER), 'Written by `npm run build` (workers/build.ts); the next build empties this directory.\n');
}

async function build(outDir: string): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const started = Date.now();
  const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
  clearOutDir(outDir);
  const bundlePath = path.join(outDir, 'workflow-bundle.js');
  const [, bytes] = await Promise.all([
    compile(outDir).then(() => log(`compiled TypeScript to ${outDir} (${seconds(started)})`)),
    bundleWorkflows(bundlePath).then((size) => {
      log(`bundled workflows/ to ${bundlePath}: ${(size / 1024).toFixed(0)} KiB (${seconds(started)})`);
      return size;
    }),
  ]);
  fs.cpSync(path.join(ROOT, 'db', 'migrations'), path.join(outDir, 'db', 'migrations'), { recursive: true });
  log(`built ${outDir} in ${seconds(started)} (workflow bundle ${(bytes / 1024).toFixed(0)} KiB); run it with: node ${shortPath(path.join(outDir, 'client', 'main.js'))} worker`);
}

try {
  const { outDir } = parseArgs(process.argv.slice(2));
  build(outDir).catch((err: unknown) => {
    process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
