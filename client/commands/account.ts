/**
 * `hubsync account show|link` (W5): a hub account's CRM sources, and a link set by hand between a hub account
 * and a CRM record of a connection, for accounts that matching by value (matchAccountsBy) cannot pair. The hub
 * store (and, to check the record, the CRM) is all they need, not Temporal.
 */
import type { Command } from 'commander';
import { ConfigurationError } from '../../kernel/errors';
import { getAccount, linkAccount, type AccountInfo } from '../../activities/hub/accounts';
import { openSession } from '../../activities/sessions';
import { print, printJson, table, withContext } from '../context';

function printAccount(account: AccountInfo): void {
  print(`Hub account ${account.id}: ${account.name}`);
  if (account.sources.length === 0) return print('  no CRM sources');
  print(table(['CONNECTION', 'OBJECT', 'CRM ID', 'LAST SYNCED'], account.sources.map((s) => [s.connectionId, s.crmObject, s.crmId, s.lastSyncedAt])));
}

/** `connection:crmId`, split; a CLI argument in any other form is refused with the form to use. */
export function parseCrmRecordRef(ref: string): { connectionId: string; crmId: string } {
  const colon = ref.indexOf(':');
  if (colon <= 0 || colon === ref.length - 1) throw new ConfigurationError(`'${ref}' is not a CRM record; give it as connection:crmId (e.g. hs:10000000001)`);
  return { connectionId: ref.slice(0, colon), crmId: ref.slice(colon + 1) };
}

export function registerAccountCommands(program: Command): void {
  const account = program.command('account').description('Hub accounts and their CRM sources (W5)');

  account
    .command('show <account>')
    .description('A hub account (its ID, or connection:crmId) and the CRM record it is in each connection')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const found = await getAccount(ctx.pool, ref);
        if (opts.json) return printJson(found);
        printAccount(found);
      }),
    );

  account
    .command('link <account> <crmRecord>')
    .description('Make a CRM record (connection:crmId) a source of a hub account; the connection\'s accounts-inbound job then imports it there')
    .option('--move', 'the record is another hub account\'s already: move it, with its values from that connection')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, crmRecord: string, opts: { move?: boolean; json?: boolean }) =>
      withContext(async (ctx) => {
        const { connectionId, crmId } = parseCrmRecordRef(crmRecord);
        const result = await linkAccount(ctx.pool, (id) => openSession(ctx.pool, ctx.secretBox(), id), { account: ref, connectionId, crmId, ...(opts.move ? { move: true } : {}) });
        if (opts.json) return printJson(result);
        if (result.unchanged) print(`${crmRecord} is hub account ${result.account.id}'s already; nothing changed.`);
        else print(`Linked ${crmRecord} to hub account ${result.account.id}${result.movedFrom !== null ? ` (moved from account ${result.movedFrom}, with its values from '${connectionId}')` : ''}. The next run of the connection's accounts-inbound job imports it there.`);
        printAccount(result.account);
      }),
    );
}
