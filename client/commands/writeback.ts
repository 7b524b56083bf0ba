/**
 * `hubsync attribute list|write-back` (W1, W2, W7) and `hubsync writeback` (W3-W14): the write-back switch of
 * attributes and account assignments, and the synchronous write-back call with its outcome per data source.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { ConfigurationError, HubsyncError } from '../../kernel/errors';
import { WRITE_BACK_BUDGET_MS, WRITE_BACK_ORIGINS, type ReferenceMode, type WriteBackOrigin, type WriteBackOutcome, type WriteBackValue } from '../../kernel/writeback';
import { WriteBackRefusedError } from '../../activities/writeback/prepare';
import type { AttributeInfo } from '../../activities/writeback/settings';
import { print, printJson, table, withContext } from '../context';
import { describeFailure } from '../format';

/** Exit codes of `hubsync writeback`: every source written or unchanged; some source not; refused before any CRM call. */
export const WRITEBACK_EXIT = { ok: 0, notWritten: 1, refused: 2 } as const;

/** What `--set` collected: the changes, and the arguments that were not key=value (refused, exit 2). */
export interface CollectedSets {
  changes: Record<string, WriteBackValue>;
  malformed: string[];
}

/** `--set key=value`, repeatable; a key given twice becomes a list (a multi-value attribute); `key=` clears it. */
export function collectSet(raw: string, previous: CollectedSets = { changes: {}, malformed: [] }): CollectedSets {
  const eq = raw.indexOf('=');
  if (eq <= 0 || raw.slice(0, eq).trim() === '') return { ...previous, malformed: [...previous.malformed, raw] };
  const key = raw.slice(0, eq).trim();
  const value = raw.slice(eq + 1);
  const before = previous.changes[key];
  const next: WriteBackValue = before === undefined ? (value === '' ? null : value) : [...(Array.isArray(before) ? before : before === null ? [] : [String(before)]), value];
  return { ...previous, changes: { ...previous.changes, [key]: next } };
}

const show = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

export function formatOutcome(outcome: WriteBackOutcome): string {
  const rows = outcome.sources.map((s) => [
    s.attribute,
    s.connectionId,
    `${s.crmObject}/${s.crmId}`,
    s.crmField + (s.referenceMode ? ` (${s.referenceMode})` : ''),
    s.status,
    show(s.valueBefore),
    show(s.valueAfter),
    [s.message, s.crmMessage ? `CRM: ${s.crmMessage}` : null].filter(Boolean).join(' | '),
  ]);
  const lines = [table(['ATTRIBUTE', 'CONNECTION', 'RECORD', 'FIELD', 'STATUS', 'CRM BEFORE', 'CRM AFTER', 'MESSAGE'], rows)];
  for (const s of outcome.sources) {
    for (const r of s.refreshed) lines.push(`  micro-sync on ${s.connectionId}: ${r.attribute} (${r.crmField}) ${show(r.before) || '(empty)'} → ${show(r.after) || '(empty)'}`);
  }
  const written = outcome.sources.filter((s) => s.status === 'written' || s.status === 'unchanged').length;
  lines.push(
    `${outcome.ok ? '✔' : '✘'} request ${outcome.requestId}${outcome.replayed ? ' (replayed: the stored outcome of the first call with this request ID)' : ''}: ` +
      `${written} of ${outcome.sources.length} source(s) written or unchanged, ${outcome.durationMs} ms`,
  );
  return lines.join('\n');
}

function formatAttributes(attributes: AttributeInfo[]): string {
  const rows = attributes.flatMap((a) => {
    const sources = a.sources.length ? a.sources : [undefined];
    return sources.map((s, i) => [
      i === 0 ? a.key : '',
      i === 0 ? a.kind.replace('_', ' ') : '',
      i === 0 ? a.valueType : '',
      i === 0 ? (a.writeBack ? 'on' : 'off') : '',
      s ? s.connectionId : '(no CRM source)',
      s ? `${s.crmObject}.${s.crmField}` : '',
      s?.referenceMode ?? '',
      s ? (s.mappedBy.join(', ') || '(not mapped by any job)') : '',
    ]);
  });
  return table(['KEY', 'KIND', 'TYPE', 'WRITE-BACK', 'CONNECTION', 'CRM FIELD', 'REFERENCE MODE', 'MAPPED BY'], rows);
}

