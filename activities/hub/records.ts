/**
 * Hub tasks, touchpoints and campaign touches as the hub's own application writes them (so do the demo and
 * tests): plain rows, checked first. Outbound jobs find these changes through the database's own triggers
 * (db/migrations/1732180000004_outbound.sql: updated_at is stamped on every change, a deletion leaves a
 * tombstone, a participant change stamps its touchpoint), so nothing here sets updated_at, and nothing sets
 * external_id, the key hubsync matches the CRM record by (T13).
 */
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { toIsoDateTime } from '../../kernel/datetime';
import { ConfigurationError, NotFoundError } from '../../kernel/errors';
import type { HubEntity } from '../../kernel/job-kinds';
import { describeIssue } from '../../kernel/zod-issues';
import { unsafeText } from '../../kernel/text';
import { withTransaction, type Pool } from './store';
import { ENTITY_TABLE } from './sync-lookups';

/** The hub entities this API writes (accounts come from accounts-inbound jobs). */
export type HubRecordEntity = Exclude<HubEntity, 'account'>;
export const HUB_RECORD_ENTITIES: readonly HubRecordEntity[] = ['task', 'touchpoint', 'campaign_touch'];

export const CAMPAIGN_KINDS = ['ongoing', 'one_time'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

export interface TaskInput {
  accountId: number;
  title: string;
  description?: string | null;
  status?: string | null;
  priority?: string | null;
  /** YYYY-MM-DD. */
  dueDate?: string | null;
  assigneeEmail?: string | null;
  assignerEmail?: string | null;
}

export interface ParticipantInput {
  email: string;
  name?: string | null;
}

/** T20: a touchpoint needs a subject or content. */
export interface TouchpointInput {
  accountId: number;
  subject?: string | null;
  content?: string | null;
  /** ISO 8601 with its offset. */
  touchpointDate?: string | null;
  touchpointType?: string | null;
  creatorEmail?: string | null;
  /** Replace the touchpoint's participants (T23); [] removes them all. */
  participants?: ParticipantInput[];
}

export interface CampaignTouchInput {
  accountId: number;
  campaignName: string;
  campaignKind: CampaignKind;
  recipientCount: number;
  senderEmail: string;
  /** ISO 8601 date-time with its offset, or a date (midnight UTC). */
  startDate: string;
  description?: string | null;
  createdByEmail?: string | null;
}

export interface HubRecordInputs {
  task: TaskInput;
  touchpoint: TouchpointInput;
  campaign_touch: CampaignTouchInput;
}

/** Only the fields given change; `null` clears a field that may be empty. A record stays on its account. */
export type HubRecordPatch<E extends HubRecordEntity> = Partial<Omit<HubRecordInputs[E], 'accountId'>>;

interface StoredRecord {
  id: number;
  accountId: number;
  /** The CRM key an outbound or inbound job recorded; null until the record is synced. */
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TaskRecord extends StoredRecord {
  title: string;
  description: string | null;
  status: string | null;
  priority: string | null;
  dueDate: string | null;
  assigneeEmail: string | null;
  assignerEmail: string | null;
}

/** A participant row: entered in the hub (key = email, no CRM contact) or imported (key = CRM contact ID). */
export interface HubRecordParticipant {
  key: string;
  email: string | null;
  name: string | null;
  connectionId: string | null;
  crmContactId: string | null;
}

export interface TouchpointRecord extends StoredRecord {
  subject: string | null;
  content: string | null;
  touchpointDate: string | null;
  touchpointType: string | null;
  creatorEmail: string | null;
  participants: HubRecordParticipant[];
}

export interface CampaignTouchRecord extends StoredRecord {
  campaignName: string;
  campaignKind: CampaignKind;
  recipientCount: number;
  senderEmail: string;
  startDate: string;
  description: string | null;
  createdByEmail: string | null;
}

export interface HubRecords {
  task: TaskRecord;
  touchpoint: TouchpointRecord;
  campaign_touch: CampaignTouchRecord;
}

export interface HubRecordListOptions {
  accountId?: number;
  /** 1 to 1000; default 50. Most recently updated first. */
  limit?: number;
}

/** One thing wrong with a request: the field (a path such as `participants[1].email`), what is wrong, the fix. */
export interface HubRecordProblem {
  field: string;
  problem: string;
  fix: string;
}

/** A request refused before anything was written; `problems` lists every thing wrong with it. */
export class HubRecordRefusedError extends ConfigurationError {
  override readonly name = 'HubRecordRefusedError';
  constructor(
    /** What was refused, e.g. "New task refused; nothing was written". */
    readonly headline: string,
    readonly problems: HubRecordProblem[],
  ) {
    super(`${headline}:\n${problems.map((p) => `  - ${p.field}: ${p.problem}; fix: ${p.fix}`).join('\n')}`, { code: 'HUB_RECORD_REFUSED' });
  }
}

/** No live record of that entity by that ID (never created, or deleted). */
export class HubRecordNotFoundError extends NotFoundError {
  override readonly name = 'HubRecordNotFoundError';
}

export const ENTITY_LABEL: Record<HubRecordEntity, { one: string; many: string }> = {
  task: { one: 'task', many: 'tasks' },
  touchpoint: { one: 'touchpoint', many: 'touchpoints' },
  campaign_touch: { one: 'campaign touch', many: 'campaign touches' },
};

// ------------------------------------------------------------------------------------------------ checks

/** How a value is written, in the words a refusal uses: "<value> is not <what>; fix: <fix>". */
interface Hint {
  what: string;
  fix: string;
}

type ValueKind = Hint & { schema: z.ZodType; required?: true };

/** A blank text is no value: stored as NULL, so "has a subject" means the same to every reader (T20). */
const blankToNull = (v: string) => (v.trim() === '' ? null : v);
const email = z.string().trim().toLowerCase().pipe(z.email());

/** Longest name (a title, a campaign name: Salesforce's Subject takes 255) and longest text (its long text areas take 32,000). */
export const MAX_NAME_LENGTH = 255;
export const MAX_TEXT_LENGTH = 32_000;

/** Text without control characters or broken Unicode (PostgreSQL refuses NUL outright), at most `max` characters. */
const plainText = (max: number, lineBreaks: boolean) =>
  z
    .string()
    .max(max)
    .superRefine((v, ctx) => {
      const problem = unsafeText(v, { lineBreaks });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const KINDS = {
  id: { schema: z.int().positive(), what: 'a hub ID (a whole number above 0)', fix: 'give the ID the hub gave the record, e.g. 42' },
  name: { schema: plainText(MAX_NAME_LENGTH, false).pipe(z.string().trim().min(1)), what: 'a non-empty text', fix: `give a text with at least one non-blank character, at most ${MAX_NAME_LENGTH} characters on one line` },
  text: { schema: plainText(MAX_TEXT_LENGTH, true).transform(blankToNull), what: 'a text', fix: `give a text of at most ${MAX_TEXT_LENGTH} characters (an empty one is stored as no value)` },
  email: { schema: email, what: 'an email address', fix: 'give an address such as ana@example.com (stored lowercase)' },
  date: { schema: z.iso.date(), what: 'a date (YYYY-MM-DD)', fix: 'write the date as YYYY-MM-DD, e.g. 2026-12-10' },
  datetime: { schema: z.iso.datetime({ offset: true }), what: 'an ISO 8601 date-time with its offset', fix: 'write e.g. 2026-12-10T09:30:00Z or 2026-12-10T09:30:00+01:00' },
  dateOrDatetime: {
    // A date alone is midnight UTC, not midnight of whatever time zone the database session has.
    schema: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => toIsoDateTime(v)!),
    what: 'an ISO 8601 date-time or date',
    fix: 'write e.g. 2026-12-10T09:30:00Z, or a date such as 2026-12-10 (midnight UTC)',
  },
  count: { schema: z.int().min(0).max(2_147_483_647), what: 'a whole number, 0 or more', fix: 'give a whole number such as 250' },
  campaignKind: { schema: z.enum(CAMPAIGN_KINDS), what: `one of ${CAMPAIGN_KINDS.join(', ')}`, fix: 'use ongoing (a campaign that keeps sending) or one_time (a single send)' },
  limit: { schema: z.int().min(1).max(1000), what: 'a whole number from 1 to 1000', fix: 'give how many records to list, e.g. 50' },
} satisfies Record<string, ValueKind>;

const PARTICIPANT_KINDS: Record<string, ValueKind> = {
  email: KINDS.email,
  name: { ...KINDS.text, schema: KINDS.text.schema.nullable().optional() },
};
const PARTICIPANT: Hint = { what: 'a participant { email, name? }', fix: 'give each participant as { email, name? }' };
const PARTICIPANTS: ValueKind = {
  schema: z.array(z.strictObject({ email: PARTICIPANT_KINDS['email']!.schema, name: PARTICIPANT_KINDS['name']!.schema })),
  what: 'a list of participants',
  fix: 'give a list of { email, name? } ([] removes every participant)',
};

/** Each field of an entity and how it is written; its column is the field in snake_case. */
const FIELDS: Record<HubRecordEntity, Record<string, { kind: keyof typeof KINDS; required?: true }>> = {
  task: {
    title: { kind: 'name', required: true },
    description: { kind: 'text' },
    status: { kind: 'text' },
    priority: { kind: 'text' },
    dueDate: { kind: 'date' },
    assigneeEmail: { kind: 'email' },
    assignerEmail: { kind: 'email' },
  },
  touchpoint: {
    subject: { kind: 'text' },
    content: { kind: 'text' },
    touchpointDate: { kind: 'datetime' },
    touchpointType: { kind: 'text' },
    creatorEmail: { kind: 'email' },
  },
  campaign_touch: {
    campaignName: { kind: 'name', required: true },
    campaignKind: { kind: 'campaignKind', required: true },
    recipientCount: { kind: 'count', required: true },
    senderEmail: { kind: 'email', required: true },
    startDate: { kind: 'dateOrDatetime', required: true },
    description: { kind: 'text' },
    createdByEmail: { kind: 'email' },
  },
};

const columnOf = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fields a request may not carry, and why. */
const NOT_WRITABLE: Record<string, Omit<HubRecordProblem, 'field'>> = {
  id: { problem: 'given by the hub when the record is created', fix: 'remove it' },
  externalId: { problem: 'set by hubsync alone: it is the key the record is matched to its CRM record by', fix: 'remove it' },
  createdAt: { problem: 'kept by the database', fix: 'remove it' },
  updatedAt: { problem: 'kept by the database, which stamps every change itself', fix: 'remove it' },
  accountId: { problem: 'a record stays on the account it was created on', fix: 'create the record on the other account and delete this one' },
};

type Mode = 'create' | 'patch';

/** The kind of each field a request of `mode` takes. */
function kindsOf(entity: HubRecordEntity, mode: Mode): Record<string, ValueKind> {
  const kinds: Record<string, ValueKind> = mode === 'create' ? { accountId: { ...KINDS.id, fix: 'give the hub ID of the account the record belongs to', required: true } } : {};
  for (const [field, spec] of Object.entries(FIELDS[entity])) kinds[field] = spec.required ? { ...KINDS[spec.kind], required: true } : KINDS[spec.kind];
  if (entity === 'touchpoint') kinds['participants'] = PARTICIPANTS;
  return kinds;
}

function schemaOf(entity: HubRecordEntity, mode: Mode): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, kind] of Object.entries(kindsOf(entity, mode))) {
    // Participants are a list ([] is none); every other field that is not required may be cleared.
    const value = kind.required || field === 'participants' ? kind.schema : kind.schema.nullable();
    shape[field] = mode === 'create' && kind.required ? value : value.optional();
  }
  return z.strictObject(shape);
}

