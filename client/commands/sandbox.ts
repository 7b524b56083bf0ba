/**
 * `hubsync sandbox salesforce`, `hubsync sandbox hubspot` and `hubsync sandbox dynamics`: run a local CRM API sandbox until Ctrl-C. The
 * first line of output is the base URL and the credentials (scripts read it); with --data-dir the sandbox
 * loads its data from there and saves it on exit.
 */
import path from 'node:path';
import { type Command } from 'commander';
import { clientSnippet as dynamicsClientSnippet, startDynamicsSandbox, type DynamicsSandboxHandle } from '../../sandbox/dynamics';
import { startHubSpotSandbox, type HubSpotSandboxHandle } from '../../sandbox/hubspot';
import { clientSnippet, startSalesforceSandbox, type SalesforceSandboxHandle } from '../../sandbox/salesforce';
import { clearProxyVariables, loadEnv } from '../../kernel/env';
import { ConfigurationError, ConflictError } from '../../kernel/errors';

/** The HubSpot sandbox's default port (kernel/env.ts has no variable for it). */

export interface SandboxOptions {
  port?: string;
  seed?: string;
  dataDir?: string;
}

/** The one-line summary: base URL and every credential a client needs. */
export function sandboxCredentialsLine(sandbox: Pick<SalesforceSandboxHandle, 'url' | 'credentials'>): string {
  const c = sandbox.credentials;
  return `Salesforce sandbox: ${sandbox.url} username=${c.username} password=${c.password} securityToken=${c.securityToken} clientId=${c.clientId} clientSecret=${c.clientSecret} refreshToken=${c.refreshToken}`;
}

/** The HubSpot sandbox's one-line summary: base URL, private-app token and the OAuth app. */
export function hubSpotCredentialsLine(sandbox: Pick<HubSpotSandboxHandle, 'url' | 'accessToken' | 'oauth'>): string {
  const { clientId, clientSecret, refreshToken } = sandbox.oauth;
  return `HubSpot sandbox: ${sandbox.url} accessToken=${sandbox.accessToken} clientId=${clientId} clientSecret=${clientSecret} refreshToken=${refreshToken}`;
}

/** The Dynamics sandbox's one-line summary: server URL, token endpoint and the app registration's credentials. */
export function dynamicsCredentialsLine(sandbox: Pick<DynamicsSandboxHandle, 'url' | 'tokenUrl' | 'tenantId' | 'clientId' | 'clientSecret'>): string {
  return `Dynamics sandbox: ${sandbox.url} tokenUrl=${sandbox.tokenUrl} tenant=${sandbox.tenantId} clientId=${sandbox.clientId} clientSecret=${sandbox.clientSecret}`;
}

/** A sandbox command's flags, checked; `defaultPort` when --port is absent. */
function sandboxFlags(opts: SandboxOptions, defaultPort: number): { port: number; seed: 'demo' | 'none'; dataDir: string | undefined } {
  const port = opts.port === undefined ? defaultPort : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`--port: expected a port number (0 for any free port), got ${String(opts.port)}`);
  const seed = opts.seed ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new ConfigurationError(`--seed: expected demo or none, got ${seed}`);
  return { port, seed, dataDir: opts.dataDir ? path.resolve(opts.dataDir) : undefined };
}

/**
 * Starts a sandbox (a port in use becomes a ConflictError with the fix), prints `lines` (the credentials line
 * first), and serves until SIGINT, SIGTERM or SIGHUP, then closes it (which saves it with a data directory).
 */
async function serveSandbox<H extends { close(): Promise<void> }>(crm: string, flags: { port: number; dataDir: string | undefined }, start: () => Promise<H>, lines: (sandbox: H) => string[]): Promise<void> {
  let sandbox: H;
  try {
    sandbox = await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ConflictError(`Port ${flags.port} is already in use, so the ${crm} sandbox cannot listen there.`, { fix: 'pick another with --port N (0 for any free port), or stop what uses it' });
    }
    throw err;
  }
  const { dataDir } = flags;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  for (const line of lines(sandbox)) log(line);
  log(`  data: ${dataDir ? `saved to ${dataDir}` : 'in memory only (use --data-dir to keep it)'}`);
  log('Press Ctrl-C to stop.');

  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`\n${signal}: stopping the ${crm} sandbox${dataDir ? ` (saving to ${dataDir})` : ''}...`);
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

