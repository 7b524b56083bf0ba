/**
 * `hubsync hub task|touchpoint|campaign-touch create|update|delete|show|list`: the hub's own records, written as
 * the hub's application writes them (to try an outbound job by hand, T3, T5, T6). The hub store alone is
 * needed, not Temporal. Values go to the API as given: its check names every problem, here by the option.
 */
import { Option, type Command } from 'commander';
import {
  createHubRecord,
  deleteHubRecord,
  ENTITY_LABEL,
  getHubRecord,
  HUB_RECORD_ENTITIES,
  HubRecordRefusedError,
  listHubRecords,
  updateHubRecord,
  type HubRecordEntity,
  type HubRecordInputs,
  type HubRecordPatch,
  type HubRecordParticipant,
  type ParticipantInput,
} from '../../activities/hub/records';
import { ConfigurationError } from '../../kernel/errors';
import { print, printJson, table, withContext } from '../context';

interface FieldOption {
  flag: string;
  field: string;
  help: string;
  /** A whole number on the command line. */
  number?: true;
  /** A column of `list`. */
  listed?: true;
}

const FIELD_OPTIONS: Record<HubRecordEntity, FieldOption[]> = {
  task: [
    { flag: '--title <text>', field: 'title', help: 'what is to be done (required)', listed: true },
    { flag: '--description <text>', field: 'description', help: 'details' },
    { flag: '--status <status>', field: 'status', help: 'e.g. "Not Started", "Completed"', listed: true },
    { flag: '--priority <priority>', field: 'priority', help: 'e.g. Normal, High', listed: true },
    { flag: '--due <date>', field: 'dueDate', help: 'due date, YYYY-MM-DD', listed: true },
    { flag: '--assignee <email>', field: 'assigneeEmail', help: 'the hub user who is to do it', listed: true },
    { flag: '--assigner <email>', field: 'assignerEmail', help: 'the hub user who asked for it' },
  ],
  touchpoint: [
    { flag: '--subject <text>', field: 'subject', help: 'subject (a subject or content is required, T20)', listed: true },
    { flag: '--content <text>', field: 'content', help: 'what was said or done' },
    { flag: '--date <datetime>', field: 'touchpointDate', help: 'when: ISO 8601 with its offset, e.g. 2026-12-10T09:30:00Z', listed: true },
    { flag: '--type <type>', field: 'touchpointType', help: 'e.g. Meeting, Call', listed: true },
    { flag: '--creator <email>', field: 'creatorEmail', help: 'the hub user who logged it', listed: true },
  ],
  campaign_touch: [
    { flag: '--name <name>', field: 'campaignName', help: 'the campaign (required)', listed: true },
    { flag: '--kind <kind>', field: 'campaignKind', help: 'ongoing or one_time (required)', listed: true },
    { flag: '--recipients <n>', field: 'recipientCount', help: 'how many of the account\'s users it went to (required)', number: true, listed: true },
    { flag: '--sender <email>', field: 'senderEmail', help: 'the sender\'s address (required)', listed: true },
    { flag: '--start <datetime>', field: 'startDate', help: 'when it started: ISO 8601 date-time, or a date (midnight UTC) (required)', listed: true },
    { flag: '--description <text>', field: 'description', help: 'details' },
    { flag: '--created-by <email>', field: 'createdByEmail', help: 'the hub user who created it' },
  ],
};

/** Options every entity shares, by the API field they set. */
const COMMON_FLAGS: Record<string, string> = { accountId: '--account', limit: '--limit', id: '<id>', participants: '--participant' };

const cliName = (entity: HubRecordEntity) => entity.replace('_', '-');
const attributeOf = (flag: string) => new Option(flag).attributeName();
const flagName = (flag: string) => flag.split(' ')[0]!;
/** A whole number as a number; anything else as given, for the API's check to name. */
const numberOr = (value: string): unknown => (/^\s*-?\d+\s*$/.test(value) ? Number(value) : value);

