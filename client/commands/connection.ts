/**
 * `hubsync connection add|update|list|test|remove`: the CRM orgs hubsync syncs with. Secrets are encrypted
 * before they are stored and are never printed; add and update try the credentials with a real call first.
 */
import type { Command } from 'commander';
import { checkConnection, openSession } from '../../activities/sessions';
import { addConnection, getConnection, listConnections, removeConnection, updateConnection } from '../../activities/hub/connections';
import { print, printJson, table, withContext } from '../context';
import { budgetSummary, loadBudget, recordUsage, setBudgetSettings } from '../../activities/hub/budgets';
import { intOption, readConfigFile } from '../input';

interface AddOptions {
  file?: string;
  kind: string;
  baseUrl?: string;
  loginUrl?: string;
  apiVersion?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  accessToken?: string;
  tenantId?: string;
  tokenUrl?: string;
  username?: string;
  password?: string;
  check: boolean;
  json?: boolean;
}

/** The settings and secrets given on the command line (flags override the file). */
function settingsFrom(opts: AddOptions): Record<string, unknown> {
  const fromFlags = Object.fromEntries(
    Object.entries({
      baseUrl: opts.baseUrl,
      loginUrl: opts.loginUrl,
      apiVersion: opts.apiVersion,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      refreshToken: opts.refreshToken,
      accessToken: opts.accessToken,
      tenantId: opts.tenantId,
      tokenUrl: opts.tokenUrl,
      username: opts.username,
      password: opts.password,
    }).filter(([, v]) => v !== undefined),
  );
  return { ...(opts.file ? readConfigFile(opts.file) : {}), ...fromFlags };
}

/** The flags `add` and `update` share. */
function settingOptions(command: Command): Command {
  return command
    .option('--file <path>', 'JSON or YAML file with the settings below (keeps secrets out of shell history)')
    .option('--base-url <url>', 'the org URL, e.g. https://acme.my.salesforce.com (HubSpot: the API URL, default https://api.hubapi.com; Dataverse: the environment URL, e.g. https://contoso.crm.dynamics.com)')
    .option('--login-url <url>', 'Salesforce: OAuth token endpoint host (default: the base URL)')
    .option('--api-version <v>', 'Salesforce API version (default 62.0)')
    .option('--client-id <id>', 'Salesforce connected app consumer key, HubSpot OAuth app client ID, or the Entra app registration\'s Application (client) ID')
    .option('--client-secret <secret>', 'the OAuth app\'s client secret')
    .option('--refresh-token <token>', 'OAuth refresh token')
    .option('--access-token <token>', 'HubSpot private app access token (instead of an OAuth app)')
    .option('--tenant-id <tenant>', 'Dataverse: the Microsoft Entra tenant (ID or domain) of the app registration')
    .option('--token-url <url>', 'Dataverse: the OAuth token endpoint (default https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token)')
    .option('--username <name>', 'username (OAuth password flow)')
    .option('--password <password>', 'password (+ security token) for the password flow')
    .option('--no-check', 'save without trying the credentials against the CRM first')
    .option('--json', 'machine-readable output');
}

