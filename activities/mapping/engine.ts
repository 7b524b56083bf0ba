/**
 * The mapping engine (pure functions): which CRM fields a job reads, how a CRM record becomes hub values
 * (inbound) and a hub record becomes CRM fields (outbound). Preview and the job runs use these same
 * functions, so what preview shows is what a run does.
 */
import { createHash } from 'node:crypto';
import { toIsoDateTime } from '../../kernel/datetime';
import type { CrmRecord, ReadSpec } from '../crm/connector';
import type { CrmObjectDescribe } from '../crm/types';
import { findHubField, parseHubFieldType, type HubField, type HubFieldType } from './hub-fields';
import type { JobConfig, MappingRow } from './job-config';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';
import { CAMPAIGN_TOUCH_ID_PLACEHOLDER } from './validate';

export type HubValue = string | number | boolean | string[] | null;

export interface Participant {
  crmContactId: string;
  name: string | null;
  email: string | null;
}

export interface MappedAttribute {
  name: string;
  type: HubFieldType;
  crmField: string;
  value: HubValue;
}

/** A CRM record mapped to the hub (inbound). */
export interface InboundMapped {
  /** The CRM record Id, in the CRM's case (for record links and API calls). */
  crmId: string;
  /** External ID as the hub stores it: lowercase (T13). */
  externalId: string;
  /** CRM ID of the parent account (the parent key row), or null when the record has none. */
  parentCrmId: string | null;
  /** Values for the entity's own columns (title, due_date…). */
  columns: Record<string, HubValue>;
  /** Mapped fields the hub catalogue does not know: tasks/touchpoints keep them in custom_fields. */
  custom: Record<string, HubValue>;
  /** Accounts: attribute values with the CRM field they came from (write-back needs it). */
  attributes: MappedAttribute[];
  participants?: Participant[];
  /** The CRM's modification time of the record (ISO), for last-update-wins (T18) and the cursor. */
  crmModifiedAt: string | null;
  /** Hash of everything mapped: equal hashes mean "unchanged". */
  hash: string;
}

/**
 * What an inbound job reads: its object, each mapped path once, and its filter. Participants (T23) come from
 * a contact lookup such as WhoId: the contact's name and email are read through the same relationship.
 */
export function inboundReadSpec(config: JobConfig): ReadSpec {
  const paths: string[] = [];
  for (const row of config.mapping) {
    paths.push(row.crmField);
    const hubField = findHubField(JOB_KIND_INFO[config.kind].entity, row.hubField);
    if (hubField?.type === 'participants' && /id$/i.test(row.crmField)) {
      const relationship = row.crmField.slice(0, -2);
      paths.push(`${relationship}.Name`, `${relationship}.Email`);
    }
  }
  return { object: config.crmObject, paths, filter: config.filter };
}

/** Reads `Field` or `Relationship.Field` from a query record, matching names case-insensitively. */
export function readPath(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    const obj = current as Record<string, unknown>;
    const key = part in obj ? part : Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
    current = key === undefined ? null : obj[key];
  }
  return current ?? null;
}

/** Converts a CRM value to the hub type. Returns undefined when it cannot (reported as a rejection). */
export function toHubValue(value: unknown, type: HubFieldType): HubValue | undefined {
  if (value === null || value === undefined || value === '') return type === 'multi_select' ? [] : null;
  switch (type) {
    case 'text':
    case 'single_select':
      return typeof value === 'object' ? undefined : String(value);
    case 'user':
      return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    case 'date': {
      const iso = toIsoDateTime(value);
      return iso ? iso.slice(0, 10) : undefined;
    }
    case 'datetime':
      return toIsoDateTime(value) ?? undefined;
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'multi_select':
      return typeof value === 'string' ? value.split(';').map((v) => v.trim()).filter(Boolean) : undefined;
    case 'participants':
      return typeof value === 'string' ? value : undefined;
  }
}