/** `--participant email[:Name]`, repeatable. */
function collectParticipant(raw: string, previous: ParticipantInput[] = []): ParticipantInput[] {
  const colon = raw.indexOf(':');
  return [...previous, colon < 0 ? { email: raw } : { email: raw.slice(0, colon), name: raw.slice(colon + 1) }];
}

/** The option that sets an API field (`participants[1].email` → `--participant #2`). */
function flagOf(entity: HubRecordEntity, field: string): string {
  return field
    .split(', ')
    .map((f) => {
      const participant = /^participants\[(\d+)\]/.exec(f);
      if (participant) return `--participant #${Number(participant[1]) + 1}`;
      const option = FIELD_OPTIONS[entity].find((o) => o.field === f);
      return option ? flagName(option.flag) : (COMMON_FLAGS[f] ?? f);
    })
    .join(', ');
}

/** Runs an API call; a refusal comes back with each problem named by its option. */
async function withOptionNames<T>(entity: HubRecordEntity, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof HubRecordRefusedError) throw new HubRecordRefusedError(err.headline, err.problems.map((p) => ({ ...p, field: flagOf(entity, p.field) })));
    throw err;
  }
}

type Mode = 'create' | 'update';

function fieldOptions(command: Command, entity: HubRecordEntity, mode: Mode): Command {
  for (const o of FIELD_OPTIONS[entity]) command.option(o.flag, mode === 'update' ? `${o.help.replace(' (required)', '')}; "" clears it` : o.help);
  if (entity === 'touchpoint') {
    command.option('--participant <email[:name]>', `a participant, repeatable${mode === 'update' ? '; replaces the stored participants' : ''} (T23)`, collectParticipant);
    if (mode === 'update') command.option('--no-participants', 'remove every participant');
  }
  return command.option('--json', 'machine-readable output');
}

/** The API fields the options set; on update "" clears a field. */
function fieldsFrom(entity: HubRecordEntity, opts: Record<string, unknown>, mode: Mode): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const o of FIELD_OPTIONS[entity]) {
    const value = opts[attributeOf(o.flag)];
    if (typeof value === 'string') fields[o.field] = mode === 'update' && value === '' ? null : o.number ? numberOr(value) : value;
  }
  if (opts['participant'] && opts['participants'] === false) throw new ConfigurationError('Give --participant or --no-participants, not both.', { fix: '--participant alone sets the participants; --no-participants alone removes them' });
  if (opts['participant']) fields['participants'] = opts['participant'];
  if (opts['participants'] === false) fields['participants'] = [];
  return fields;
}

const shown = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));
const participantText = (p: HubRecordParticipant) => `${p.email ?? `${p.connectionId}:${p.crmContactId}`}${p.name ? ` (${p.name})` : ''}`;

