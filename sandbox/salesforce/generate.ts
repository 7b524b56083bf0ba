/**
 * Bulk record generation for benchmarks and volume tests (`POST /__admin/seed {object, count}`): a million
 * Tasks in a few seconds and a few hundred MB. It bypasses per-record validation but produces what the
 * platform would (AccountId from WhatId, IsClosed, IsHighPriority, formula values, audit fields), with
 * SystemModstamps spread evenly over the window so ORDER BY SystemModstamp has real work to do.
 */
import { wholeSecondIso } from './clock';
import { applyFormulas } from './formula';
import { SalesforceError, type FieldValue } from './model';
import { deriveActivityAccountId } from './platform';
import { Prng } from './prng';
import { HIGH_PRIORITIES, TASK_STATUSES, type ObjectDef } from './schema';
import { blankFields, makeRecord, type RecordFields, type Store } from './store';
import { coerceInput } from './values';

const DAY_MS = 24 * 3600 * 1000;
const TASK_SUBJECTS = ['Call', 'Send Letter', 'Send Quote', 'Follow-up email', 'Renewal check-in', 'Onboarding call', 'QBR prep', 'Support escalation'];
const EVENT_SUBJECTS = ['Meeting', 'Call', 'Quarterly business review', 'Training session', 'Kickoff'];
const CLOSED = new Set(TASK_STATUSES.filter((s) => s.closed).map((s) => s.value));

export interface GenerateSpec {
  object: string;
  count: number;
  /** Constant values for every generated record (deserialised like API input). */
  fields?: Record<string, unknown> | undefined;
  ownerIds?: string[] | undefined;
  /** Task/Event WhatId candidates (default: existing Accounts). */
  whatIds?: string[] | undefined;
  /** Task/Event WhoId candidates (default: none). */
  whoIds?: string[] | undefined;
  /** SystemModstamp window (default: the last 29 days of the sandbox clock). */
  startDate?: string | undefined;
  endDate?: string | undefined;
  /** Fill this External ID field with `<externalIdPrefix><n>`. */
  externalIdField?: string | undefined;
  externalIdPrefix?: string | undefined;
  seed?: number | undefined;
}

export interface GenerateResult {
  object: string;
  created: number;
  ms: number;
}

function liveIds(store: Store, objectName: string, filter: (fields: Readonly<Record<string, FieldValue>>) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const record of store.records(objectName)) if (!record.isDeleted && filter(record.fields)) out.push(record.id);
  return out;
}