export function registerConnectionCommands(program: Command): void {
  const connection = program.command('connection').description('Manage CRM connections (orgs hubsync syncs with)');

  settingOptions(
    connection
      .command('add <id>')
      .description('Add a connection, after a real call with its credentials; secrets are encrypted at rest with HUBSYNC_SECRET_KEY')
      .option('--kind <kind>', 'CRM kind: salesforce, hubspot or dynamics (Dataverse)', 'salesforce'),
  ).action(async (id: string, opts: AddOptions) =>
    withContext(async (ctx) => {
      const box = ctx.secretBox();
      const added = await addConnection(ctx.pool, box, { ...settingsFrom(opts), id, kind: opts.kind }, opts.check ? { check: checkConnection } : {});
      if (opts.json) return printJson(added);
      print(`Added connection '${added.id}' (${added.kind}, ${added.baseUrl}); stored secrets: ${added.secretNames.join(', ')}.${opts.check ? ' The CRM accepted its credentials.' : ` Not checked: try it with \`hubsync connection test ${added.id}\`.`}`);
    }),
  );

  settingOptions(
    connection
      .command('update <id>')
      .description('Change a connection\'s settings or secrets (rotate a secret, move its URL), after a real call with the result; jobs keep using it'),
  ).action(async (id: string, opts: AddOptions) =>
    withContext(async (ctx) => {
      const box = ctx.secretBox();
      const updated = await updateConnection(ctx.pool, box, id, settingsFrom(opts), opts.check ? { check: checkConnection } : {});
      if (opts.json) return printJson(updated);
      print(`Updated connection '${updated.id}' (${updated.kind}, ${updated.baseUrl}); stored secrets: ${updated.secretNames.join(', ')}.${opts.check ? ' The CRM accepted its credentials.' : ''}`);
    }),
  );

  connection
    .command('list')
    .description('List connections (secrets are never shown)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const all = await listConnections(ctx.pool);
        if (opts.json) return printJson(all);
        if (all.length === 0) return print('No connections. Add one with `hubsync connection add <id> --base-url ... --client-id ...`.');
        print(table(['ID', 'KIND', 'BASE URL', 'LOGIN URL', 'SECRETS', 'CREATED'], all.map((c) => [c.id, c.kind, c.baseUrl, String(c.settings['loginUrl'] ?? ''), c.secretNames.join(','), c.createdAt])));
      }),
    );

  connection
    .command('test <id>')
    .description('Authenticate against the CRM and report its API usage and rate limits')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const summary = await getConnection(ctx.pool, id);
        const started = Date.now();
        const session = await openSession(ctx.pool, ctx.secretBox(), id);
        const usage = await session.apiUsage();
        await recordUsage(ctx.pool, id, usage, new Date()); // the budget jobs spend on (P6) learns it too
        const result = { id, ok: true, kind: session.kind, instanceUrl: session.instanceUrl, apiUsage: usage, elapsedMs: Date.now() - started };
        if (opts.json) return printJson(result);
        print(`✔ ${summary.id}: authenticated to ${session.instanceUrl} (${session.kind}) in ${result.elapsedMs} ms`);
        const share = `${usage.used} of ${usage.max} requests (${((usage.used / Math.max(usage.max, 1)) * 100).toFixed(1)}%)`;
        print(`  API usage ${usage.window === 'day' ? 'today' : 'in the rolling window'}: ${share}`);
        if (usage.detail) print(`  rate limit: ${usage.detail}`);
      }),
    );

  connection
    .command('budget <id>')
    .description("Show the connection's API budget (P6): the CRM's last report and the share jobs leave to write-backs; change it")
    .option('--reserve <percent>', 'percentage of a daily allowance jobs leave to write-backs (default 10)', intOption('--reserve', 0, 90))
    .option('--recheck <seconds>', 'how often a job waiting at the reserve asks the CRM again (default 300)', intOption('--recheck', 1, 86400))
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reserve?: number; recheck?: number; json?: boolean }) =>
      withContext(async (ctx) => {
        const changing = opts.reserve !== undefined || opts.recheck !== undefined;
        const state = changing ? await setBudgetSettings(ctx.pool, id, { reservePercent: opts.reserve, recheckSeconds: opts.recheck }) : (await getConnection(ctx.pool, id), await loadBudget(ctx.pool, id));
        if (opts.json) return printJson(state);
        print(`${id}:`);
        for (const line of budgetSummary(state, Date.now())) print(`  ${line}`);
      }),
    );

  connection
    .command('remove <id>')
    .description('Remove a connection (refused while jobs use it)')
    .action(async (id: string) =>
      withContext(async (ctx) => {
        await removeConnection(ctx.pool, id);
        print(`Removed connection '${id}'.`);
      }),
    );
}
