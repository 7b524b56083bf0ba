/**
 * Finds a Temporal CLI to run the local dev server with, without any run-time download:
 *   1. TEMPORAL_CLI_PATH;  2. `temporal` on PATH;  3. the pinned CLI in the per-user cache;
 *   4. the pinned CLI built from the Go module proxy into that cache (once; later runs reuse it).
 * When none of these is possible the caller says what to install or set (temporal-server.ts). Nothing is
 * ever downloaded from Temporal's release servers at run time.
 */
import path from 'node:path';
import { ConfigurationError } from '../kernel/errors';
import { findOnPath, goInstallCached, isExecutable, type GoTool } from './go-tool';

export { findOnPath } from './go-tool';

/** Later tags carry a `replace` directive in go.mod, which `go install pkg@version` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';

export interface ResolvedCli {
  path: string;
  source: CliSource;
}

export class TemporalCliUnavailableError extends ConfigurationError {
  override readonly name = 'TemporalCliUnavailableError';
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'bin', 'temporal');
}

function temporalTool(cacheDir: string): GoTool {
  return {
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: TEMPORAL_CLI_VERSION,
    builtName: 'temporal',
    target: cachedCliPath(cacheDir),
    // The CLI reports the version stamped into this variable (its release builds set it the same way);
    // without it a `go install` build calls itself 0.0.0-DEV.
    ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`,
  };
}

/** Resolves the CLI from configuration, PATH or cache only: never builds. */
export function locateTemporalCli(opts: { cliPath?: string | undefined; cacheDir: string }): ResolvedCli | undefined {
  if (opts.cliPath) {
    if (!isExecutable(opts.cliPath)) {
      throw new TemporalCliUnavailableError(`TEMPORAL_CLI_PATH=${opts.cliPath} is not an executable file. Point it at a temporal binary or unset it.`);
    }
    return { path: opts.cliPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = cachedCliPath(opts.cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** Locates the CLI, building it when Go is available. Returns undefined when neither is possible. */
export async function ensureTemporalCli(
  opts: { cliPath?: string | undefined; cacheDir: string },
  log: (line: string) => void,
): Promise<ResolvedCli | undefined> {
  const found = locateTemporalCli(opts);
  if (found) return found;
  if (!findOnPath('go')) return undefined;
  return { path: await goInstallCached(temporalTool(opts.cacheDir), log), source: 'built' };
}
