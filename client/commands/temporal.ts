/**
 * `hubsync temporal <args…>`: the pinned Temporal CLI that hubsync runs its dev server with, pointed at
 * hubsync's Temporal (TEMPORAL_ADDRESS, else the running local stack). The binary lives in the per-user
 * cache, not on PATH, so the README's `temporal …` examples are run through this.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ConfigurationError } from '../../kernel/errors';
import { loadEnv } from '../../kernel/env';
import { readRuntimeInfo } from '../../local/runtime-file';
import { ensureTemporalCli } from '../../local/temporal-cli';

export function registerTemporalCommand(program: Command): void {
  program
    .command('temporal')
    .description("Run the pinned Temporal CLI against hubsync's Temporal server, e.g. `hubsync temporal workflow list`")
    .argument('[args...]', 'what to pass to the temporal CLI')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      const env = loadEnv();
      const runtime = readRuntimeInfo(env.hubsyncHome);
      const cli = await ensureTemporalCli({ cliPath: env.TEMPORAL_CLI_PATH, cacheDir: env.cacheDir }, (line) => process.stderr.write(`${line}\n`));
      if (!cli) throw new ConfigurationError('No Temporal CLI: none on TEMPORAL_CLI_PATH, PATH or in the cache, and no Go toolchain to build it.', { fix: 'install Go (hubsync builds the pinned CLI once), or set TEMPORAL_CLI_PATH' });
      const address = env.TEMPORAL_ADDRESS ?? runtime?.temporal.address;
      const namespace = env.TEMPORAL_ADDRESS ? env.TEMPORAL_NAMESPACE : (runtime?.temporal.namespace ?? env.TEMPORAL_NAMESPACE);
      // The Temporal CLI reads its --address and --namespace defaults from these variables.
      const childEnv = { ...process.env, ...(address ? { TEMPORAL_ADDRESS: address } : {}), TEMPORAL_NAMESPACE: namespace };
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(cli.path, args, { stdio: 'inherit', env: childEnv });
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
      });
      process.exitCode = code;
    });
}
