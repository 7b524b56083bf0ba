/**
 * The hub side of a mapping: the fields each hub entity has, by the display names the published templates use
 * ("Title", "Due Date", "Touchpoint External Id"…), their types, and where they are stored. Names match
 * case-insensitively. A mapping row may also name a field the catalogue does not know: for tasks and
 * touchpoints it is kept in the record's custom_fields, for accounts it is an attribute (T7: custom fields).
 */
import type { HubEntity } from '../../kernel/job-kinds';

export type HubFieldType = 'text' | 'date' | 'datetime' | 'number' | 'boolean' | 'single_select' | 'multi_select' | 'user' | 'participants';

export const HUB_FIELD_TYPES: readonly HubFieldType[] = ['text', 'date', 'datetime', 'number', 'boolean', 'single_select', 'multi_select', 'user', 'participants'];

export type HubFieldRole = 'parent' | 'externalId' | 'value';

export interface HubField {
  name: string;
  type: HubFieldType;
  role: HubFieldRole;
  /** Column of the entity's table; undefined for keys and for values kept elsewhere (attributes, participants). */
  column?: string;
  /** A record without a value here is rejected inbound (T20). */
  required?: boolean;
  /** Written by hubsync, never read from a mapping outbound (e.g. the campaign touch subject, T17). */
  computed?: boolean;
}

const f = (name: string, type: HubFieldType, role: HubFieldRole, extra: Partial<HubField> = {}): HubField => ({ name, type, role, ...extra });

export const HUB_FIELDS: Record<HubEntity, HubField[]> = {
  account: [
    f('Account Id', 'text', 'externalId'),
    f('Account Name', 'text', 'value', { column: 'name', required: true }),
  ],
  task: [
    f('Account Id', 'text', 'parent'),
    f('Task External Id', 'text', 'externalId'),
    f('Title', 'text', 'value', { column: 'title', required: true }),
    f('Description', 'text', 'value', { column: 'description' }),
    f('Priority', 'text', 'value', { column: 'priority' }),
    f('Status', 'text', 'value', { column: 'status' }),
    f('Due Date', 'date', 'value', { column: 'due_date' }),
    f('Assigned To', 'user', 'value', { column: 'assignee_email' }),
    f('Assigner', 'user', 'value', { column: 'assigner_email' }),
    f('Create Date', 'datetime', 'value', { column: 'source_created_at' }),
    f('Last Update Date', 'datetime', 'value', { column: 'source_updated_at' }),
  ],
  touchpoint: [
    f('Account Id', 'text', 'parent'),
    f('Touchpoint External Id', 'text', 'externalId'),
    f('Subject', 'text', 'value', { column: 'subject' }),
    f('Content', 'text', 'value', { column: 'content' }),
    f('Touchpoint Date', 'datetime', 'value', { column: 'touchpoint_date' }),
    f('Touchpoint Type', 'text', 'value', { column: 'touchpoint_type' }),
    f('Touchpoint Creator', 'user', 'value', { column: 'creator_email' }),
    f('Last Update Date', 'datetime', 'value', { column: 'source_updated_at' }),
    f('Last Updater', 'user', 'value', { column: 'last_updater_email' }),
    f('Participants', 'participants', 'value'),
  ],
  campaign_touch: [
    f('Account Id', 'text', 'parent'),
    f('Touchpoint External Id', 'text', 'externalId'),
    f('Campaign Touch ID', 'text', 'value', { column: 'campaign_touch_id' }),
    f('Subject', 'text', 'value', { computed: true }),
    f('Description', 'text', 'value', { column: 'description' }),
    f('Start Date', 'datetime', 'value', { column: 'start_date' }),
    f('Created By', 'user', 'value', { column: 'created_by_email' }),
    f('Campaign Name', 'text', 'value', { column: 'campaign_name' }),
  ],
};

export function findHubField(entity: HubEntity, name: string): HubField | undefined {
  const wanted = name.trim().toLowerCase();
  return HUB_FIELDS[entity].find((field) => field.name.toLowerCase() === wanted);
}

/**
 * The hub type a mapping row declares, from the template's wording ("Date", "Text", "Key , text") or a
 * canonical name; undefined when the wording is not a type hubsync knows.
 */
export function parseHubFieldType(declared: string): HubFieldType | undefined {
  const normalized = declared
    .toLowerCase()
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part && part !== 'key')
    .join(',');
  const aliases: Record<string, HubFieldType> = { string: 'text', picklist: 'single_select', multipicklist: 'multi_select' };
  if ((HUB_FIELD_TYPES as readonly string[]).includes(normalized)) return normalized as HubFieldType;
  return aliases[normalized];
}

/** The key of the account attribute a mapping row's hub field names ("Success Manager" → `success_manager`). */
export function attributeKey(label: string): string {
  return label.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}