const byEntity = <T>(make: (entity: HubRecordEntity) => T) => Object.fromEntries(HUB_RECORD_ENTITIES.map((e) => [e, make(e)])) as Record<HubRecordEntity, T>;
const SCHEMAS: Record<Mode, Record<HubRecordEntity, z.ZodType<Record<string, unknown>>>> = {
  create: byEntity((e) => schemaOf(e, 'create')),
  patch: byEntity((e) => schemaOf(e, 'patch')),
};

const where = (path: readonly PropertyKey[]) => path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
const show = (value: unknown) => JSON.stringify(value).slice(0, 80);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, p) => (isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[p] : undefined), raw);
}

function hintAt(kinds: Record<string, ValueKind>, path: readonly PropertyKey[]): Hint | undefined {
  if (path[0] === 'participants' && path.length > 1) return path.length === 2 ? PARTICIPANT : PARTICIPANT_KINDS[String(path[2])];
  return kinds[String(path[0])];
}

/** Every zod issue as a problem: where, the value given and what it should be, and the fix of its kind. */
function problemsOf(issues: z.core.$ZodIssue[], raw: unknown, kinds: Record<string, ValueKind>): HubRecordProblem[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? Object.keys(kinds) : Object.keys(PARTICIPANT_KINDS);
      return issue.keys.map((key) => ({
        field: where([...issue.path, key]),
        ...((issue.path.length === 0 && NOT_WRITABLE[key]) || { problem: 'not a field here', fix: `remove it or check the spelling (fields: ${known.join(', ')})` }),
      }));
    }
    const value = valueAt(raw, issue.path);
    const hint = hintAt(kinds, issue.path);
    if (!hint) return [{ field: where(issue.path) || 'input', problem: describeIssue(issue), fix: 'give an object of fields' }];
    // A length or a character is what is wrong with a value of the right kind: zod's own words say which.
    const own = issue.code === 'too_big' || issue.code === 'custom' ? describeIssue(issue) : undefined;
    const problem = value === undefined ? 'missing' : value === null && 'required' in hint ? 'required: it cannot be cleared' : (own ?? `${show(value)} is not ${hint.what}`);
    // A control character or broken Unicode in a text of the right kind: the problem says what to remove.
    return [{ field: where(issue.path), problem, fix: issue.code === 'custom' && value !== undefined ? 'give plain text: no control characters, and Unicode read with the right encoding' : hint.fix }];
  });
}