export function generateRecords(store: Store, spec: GenerateSpec, userId: string): GenerateResult {
  const started = Date.now();
  const object: ObjectDef = store.schema.require(spec.object);
  if (!object.createable || object.name === 'User') throw new SalesforceError(400, 'INVALID_TYPE', `Records of ${object.name} cannot be generated`);
  const rng = new Prng(spec.seed ?? 7);
  const owners = spec.ownerIds ?? liveIds(store, 'User', (f) => f['IsActive'] === true);
  const whats = spec.whatIds ?? (object.name === 'Task' || object.name === 'Event' || object.name === 'Contact' ? liveIds(store, 'Account') : []);
  const whos = spec.whoIds ?? [];
  const extField = spec.externalIdField ? store.schema.field(object, spec.externalIdField) : undefined;
  if (spec.externalIdField && !extField) throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${spec.externalIdField}' on sobject of type ${object.name}`);
  const endMs = spec.endDate ? Date.parse(spec.endDate) : store.clock.nowMs();
  const startMs = spec.startDate ? Date.parse(spec.startDate) : endMs - 29 * DAY_MS;
  if (!(endMs > startMs)) throw new SalesforceError(400, 'INVALID_FIELD', 'startDate must precede endDate');

  const template = blankFields(object);
  for (const f of object.fields) template[f.name] = f.defaultValue ?? (f.type === 'boolean' ? false : null);
  for (const [name, raw] of Object.entries(spec.fields ?? {})) {
    const f = store.schema.field(object, name);
    if (!f) throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${object.name}`);
    template[f.name] = coerceInput(f, raw);
  }
  // Shared strings: a million records reuse these instead of holding copies.
  const dates = Array.from({ length: 120 }, (_, i) => new Date(endMs + (i - 60) * DAY_MS).toISOString().slice(0, 10));
  const statuses = TASK_STATUSES.map((s) => s.value);

  const requiredText = object.fields.filter((f) => !f.nillable && f.createable && (f.type === 'string' || f.type === 'textarea'));
  const formulas = object.fields.filter((f) => f.formula !== null);
  const step = (endMs - startMs) / Math.max(1, spec.count);
  for (let i = 0; i < spec.count; i++) {
    const id = store.ids.newId(object.keyPrefix);
    const stamp = wholeSecondIso(startMs + Math.floor(i * step));
    const fields: RecordFields = { ...template };
    fields['Id'] = id;
    fields['IsDeleted'] = false;
    fields['CreatedDate'] = stamp;
    fields['CreatedById'] = userId;
    fields['LastModifiedDate'] = stamp;
    fields['LastModifiedById'] = userId;
    fields['SystemModstamp'] = stamp;
    if ('OwnerId' in fields && fields['OwnerId'] === null) fields['OwnerId'] = owners.length ? (owners[i % owners.length] ?? userId) : userId;
    const n = String(i + 1).padStart(7, '0');
    switch (object.name) {
      case 'Task': {
        const status = template['Status'] !== 'Not Started' ? String(template['Status']) : rng.chance(0.7) ? 'Completed' : (statuses[rng.int(0, statuses.length - 1)] ?? 'Not Started');
        const priority = template['Priority'] !== 'Normal' ? String(template['Priority']) : rng.chance(0.1) ? 'High' : 'Normal';
        fields['Subject'] ??= TASK_SUBJECTS[i % TASK_SUBJECTS.length] ?? 'Call';
        fields['Status'] = status;
        fields['Priority'] = priority;
        fields['IsClosed'] = CLOSED.has(status);
        fields['IsHighPriority'] = HIGH_PRIORITIES.has(priority);
        fields['CompletedDateTime'] = CLOSED.has(status) ? stamp : null;
        fields['ActivityDate'] ??= dates[(i * 7) % dates.length] ?? null;
        fillWhoWhat(store, fields, whats, whos, i);
        break;
      }
      case 'Event': {
        const start = Date.parse(stamp) + DAY_MS;
        const duration = [30, 60][i % 2] ?? 30;
        fields['Subject'] ??= EVENT_SUBJECTS[i % EVENT_SUBJECTS.length] ?? 'Meeting';
        fields['StartDateTime'] = new Date(start).toISOString();
        fields['ActivityDateTime'] = fields['StartDateTime'];
        fields['ActivityDate'] = String(fields['StartDateTime']).slice(0, 10);
        fields['DurationInMinutes'] = duration;
        fields['EndDateTime'] = new Date(start + duration * 60000).toISOString();
        fields['EndDate'] = String(fields['EndDateTime']).slice(0, 10);
        fillWhoWhat(store, fields, whats, whos, i);
        break;
      }
      case 'Account':
        fields['Name'] ??= `Generated Account ${n}`;
        break;
      case 'Contact':
        fields['LastName'] ??= `Contact ${n}`;
        fields['Name'] = fields['FirstName'] ? `${String(fields['FirstName'])} ${String(fields['LastName'])}` : fields['LastName'];
        fields['AccountId'] ??= whats.length ? (whats[i % whats.length] ?? null) : null;
        break;
      default:
        if ('Name' in fields) fields['Name'] ??= `${object.label} ${n}`;
    }
    for (const f of requiredText) if (fields[f.name] === null) fields[f.name] = `${f.label} ${n}`;
    if (extField) fields[extField.name] = `${spec.externalIdPrefix ?? `${object.name.toLowerCase()}-`}${i + 1}`;
    if (formulas.length) applyFormulas(formulas, fields);
    store.put(makeRecord(object.name, fields));
  }
  return { object: object.name, created: spec.count, ms: Date.now() - started };
}

function fillWhoWhat(store: Store, fields: RecordFields, whats: string[], whos: string[], i: number): void {
  if (fields['WhatId'] === null && whats.length) fields['WhatId'] = whats[i % whats.length] ?? null;
  if (fields['WhoId'] === null && whos.length) fields['WhoId'] = whos[i % whos.length] ?? null;
  const what = fields['WhatId'];
  const who = fields['WhoId'];
  fields['AccountId'] = deriveActivityAccountId(store, typeof what === 'string' ? what : null, typeof who === 'string' ? who : null);
}