function hashOf(value: unknown): string {
  const canonical = JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

function hubFieldOf(config: JobConfig, row: MappingRow): HubField | undefined {
  const entity = JOB_KIND_INFO[config.kind].entity;
  const known = findHubField(entity, row.hubField);
  if (known) return known;
  const declared = parseHubFieldType(row.hubFieldType);
  return declared ? { name: row.hubField, type: declared, role: 'value' } : undefined;
}

export interface InboundMapProblem {
  row: number;
  message: string;
}

/**
 * Maps one CRM record to the hub. Problems (a value that cannot be converted) are returned, not thrown:
 * the record is then rejected with them as the reason (T28).
 */
export function mapInbound(config: JobConfig, record: CrmRecord): { mapped: InboundMapped; problems: InboundMapProblem[] } {
  const entity = JOB_KIND_INFO[config.kind].entity;
  const crmId = record.id;
  const columns: Record<string, HubValue> = {};
  const custom: Record<string, HubValue> = {};
  const attributes: MappedAttribute[] = [];
  const problems: InboundMapProblem[] = [];
  let externalId = crmId.toLowerCase();
  let parentCrmId: string | null = null;
  let participants: Participant[] | undefined;

  config.mapping.forEach((row, index) => {
    const field = hubFieldOf(config, row);
    if (!field) return;
    const raw = readPath(record.fields, row.crmField);
    if (field.role === 'parent') {
      parentCrmId = raw ? String(raw) : null;
      return;
    }
    if (field.role === 'externalId') {
      if (raw) externalId = String(raw).toLowerCase();
      return;
    }
    if (field.type === 'participants') {
      const relationship = row.crmField.replace(/id$/i, '');
      participants = raw
        ? [{ crmContactId: String(raw), name: (readPath(record.fields, `${relationship}.Name`) as string | null) ?? null, email: ((readPath(record.fields, `${relationship}.Email`) as string | null) ?? null)?.toLowerCase() ?? null }]
        : [];
      return;
    }
    const value = toHubValue(raw, field.type);
    if (value === undefined) {
      problems.push({ row: index + 1, message: `${row.crmField} = ${JSON.stringify(raw)} is not a valid ${field.type} for '${field.name}'` });
      return;
    }
    if (field.column) columns[field.column] = value;
    else if (entity === 'account') attributes.push({ name: field.name, type: field.type, crmField: row.crmField, value });
    else custom[field.name] = value;
  });

  const crmModifiedAt = record.modifiedAt;
  const mapped: InboundMapped = {
    crmId,
    externalId,
    parentCrmId,
    columns,
    custom,
    attributes,
    ...(participants ? { participants } : {}),
    crmModifiedAt,
    hash: hashOf({ parentCrmId, columns, custom, attributes, participants: participants ?? null }),
  };
  return { mapped, problems };
}

/** Why a mapped inbound record cannot be written, by T20 (docs/features.md). */
export function inboundRejection(config: JobConfig, mapped: InboundMapped): { code: string; reason: string } | undefined {
  const entity = JOB_KIND_INFO[config.kind].entity;
  const blank = (v: HubValue | undefined) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
  if (entity === 'task' && blank(mapped.columns['title'])) return { code: 'MISSING_TITLE', reason: 'a task needs a title (T20)' };
  if (entity === 'touchpoint' && blank(mapped.columns['subject']) && blank(mapped.columns['content'])) {
    return { code: 'MISSING_SUBJECT_AND_CONTENT', reason: 'a touchpoint needs a subject or content (T20)' };
  }
  if (entity === 'account' && blank(mapped.columns['name'])) return { code: 'MISSING_NAME', reason: 'an account needs a name' };
  return undefined;
}

/** A participant of a hub touchpoint (T23): its email, and its CRM contact when inbound brought it. */
export interface HubParticipant {
  email: string | null;
  crmContactId: string | null;
  connectionId: string | null;
}

/** A hub record as outbound jobs read it: its columns, plus what the engine needs around them. */
export interface HubRecordForOutbound {
  id: number;
  externalId: string | null;
  accountId: number;
  /** Last change in the hub (ISO, to the millisecond). */
  updatedAt: string;
  /** updated_at to the microsecond: the run's keyset cursor (T29). */
  cursorKey: string;
  columns: Record<string, HubValue>;
  custom: Record<string, HubValue>;
  /** Touchpoints: their participants, in participant-key order. */
  participants?: HubParticipant[];
}

export interface OutboundMapped {
  /** CRM fields to write, except OwnerId / WhoId, which need resolving (see `ownerEmail`, `whoField`). */
  fields: Record<string, string | number | boolean | null>;
  /** The hub user whose CRM User becomes OwnerId, when the mapping has an OwnerId row. */
  ownerEmail: string | null;
  ownerField: string | null;
  /** The contact lookup (WhoId) the participants fill (T23), when the mapping has a Participants row. */
  whoField: string | null;
  /** The participants' emails (lowercase), in order: the first one that is a CRM contact becomes `whoField`. */
  participantEmails: string[];
  /** The CRM field that holds the record's external identity (Id by default). */
  externalIdField: string;
  hash: string;
}

/** T17: the subject of the Event a campaign touch becomes. */
export function campaignTouchSubject(touch: { campaign_kind: string; campaign_name: string; recipient_count: number; sender_email: string }): string {
  const kind = touch.campaign_kind === 'ongoing' ? 'Ongoing' : 'One time';
  return `${kind} campaign "${touch.campaign_name}" was sent to ${touch.recipient_count} users. From: ${touch.sender_email}`;
}

/** Formats a hub value for a CRM field of the describe type `crmType` (date fields take YYYY-MM-DD). */
function toCrmValue(value: HubValue | undefined, crmType: string | undefined): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.join(';'); // multi-select: Salesforce's "a;b" format
  if (typeof value === 'string' && (crmType === 'date' || crmType === 'datetime')) {
    const iso = toIsoDateTime(value);
    if (iso) return crmType === 'date' ? iso.slice(0, 10) : iso;
  }
  return value;
}