function check<T>(schema: z.ZodType<T>, kinds: Record<string, ValueKind>, raw: unknown): { data: T | undefined; problems: HubRecordProblem[] } {
  const parsed = schema.safeParse(raw);
  return parsed.success ? { data: parsed.data, problems: [] } : { data: undefined, problems: problemsOf(parsed.error.issues, raw, kinds) };
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Rules across fields, on the values as given (so they are reported with every other problem): T20 on the
 * record as it would be (`stored`, the record before an update, with the request over it), and each
 * participant given once.
 */
function ruleProblems(entity: HubRecordEntity, given: Record<string, unknown>, stored: Record<string, unknown> = {}): HubRecordProblem[] {
  if (entity !== 'touchpoint') return [];
  const problems: HubRecordProblem[] = [];
  const after = { ...stored, ...given };
  if (blank(after['subject']) && blank(after['content'])) problems.push({ field: 'subject, content', problem: 'a touchpoint needs a subject or content (T20)', fix: 'give at least one of them' });
  const participants = given['participants'];
  if (Array.isArray(participants)) {
    const seen = new Set<string>();
    participants.forEach((p: unknown, i) => {
      const key = isObject(p) && typeof p['email'] === 'string' ? p['email'].trim().toLowerCase() : undefined;
      if (key && seen.has(key)) problems.push({ field: `participants[${i}].email`, problem: `${show(key)} is listed twice`, fix: 'list each participant once' });
      if (key) seen.add(key);
    });
  }
  return problems;
}

/** For callers without the types (JavaScript, JSON): the entity named is one of the three. */
function assertEntity(entity: HubRecordEntity): void {
  if (!HUB_RECORD_ENTITIES.includes(entity)) throw new ConfigurationError(`Unknown hub entity '${String(entity)}'.`, { fix: `use one of ${HUB_RECORD_ENTITIES.join(', ')}` });
}

const ID_SCHEMA = z.strictObject({ id: KINDS.id.schema });

/** The record's ID checked: a refusal of the request when it is not an ID. */
function checkedId(headline: string, id: unknown): number {
  const { data, problems } = check(ID_SCHEMA, { id: KINDS.id }, { id });
  if (!data) throw new HubRecordRefusedError(headline, problems);
  return data.id;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function notFound(entity: HubRecordEntity, id: number): HubRecordNotFoundError {
  const { one, many } = ENTITY_LABEL[entity];
  return new HubRecordNotFoundError(`${capitalized(one)} ${id} is not in the hub (never created, or deleted).`, {
    fix: `list the ${many} with \`hubsync hub ${entity.replace('_', '-')} list --account <id>\``,
  });
}

// --------------------------------------------------------------------------------------------- storage

type Db = Pool | PoolClient;
type Row = Record<string, unknown> & { id: number };

async function participantsOf(db: Db, touchpointIds: number[]): Promise<Map<number, HubRecordParticipant[]>> {
  const { rows } = await db.query<{ touchpoint_id: number; participant_key: string; email: string | null; name: string | null; connection_id: string | null; crm_contact_id: string | null }>(
    `SELECT touchpoint_id, participant_key, email, name, connection_id, crm_contact_id FROM touchpoint_participants
      WHERE touchpoint_id = ANY($1) ORDER BY touchpoint_id, participant_key`,
    [touchpointIds],
  );
  const out = new Map<number, HubRecordParticipant[]>();
  for (const r of rows) {
    const list = out.get(r.touchpoint_id) ?? [];
    list.push({ key: r.participant_key, email: r.email, name: r.name, connectionId: r.connection_id, crmContactId: r.crm_contact_id });
    out.set(r.touchpoint_id, list);
  }
  return out;
}

/** Rows as records: camelCase fields, participants for touchpoints (one query for all). */
async function toRecords<E extends HubRecordEntity>(db: Db, entity: E, rows: Row[]): Promise<Array<HubRecords[E]>> {
  const participants = entity === 'touchpoint' && rows.length > 0 ? await participantsOf(db, rows.map((r) => r.id)) : undefined;
  return rows.map((row) => {
    const record: Record<string, unknown> = { id: row.id, accountId: row['account_id'], externalId: row['external_id'] };
    for (const field of Object.keys(FIELDS[entity])) record[field] = row[columnOf(field)];
    if (participants) record['participants'] = participants.get(row.id) ?? [];
    return { ...record, createdAt: row['created_at'], updatedAt: row['updated_at'] } as unknown as HubRecords[E];
  });
}

/** A live record (a row the hub marked deleted counts as gone); locked for the transaction when `lock`. */
async function readRecord<E extends HubRecordEntity>(db: Db, entity: E, id: number, lock = false): Promise<HubRecords[E] | undefined> {
  const { rows } = await db.query<Row>(`SELECT * FROM ${ENTITY_TABLE[entity]} WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`, [id]);
  return (await toRecords(db, entity, rows))[0];
}

/**
 * T23: the touchpoint's participants become `wanted` (key = email, entered in the hub: no CRM contact). The
 * same set again writes nothing, so the participant trigger does not stamp the touchpoint for no change.
 */
async function replaceParticipants(client: PoolClient, touchpointId: number, wanted: ParticipantInput[], current: HubRecordParticipant[]): Promise<void> {
  const next: HubRecordParticipant[] = wanted.map((p) => ({ key: p.email, email: p.email, name: p.name ?? null, connectionId: null, crmContactId: null })).sort((a, b) => a.key.localeCompare(b.key));
  const sorted = [...current].sort((a, b) => a.key.localeCompare(b.key));
  if (JSON.stringify(next) === JSON.stringify(sorted)) return;
  await client.query('DELETE FROM touchpoint_participants WHERE touchpoint_id = $1', [touchpointId]);
  if (next.length === 0) return;
  await client.query(
    `INSERT INTO touchpoint_participants (touchpoint_id, participant_key, email, name)
     SELECT $1, k, e, n FROM unnest($2::text[], $3::text[], $4::text[]) AS u(k, e, n)`,
    [touchpointId, next.map((p) => p.key), next.map((p) => p.email), next.map((p) => p.name)],
  );
}

/**
 * The column values of parsed input: the strict schema lets no other key through, so the names are safe in
 * SQL. account_id is create's own; participants are rows of their own.
 */
function columnsOf(data: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(data)
    .filter(([field]) => field !== 'participants' && field !== 'accountId')
    .map(([field, value]) => [columnOf(field), value]);
}

// ----------------------------------------------------------------------------------------------- the API

/** Creates a record on an existing account; every problem is reported at once and a refusal writes nothing. */
export async function createHubRecord<E extends HubRecordEntity>(pool: Pool, entity: E, input: HubRecordInputs[E]): Promise<HubRecords[E]> {
  assertEntity(entity);
  const headline = `New ${ENTITY_LABEL[entity].one} refused; nothing was written`;
  const raw: unknown = input;
  const values = isObject(raw) ? raw : {};
  const { data, problems } = check(SCHEMAS.create[entity], kindsOf(entity, 'create'), raw);
  problems.push(...ruleProblems(entity, values));
  return withTransaction(pool, async (client) => {
    const accountId = values['accountId'];
    if (KINDS.id.schema.safeParse(accountId).success) {
      // Locked against deletion until this transaction ends: the record cannot land on a vanished account.
      const account = await client.query('SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE', [accountId]);
      if (account.rowCount === 0) problems.push({ field: 'accountId', problem: `there is no hub account ${show(accountId)}`, fix: 'give the hub ID of an existing account' });
    }
    if (!data || problems.length > 0) throw new HubRecordRefusedError(headline, problems);
    const columns = columnsOf(data);
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO ${ENTITY_TABLE[entity]} (account_id${columns.map(([c]) => `, ${c}`).join('')})
       VALUES ($1${columns.map((_, i) => `, $${i + 2}`).join('')}) RETURNING id`,
      [data['accountId'], ...columns.map(([, v]) => v)],
    );
    const id = rows[0]!.id;
    if (entity === 'touchpoint' && data['participants']) await replaceParticipants(client, id, data['participants'] as ParticipantInput[], []);
    return (await readRecord(client, entity, id))!;
  });
}

/**
 * Changes the fields given (a partial patch; `null` clears a field that may be empty). The database stamps
 * updated_at when the content changed and leaves it when nothing did. A refusal writes nothing.
 */
export async function updateHubRecord<E extends HubRecordEntity>(pool: Pool, entity: E, id: number, patch: HubRecordPatch<E>): Promise<HubRecords[E]> {
  assertEntity(entity);
  const headline = `Update of ${ENTITY_LABEL[entity].one} ${String(id)} refused; nothing was written`;
  const recordId = checkedId(headline, id);
  const raw: unknown = patch;
  const { data, problems } = check(SCHEMAS.patch[entity], kindsOf(entity, 'patch'), raw);
  if (data && Object.keys(data).length === 0) problems.push({ field: 'patch', problem: 'nothing to change', fix: `give at least one of ${Object.keys(kindsOf(entity, 'patch')).join(', ')}` });
  return withTransaction(pool, async (client) => {
    const current = await readRecord(client, entity, recordId, true);
    if (!current) throw notFound(entity, recordId);
    problems.push(...ruleProblems(entity, isObject(raw) ? raw : {}, { ...current }));
    if (!data || problems.length > 0) throw new HubRecordRefusedError(headline, problems);
    const columns = columnsOf(data);
    if (columns.length > 0) {
      await client.query(`UPDATE ${ENTITY_TABLE[entity]} SET ${columns.map(([c], i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [recordId, ...columns.map(([, v]) => v)]);
    }
    if (entity === 'touchpoint' && data['participants']) await replaceParticipants(client, recordId, data['participants'] as ParticipantInput[], (current as TouchpointRecord).participants);
    return (await readRecord(client, entity, recordId))!;
  });
}

/** Deletes the record (its participants with it) and returns it as it was; the delete trigger leaves its tombstone (T19). */
export async function deleteHubRecord<E extends HubRecordEntity>(pool: Pool, entity: E, id: number): Promise<HubRecords[E]> {
  assertEntity(entity);
  const recordId = checkedId(`Deletion of ${ENTITY_LABEL[entity].one} ${String(id)} refused; nothing was deleted`, id);
  return withTransaction(pool, async (client) => {
    const current = await readRecord(client, entity, recordId, true);
    if (!current) throw notFound(entity, recordId);
    await client.query(`DELETE FROM ${ENTITY_TABLE[entity]} WHERE id = $1`, [recordId]);
    return current;
  });
}

export async function getHubRecord<E extends HubRecordEntity>(pool: Pool, entity: E, id: number): Promise<HubRecords[E]> {
  assertEntity(entity);
  const recordId = checkedId(`Reading ${ENTITY_LABEL[entity].one} ${String(id)} refused`, id);
  const record = await readRecord(pool, entity, recordId);
  if (!record) throw notFound(entity, recordId);
  return record;
}

const LIST_KINDS: Record<string, ValueKind> = { accountId: KINDS.id, limit: KINDS.limit };
const LIST_SCHEMA = z.strictObject({ accountId: KINDS.id.schema.optional(), limit: KINDS.limit.schema.optional() });

/** Live records, most recently updated first, of one account or all. */
export async function listHubRecords<E extends HubRecordEntity>(pool: Pool, entity: E, opts: HubRecordListOptions = {}): Promise<Array<HubRecords[E]>> {
  assertEntity(entity);
  const { data, problems } = check(LIST_SCHEMA, LIST_KINDS, opts);
  if (!data) throw new HubRecordRefusedError(`Listing ${ENTITY_LABEL[entity].many} refused`, problems);
  const { rows } = await pool.query<Row>(
    `SELECT * FROM ${ENTITY_TABLE[entity]} WHERE deleted_at IS NULL AND ($1::bigint IS NULL OR account_id = $1)
      ORDER BY updated_at DESC, id DESC LIMIT $2`,
    [data.accountId ?? null, data.limit ?? 50],
  );
  return toRecords(pool, entity, rows);
}
