/**
 * `hubsync sandbox salesforce`: runs the local Salesforce REST API sandbox until Ctrl-C. The first line of
 * output is the base URL and the credentials (scripts read it); the org is saved on exit with --data-dir.
 */
import path from 'node:path';
import { type Command } from 'commander';
import { clientSnippet, startSalesforceSandbox, type SalesforceSandboxHandle } from '../../sandbox/salesforce';
import { clearProxyVariables, loadEnv } from '../../kernel/env';
import { ConfigurationError, ConflictError } from '../../kernel/errors';

export interface SandboxSalesforceOptions {
  port?: string;
  seed?: string;
  dataDir?: string;
}

/** The one-line summary: base URL and every credential a client needs. */
export function sandboxCredentialsLine(sandbox: Pick<SalesforceSandboxHandle, 'url' | 'credentials'>): string {
  const c = sandbox.credentials;
  return `Salesforce sandbox: ${sandbox.url} username=${c.username} password=${c.password} securityToken=${c.securityToken} clientId=${c.clientId} clientSecret=${c.clientSecret} refreshToken=${c.refreshToken}`;
}

export async function sandboxSalesforceCommand(opts: SandboxSalesforceOptions): Promise<void> {
  clearProxyVariables();
  const env = loadEnv();
  const port = opts.port === undefined ? env.HUBSYNC_SFDC_SANDBOX_PORT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`--port: expected a port number (0 for any free port), got ${String(opts.port)}`);
  const seed = opts.seed ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new ConfigurationError(`--seed: expected demo or none, got ${seed}`);
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : undefined;

  let sandbox: SalesforceSandboxHandle;
  try {
    sandbox = await startSalesforceSandbox({ port, seed, ...(dataDir ? { dataDir } : {}) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ConflictError(`Port ${port} is already in use, so the Salesforce sandbox cannot listen there.`, { fix: 'pick another with --port N (0 for any free port), or stop what uses it' });
    }
    throw err;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(sandboxCredentialsLine(sandbox));
  log(`  ${clientSnippet(sandbox.url)}`);
  log(`  admin API: ${sandbox.url}/__admin/health (see README.md "Salesforce sandbox")`);
  log(`  data: ${dataDir ? `saved to ${dataDir}` : 'in memory only (use --data-dir to keep it)'}`);
  log('Press Ctrl-C to stop.');

  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`\n${signal}: stopping the Salesforce sandbox${dataDir ? ` (saving to ${dataDir})` : ''}...`);
      sandbox.close().then(() => {
        log('Stopped.');
        resolve();
      }, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', stop);
  });
}

/** `hubsync sandbox <crm>`: one subcommand per CRM sandbox. */
export function registerSandboxCommands(program: Command): void {
  program
    .command('sandbox')
    .description('Run a local CRM sandbox until Ctrl-C')
    .command('salesforce')
    .description('Serve the Salesforce REST API sandbox (demo org; prints its URL and credentials on the first line)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: HUBSYNC_SFDC_SANDBOX_PORT, 8383)')
    .option('--seed <dataset>', 'what a fresh org holds: demo or none', 'demo')
    .option('--data-dir <dir>', 'load the org from DIR and save it there (periodically and on exit)')
    .action(sandboxSalesforceCommand);
}