/** CRM field name (lowercase) → describe type, for formatting outbound values. */
export type CrmFieldTypes = ReadonlyMap<string, string>;

export function fieldTypes(object: CrmObjectDescribe | undefined): CrmFieldTypes {
  return new Map((object?.fields ?? []).map((f) => [f.name.toLowerCase(), f.type]));
}

/**
 * Maps one hub record to CRM fields (outbound). Key rows are not written: matching uses them. Values are
 * formatted by the target field's describe type, not the template's wording (the published template calls Event
 * ActivityDate "datetime"; Salesforce describes it as a date).
 */
export function mapOutbound(config: JobConfig, record: HubRecordForOutbound, crmTypes: CrmFieldTypes): OutboundMapped {
  const fields: Record<string, string | number | boolean | null> = {};
  let ownerEmail: string | null = null;
  let ownerField: string | null = null;
  let whoField: string | null = null;
  let externalIdField = 'Id';
  for (const row of config.mapping) {
    const field = hubFieldOf(config, row);
    if (!field) continue;
    if (field.role === 'externalId') {
      if (row.crmField.toLowerCase() !== CAMPAIGN_TOUCH_ID_PLACEHOLDER) externalIdField = row.crmField;
      continue;
    }
    if (field.role === 'parent') continue;
    if (field.type === 'participants') {
      whoField = row.crmField;
      continue;
    }
    const value = field.column ? record.columns[field.column] : field.computed ? record.columns['subject'] : record.custom[field.name];
    if (field.type === 'user' && /^ownerid$/i.test(row.crmField)) {
      ownerEmail = typeof value === 'string' ? value.toLowerCase() : null;
      ownerField = row.crmField;
      continue;
    }
    fields[row.crmField] = toCrmValue(value, crmTypes.get(row.crmField.toLowerCase()));
  }
  // T17: a campaign touch is an email: Type = Email on objects that have a Type field, unless the mapping sets it.
  if (config.kind === 'campaign-touch-outbound' && crmTypes.has('type') && !Object.keys(fields).some((f) => f.toLowerCase() === 'type')) fields['Type'] = 'Email';
  const participantEmails = whoField ? (record.participants ?? []).map((p) => p.email?.toLowerCase()).filter((e): e is string => Boolean(e)) : [];
  return { fields, ownerEmail, ownerField, whoField, participantEmails, externalIdField, hash: hashOf({ fields, ownerEmail, participantEmails }) };
}
