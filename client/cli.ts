/**
 * The `hubsync` command line. Every command has --help; commands that print data take --json.
 */
import { Command } from 'commander';
import { migrate } from '../activities/hub/store';
import { loadEnv } from '../kernel/env';
import { ConfigurationError } from '../kernel/errors';
import { describeFailure } from './format';
import { registerAccountCommands } from './commands/account';
import { registerConnectionCommands } from './commands/connection';
import { doctorCommand } from './commands/doctor';
import { registerHubCommands } from './commands/hub';
import { registerJobCommands } from './commands/job';
import { registerSandboxCommands } from './commands/sandbox';
import { codecServerCommand } from './commands/codec-server';
import { startCommand } from './commands/start';
import { registerTemporalCommand } from './commands/temporal';
import { registerWriteBackCommands } from './commands/writeback';
import { workerCommand } from '../workers/main';
import { readRuntimeInfo } from '../local/runtime-file';

export function buildProgram(): Command {
  const program = new Command('hubsync')
    .description('Sync a customer-success hub with the CRMs that stay its systems of record (Temporal + PostgreSQL).')
    .showHelpAfterError()
    // Options after a subcommand belong to it (`hubsync temporal workflow list --query …` passes them on).
    .enablePositionalOptions()
    .configureHelp({ sortSubcommands: true });

  program
    .command('start')
    .description('Start everything locally (PostgreSQL, Temporal dev server + UI, worker) until Ctrl-C; the same as `npm start`')
    .action(startCommand);

  program
    .command('doctor')
    .description('Report what is configured and whether Temporal, its UI, the database, the sandboxes and a worker answer')
    .option('--json', 'machine-readable output')
    .action(doctorCommand);

  program
    .command('worker')
    .description('Run a worker process only (production): needs TEMPORAL_ADDRESS and DATABASE_URL')
    .action(workerCommand);

  program
    .command('codec-server')
    .description('Serve the payload codec of HUBSYNC_PAYLOAD_KEY for the Temporal UI (POST /decode, /encode) until Ctrl-C')
    .option('--port <n>', 'port to listen on, 0 for any free port', '8888')
    .option('--ui-origin <url...>', 'browser origins allowed to call it (the Temporal UI), e.g. http://localhost:8233', ['http://localhost:8233', 'http://127.0.0.1:8233'])
    .action(codecServerCommand);

  program
    .command('migrate')
    .description('Apply pending database migrations (db/migrations) to DATABASE_URL or the running local stack')
    .action(async () => {
      const env = loadEnv();
      const url = env.DATABASE_URL ?? readRuntimeInfo(env.hubsyncHome)?.database.url;
      if (!url) throw new ConfigurationError('No database: set DATABASE_URL, or start the local stack with `npm start`.');
      const { applied } = await migrate(url);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Schema is up to date.\n');
    });

  registerAccountCommands(program);
  registerConnectionCommands(program);
  registerHubCommands(program);
  registerJobCommands(program);
  registerSandboxCommands(program);
  registerTemporalCommand(program);
  registerWriteBackCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

export { describeFailure };
