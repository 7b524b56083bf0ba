/**
 * `hubsync connection add|list|test|remove`: the CRM orgs hubsync syncs with. Secrets are encrypted before
 * they are stored and are never printed.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { openSession } from '../../activities/crm/sessions';
import { addConnection, getConnection, listConnections, removeConnection } from '../../activities/hub/connections';
import { print, printJson, table, withContext } from '../context';

interface AddOptions {
  file?: string;
  kind: string;
  baseUrl?: string;
  loginUrl?: string;
  apiVersion?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  username?: string;
  password?: string;
  json?: boolean;
}

/** Reads a JSON or YAML file of settings (the way to keep secrets out of shell history). */
export function readConfigFile(file: string): Record<string, unknown> {
  const text = fs.readFileSync(file, 'utf8');
  const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: expected an object of settings`);
  return parsed as Record<string, unknown>;
}

export function registerConnectionCommands(program: Command): void {
  const connection = program.command('connection').description('Manage CRM connections (orgs hubsync syncs with)');

  connection
    .command('add <id>')
    .description('Add a connection; secrets are encrypted at rest with HUBSYNC_SECRET_KEY')
    .option('--file <path>', 'JSON or YAML file with the settings below (keeps secrets out of shell history)')
    .option('--kind <kind>', 'CRM kind', 'salesforce')
    .option('--base-url <url>', 'the org URL, e.g. https://acme.my.salesforce.com')
    .option('--login-url <url>', 'OAuth token endpoint host (default: the base URL)')
    .option('--api-version <v>', 'Salesforce API version (default 62.0)')
    .option('--client-id <id>', 'connected app consumer key')
    .option('--client-secret <secret>', 'connected app consumer secret')
    .option('--refresh-token <token>', 'OAuth refresh token')
    .option('--username <name>', 'username (OAuth password flow)')
    .option('--password <password>', 'password (+ security token) for the password flow')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: AddOptions) =>
      withContext(async (ctx) => {
        const fromFlags = Object.fromEntries(
          Object.entries({
            baseUrl: opts.baseUrl,
            loginUrl: opts.loginUrl,
            apiVersion: opts.apiVersion,
            clientId: opts.clientId,
            clientSecret: opts.clientSecret,
            refreshToken: opts.refreshToken,
            username: opts.username,
            password: opts.password,
          }).filter(([, v]) => v !== undefined),
        );
        const input = { ...(opts.file ? readConfigFile(opts.file) : {}), ...fromFlags, id, kind: opts.kind };
        const added = await addConnection(ctx.pool, ctx.secretBox(), input);
        if (opts.json) printJson(added);
        else print(`Added connection '${added.id}' (${added.kind}, ${added.baseUrl}); stored secrets: ${added.secretNames.join(', ')}. Check it with \`hubsync connection test ${added.id}\`.`);
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
    .description('Authenticate against the CRM and report the org\'s API usage')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const summary = await getConnection(ctx.pool, id);
        const started = Date.now();
        const session = await openSession(ctx.pool, ctx.secretBox(), id);
        const usage = await session.apiUsage();
        const result = { id, ok: true, kind: session.kind, instanceUrl: session.instanceUrl, apiUsage: usage, elapsedMs: Date.now() - started };
        if (opts.json) return printJson(result);
        print(`✔ ${summary.id}: authenticated to ${session.instanceUrl} (${session.kind}) in ${result.elapsedMs} ms`);
        print(`  API usage today: ${usage.used} of ${usage.max} requests (${((usage.used / Math.max(usage.max, 1)) * 100).toFixed(1)}%)`);
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