export async function sandboxSalesforceCommand(opts: SandboxOptions): Promise<void> {
  clearProxyVariables();
  const flags = sandboxFlags(opts, loadEnv().HUBSYNC_SFDC_SANDBOX_PORT);
  const { port, seed, dataDir } = flags;
  await serveSandbox(
    'Salesforce',
    flags,
    () => startSalesforceSandbox({ port, seed, ...(dataDir ? { dataDir } : {}) }),
    (sandbox) => [sandboxCredentialsLine(sandbox), `  ${clientSnippet(sandbox.url)}`, `  admin API: ${sandbox.url}/__admin/health (see README.md "Salesforce sandbox")`],
  );
}

export async function sandboxHubSpotCommand(opts: SandboxOptions): Promise<void> {
  clearProxyVariables();
  const flags = sandboxFlags(opts, loadEnv().HUBSYNC_HUBSPOT_SANDBOX_PORT);
  const { port, seed, dataDir } = flags;
  await serveSandbox(
    'HubSpot',
    flags,
    () => startHubSpotSandbox({ port, seed, ...(dataDir ? { dataDir } : {}) }),
    (sandbox) => [
      hubSpotCredentialsLine(sandbox),
      `  @hubspot/api-client: new Client({ accessToken: '${sandbox.accessToken}', basePath: '${sandbox.url}' })`,
      `  portal ID: ${sandbox.portalId}; admin API: ${sandbox.url}/__admin/health (see README.md "HubSpot sandbox")`,
    ],
  );
}

export async function sandboxDynamicsCommand(opts: SandboxOptions): Promise<void> {
  clearProxyVariables();
  const flags = sandboxFlags(opts, loadEnv().HUBSYNC_DYNAMICS_SANDBOX_PORT);
  const { port, seed, dataDir } = flags;
  await serveSandbox(
    'Dynamics',
    flags,
    () => startDynamicsSandbox({ port, seed, ...(dataDir ? { dataDir } : {}) }),
    (sandbox) => [dynamicsCredentialsLine(sandbox), `  ${dynamicsClientSnippet(sandbox)}; scope=${sandbox.scope}`, `  admin API: ${sandbox.url}/__admin/health (see README.md "Dynamics 365 sandbox")`],
  );
}

/** `hubsync sandbox <crm>`: one subcommand per CRM sandbox. */
export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command('sandbox').description('Run a local CRM sandbox until Ctrl-C');
  sandbox
    .command('salesforce')
    .description('Serve the Salesforce REST API sandbox (demo org; prints its URL and credentials on the first line)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: HUBSYNC_SFDC_SANDBOX_PORT, 8383)')
    .option('--seed <dataset>', 'what a fresh org holds: demo or none', 'demo')
    .option('--data-dir <dir>', 'load the org from DIR and save it there (periodically and on exit)')
    .action(sandboxSalesforceCommand);
  sandbox
    .command('hubspot')
    .description('Serve the HubSpot CRM API sandbox (demo portal; prints its URL, access token and OAuth app on the first line)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: HUBSYNC_HUBSPOT_SANDBOX_PORT, 8384)')
    .option('--seed <dataset>', 'what a fresh portal holds: demo or none', 'demo')
    .option('--data-dir <dir>', 'load the portal from DIR and save it there (periodically and on exit)')
    .action(sandboxHubSpotCommand);
  sandbox
    .command('dynamics')
    .description('Serve the Dynamics 365 (Dataverse) Web API sandbox (demo org; prints its URL, token endpoint and client credentials on the first line)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: HUBSYNC_DYNAMICS_SANDBOX_PORT, 8385)')
    .option('--seed <dataset>', 'what a fresh org holds: demo or none', 'demo')
    .option('--data-dir <dir>', 'load the org from DIR and save it there (periodically and on exit)')
    .action(sandboxDynamicsCommand);
}
