/**
 * Builds a pinned Go command with `go install module@version` (from the Go module proxy) into a per-user
 * cache, once; later runs reuse the binary. Used for the Temporal CLI (and, by the tests, docker compose).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../kernel/errors';

export interface GoTool {
  /** Module path of the main package, e.g. github.com/temporalio/cli/cmd/temporal. */
  module: string;
  version: string;
  /** Name `go install` gives the binary: the last element of the package path. */
  builtName: string;
  /** Absolute path the binary is cached at. */
  target: string;
  /** `-ldflags` for the build, e.g. to stamp the version a module reports. */
  ldflags?: string;
}

export class GoToolUnavailableError extends ConfigurationError {
  override readonly name = 'GoToolUnavailableError';
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(command: string, envPath = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Builds into a private GOBIN and renames the result into place, so a build killed half-way, or two
 * builds at once, never leave a broken binary at the target.
 */
export async function goInstallCached(tool: GoTool, log: (line: string) => void): Promise<string> {
  if (isExecutable(tool.target)) return tool.target;
  const go = findOnPath('go');
  if (!go) throw new GoToolUnavailableError(`no Go toolchain on PATH to build ${tool.module}@${tool.version} with`);
  fs.mkdirSync(path.dirname(tool.target), { recursive: true });
  const staging = fs.mkdtempSync(`${tool.target}-build-`);
  log(`Building ${tool.module}@${tool.version} from the Go module proxy into ${path.dirname(tool.target)} (once; a few minutes on a cold cache)...`);
  const started = Date.now();
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(go, ['install', ...(tool.ldflags ? ['-ldflags', tool.ldflags] : []), `${tool.module}@${tool.version}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: [process.env['GOFLAGS'], '-buildvcs=false'].filter(Boolean).join(' ') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', resolve);
  });
  const built = path.join(staging, tool.builtName);
  try {
    if (code !== 0 || !isExecutable(built)) {
      throw new GoToolUnavailableError(`go install ${tool.module}@${tool.version} failed (exit ${code}):\n${output.slice(-4000)}`);
    }
    fs.renameSync(built, tool.target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  log(`Built ${path.basename(tool.target)} in ${Math.round((Date.now() - started) / 1000)} s: ${tool.target}`);
  return tool.target;
}