export function registerWriteBackCommands(program: Command): void {
  const attribute = program.command('attribute').description('Attributes and account assignments: their CRM sources and the write-back switch (W1, W2)');

  attribute
    .command('list')
    .description('Every attribute definition: kind, type, sources (connection, CRM object and field, reference mode) and whether write-back is on')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const attributes = await (await ctx.hubsync()).listAttributes();
        if (opts.json) return printJson(attributes);
        print(attributes.length ? formatAttributes(attributes) : 'No attributes yet: they appear once an accounts-inbound job has run.');
      }),
    );

  attribute
    .command('write-back <key> <state>')
    .description('Switch real-time write-back on or off (state: on|off); on is refused, with the reason, unless the attribute maps to an updateable CRM field')
    .option('--reference-mode <mode>', 'for a reference field such as Owner.Email: repoint (find the record with the value and point the lookup to it) or edit-referenced (change the field on the referenced record)')
    .option('--connection <id>', 'the source the reference mode is for, when the attribute comes from several connections')
    .option('--json', 'machine-readable output')
    .action((key: string, state: string, opts: { referenceMode?: string; connection?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        if (state !== 'on' && state !== 'off') throw new ConfigurationError(`state must be on or off, not '${state}'`, { fix: `hubsync attribute write-back ${key} on` });
        if (opts.referenceMode !== undefined && opts.referenceMode !== 'repoint' && opts.referenceMode !== 'edit-referenced') {
          throw new ConfigurationError(`--reference-mode must be repoint or edit-referenced, not '${opts.referenceMode}'`);
        }
        const updated = await (await ctx.hubsync()).setAttributeWriteBack(key, {
          on: state === 'on',
          ...(opts.referenceMode ? { referenceMode: opts.referenceMode as ReferenceMode } : {}),
          ...(opts.connection ? { connection: opts.connection } : {}),
        });
        if (opts.json) return printJson(updated);
        print(`Write-back for '${updated.key}' is ${updated.writeBack ? 'on' : 'off'}.`);
        print(formatAttributes([updated]));
      }),
    );

  program
    .command('writeback <account>')
    .description(
      `Write attribute changes of one account back to every CRM they came from and print the outcome per source (W5, W6); ` +
        `<account> is a hub ID or connection:crmId. Exit 0: all written or unchanged; 1: some stale, rejected or failed; 2: refused before any CRM call. ` +
        `Returns within about ${WRITE_BACK_BUDGET_MS / 1000} s whatever the CRM does.`,
    )
    .requiredOption('--set <key=value>', 'an attribute and its new value; repeat the same key for a multi-value attribute; key= clears it', collectSet)
    // Not checked here: bulk origins and typos alike reach the request's own check, which says why they are refused (W9).
    .option('--origin <origin>', `where the change was made: ${WRITE_BACK_ORIGINS.join(', ')}`, 'account-profile')
    .option('--actor <who>', 'who made the change (kept in the log)', `cli:${os.userInfo().username}`)
    .option('--request-id <id>', 'makes retries idempotent: the same ID never writes twice and returns the first outcome')
    .option('--force', 'write even where the CRM value changed since the hub last saw it (stale)')
    .option('--json', 'machine-readable output')
    .action((account: string, opts: { set: CollectedSets; origin: WriteBackOrigin; actor: string; requestId?: string; force?: boolean; json?: boolean }) =>
      withContext(async (ctx) => {
        const hubsync = await ctx.hubsync();
        let outcome: WriteBackOutcome;
        try {
          if (opts.set.malformed.length > 0) {
            throw new WriteBackRefusedError(opts.set.malformed.map((m) => `--set '${m}' is not key=value (e.g. --set tier="Tier 1"; --set products=Analytics --set products=Engage for a list; key= clears)`));
          }
          outcome = await hubsync.writeBack({
            account,
            changes: opts.set.changes,
            origin: opts.origin,
            actor: opts.actor,
            ...(opts.requestId ? { requestId: opts.requestId } : {}),
            ...(opts.force ? { force: true } : {}),
          });
        } catch (err) {
          // Refused before any CRM call (a check, or a request ID reused for other changes): exit 2.
          if (err instanceof WriteBackRefusedError || (err instanceof HubsyncError && (err.kind === 'configuration' || err.kind === 'not-found' || err.kind === 'conflict'))) {
            if (opts.json) printJson({ refused: true, code: err.code ?? err.kind, message: err.message, problems: err instanceof WriteBackRefusedError ? err.problems : [err.message] });
            else process.stderr.write(`${describeFailure(err)}\n`);
            process.exitCode = WRITEBACK_EXIT.refused;
            return;
          }
          throw err;
        }
        if (opts.json) printJson(outcome);
        else print(formatOutcome(outcome));
        process.exitCode = outcome.ok ? WRITEBACK_EXIT.ok : WRITEBACK_EXIT.notWritten;
      }),
    );
}