function describeRecord(entity: HubRecordEntity, record: Record<string, unknown>): string {
  const rows: Array<[string, string]> = FIELD_OPTIONS[entity].map((o) => [o.field, shown(record[o.field])]);
  if (entity === 'touchpoint') rows.push(['participants', (record['participants'] as HubRecordParticipant[]).map(participantText).join(', ') || '-']);
  rows.push(['externalId', shown(record['externalId'] ?? '(not synced to a CRM yet)')], ['createdAt', shown(record['createdAt'])], ['updatedAt', shown(record['updatedAt'])]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}`).join('\n');
}

function printRecord(entity: HubRecordEntity, record: object, json: boolean | undefined, headline: string): void {
  if (json) return printJson(record);
  print(headline);
  print(describeRecord(entity, record as Record<string, unknown>));
}

function registerEntityCommands(hub: Command, entity: HubRecordEntity): void {
  const { one, many } = ENTITY_LABEL[entity];
  const name = cliName(entity);
  const title = `${one.charAt(0).toUpperCase()}${one.slice(1)}`;
  const group = hub.command(name).description(`Create, change, delete, show and list the hub's ${many}`);

  fieldOptions(group.command('create').description(`Create a ${one} on a hub account; refused, with every problem and nothing written, unless the input passes`).option('--account <id>', 'the hub account (required)'), entity, 'create').action(
    (opts: Record<string, unknown> & { account?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        // The CLI's edge: the API checks the input whatever its type says, and names every problem.
        const input = { ...(opts.account === undefined ? {} : { accountId: numberOr(opts.account) }), ...fieldsFrom(entity, opts, 'create') } as unknown as HubRecordInputs[typeof entity];
        const record = await withOptionNames(entity, () => createHubRecord(ctx.pool, entity, input));
        printRecord(entity, record, opts.json, `Created ${one} ${record.id} on account ${record.accountId}.`);
      }),
  );

  fieldOptions(group.command('update <id>').description(`Change the fields given of a ${one}; the others stay as they are`), entity, 'update').action((id: string, opts: Record<string, unknown> & { json?: boolean }) =>
    withContext(async (ctx) => {
      const patch = fieldsFrom(entity, opts, 'update') as HubRecordPatch<typeof entity>;
      if (Object.keys(patch).length === 0) throw new ConfigurationError(`Nothing to change: give at least one option (see \`hubsync hub ${name} update --help\`).`);
      const record = await withOptionNames(entity, () => updateHubRecord(ctx.pool, entity, numberOr(id) as number, patch));
      printRecord(entity, record, opts.json, `Updated ${one} ${record.id} (updated at ${record.updatedAt}).`);
    }),
  );

  group
    .command('delete <id>')
    .description(`Delete a ${one}; its tombstone lets outbound jobs delete the CRM record it is linked to (T19)`)
    .option('--json', 'machine-readable output: the record as it was')
    .action((id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const record = await withOptionNames(entity, () => deleteHubRecord(ctx.pool, entity, numberOr(id) as number));
        if (opts.json) return printJson(record);
        print(`Deleted ${one} ${record.id} (account ${record.accountId}).`);
      }),
    );

  group
    .command('show <id>')
    .description(`Show a ${one}`)
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const record = await withOptionNames(entity, () => getHubRecord(ctx.pool, entity, numberOr(id) as number));
        printRecord(entity, record, opts.json, `${title} ${record.id} on account ${record.accountId}`);
      }),
    );

  group
    .command('list')
    .description(`List ${many}, most recently updated first`)
    .option('--account <id>', 'only those of this hub account')
    .option('--limit <n>', 'at most this many, 1 to 1000', '50')
    .option('--json', 'machine-readable output')
    .action((opts: { account?: string; limit: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const records = await withOptionNames(entity, () =>
          listHubRecords(ctx.pool, entity, { ...(opts.account === undefined ? {} : { accountId: numberOr(opts.account) as number }), limit: numberOr(opts.limit) as number }),
        );
        if (opts.json) return printJson(records);
        if (records.length === 0) return print(`No ${many}${opts.account ? ` on account ${opts.account}` : ''}. Create one with \`hubsync hub ${name} create --account <id> ...\`.`);
        const columns = FIELD_OPTIONS[entity].filter((o) => o.listed);
        print(
          table(
            ['ID', 'ACCOUNT', ...columns.map((o) => flagName(o.flag).slice(2).toUpperCase()), ...(entity === 'touchpoint' ? ['PARTICIPANTS'] : []), 'UPDATED'],
            records.map((r) => {
              const fields = r as unknown as Record<string, unknown>;
              return [r.id, r.accountId, ...columns.map((o) => shown(fields[o.field])), ...(entity === 'touchpoint' ? [(fields['participants'] as unknown[]).length] : []), r.updatedAt];
            }),
          ),
        );
      }),
    );
}

export function registerHubCommands(program: Command): void {
  const hub = program.command('hub').description("The hub's own tasks, touchpoints and campaign touches, written as the hub's application writes them (outbound jobs pick the changes up)");
  for (const entity of HUB_RECORD_ENTITIES) registerEntityCommands(hub, entity);
}
