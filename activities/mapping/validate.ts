/**
 * "Validate mapping" (T9 in docs/features.md): every row of a job's mapping checked against the hub's fields and the
 * CRM's describe, and reported row by row with what to fix. A job with any error cannot be enabled or run.
 *
 * Rules from the published integration guide and docs/features.md:
 * - every task/touchpoint/campaign-touch job has two key rows: the parent account ID and the record's
 *   external ID (T13); accounts inbound has the account's external ID;
 * - inbound, reference fields are read through first-level relationships (Owner.Email); deeper paths are
 *   refused;
 * - outbound, reference fields cannot be mapped (a documented limitation of the integration) except OwnerId, filled by resolving the
 *   hub user's email to a CRM User, and WhoId for touchpoint participants (T23); Created By can never be
 *   set (T21); targets must be createable (when the job may create, T14) and updateable;
 * - one hub field may feed two CRM fields outbound (T22), but inbound a hub field takes one source;
 * - campaign touch outbound must map Start Date → ActivityDate (T17).
 */
import { findField, findRelationship, type CrmFieldDescribe, type CrmObjectDescribe, type DescribeLookup, type ValidationIssue } from '../crm/types';

import { findHubField, HUB_FIELDS, parseHubFieldType, type HubField, type HubFieldType } from './hub-fields';
import type { JobConfig, MappingRow } from './job-config';
import { JOB_KIND_INFO, type HubEntity } from '../../kernel/job-kinds';

export interface RowCheck {
  row: number;
  crmField: string;
  hubField: string;
  /** The CRM field's describe type, when found. */
  crmType?: string;
  ok: boolean;
}

export interface ValidationReport {
  ok: boolean;
  issues: ValidationIssue[];
  rows: RowCheck[];
}

/** The published campaign-touch template names this key "Campaign Touch ID": hubsync matches such rows by the
 *  Event ID it recorded when it created the Event, until the row is pointed at a custom field (T17). */
export const CAMPAIGN_TOUCH_ID_PLACEHOLDER = 'campaign touch id';

const STRING_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'combobox', 'id', 'reference', 'multipicklist']);
const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent', 'long']);
const DATE_TYPES = new Set(['date', 'datetime']);

/** Whether a CRM field of `crmType` can feed a hub field of `hubType` (inbound). */
function readableAs(crmType: string, hubType: HubFieldType, field: CrmFieldDescribe): boolean {
  switch (hubType) {
    case 'text':
      return crmType !== 'base64' && crmType !== 'address' && crmType !== 'location';
    case 'user':
      return crmType === 'email' || crmType === 'string';
    case 'date':
    case 'datetime':
      return DATE_TYPES.has(crmType);
    case 'number':
      return NUMBER_TYPES.has(crmType);
    case 'boolean':
      return crmType === 'boolean';
    case 'single_select':
      return crmType === 'picklist' || crmType === 'combobox' || crmType === 'string';
    case 'multi_select':
      return crmType === 'multipicklist';
    case 'participants':
      return crmType === 'reference' && field.referenceTo.some((t) => t === 'Contact' || t === 'Lead');
  }
}

/** Whether a hub field of `hubType` can be written into a CRM field of `crmType` (outbound). */
function writableAs(hubType: HubFieldType, crmType: string, field: CrmFieldDescribe): boolean {
  switch (hubType) {
    case 'text':
      return STRING_TYPES.has(crmType) && crmType !== 'reference' && crmType !== 'id' && crmType !== 'multipicklist';
    case 'user':
      return (crmType === 'reference' && field.referenceTo.includes('User')) || crmType === 'email' || crmType === 'string';
    case 'date':
    case 'datetime':
      return DATE_TYPES.has(crmType);
    case 'number':
      return NUMBER_TYPES.has(crmType) || crmType === 'string';
    case 'boolean':
      return crmType === 'boolean';
    case 'single_select':
      return crmType === 'picklist' || crmType === 'combobox' || crmType === 'string';
    case 'multi_select':
      return crmType === 'multipicklist';
    case 'participants':
      return crmType === 'reference' && field.referenceTo.some((t) => t === 'Contact' || t === 'Lead');
  }
}

function describeRow(row: MappingRow, direction: 'inbound' | 'outbound'): string {
  return direction === 'inbound' ? `${row.crmField} → ${row.hubField}` : `${row.hubField} → ${row.crmField}`;
}

/** The hub field a row targets: from the catalogue, else a custom field of the declared type. */
function resolveHubField(entity: HubEntity, row: MappingRow): HubField | undefined {
  const known = findHubField(entity, row.hubField);
  if (known) return known;
  const declared = parseHubFieldType(row.hubFieldType);
  return declared ? { name: row.hubField, type: declared, role: 'value' } : undefined;
}

/**
 * Checks that need no CRM: key rows, hub fields, hub types, duplicate rules, mandatory rows. Returned in
 * mapping order; an empty list means the structure is sound.
 */
export function validateStructure(config: JobConfig): ValidationIssue[] {
  const info = JOB_KIND_INFO[config.kind];
  const issues: ValidationIssue[] = [];
  const hubFieldsSeen = new Map<string, number>();
  const crmFieldsSeen = new Map<string, number>();

  config.mapping.forEach((row, index) => {
    const rowNo = index + 1;
    const label = describeRow(row, info.direction);
    const hubField = resolveHubField(info.entity, row);
    if (!hubField) {
      issues.push({
        severity: 'error',
        code: 'UNKNOWN_HUB_FIELD',
        row: rowNo,
        message: `row ${rowNo} (${label}): '${row.hubField}' is not a ${info.entity.replace('_', ' ')} field and '${row.hubFieldType}' is not a hub type`,
        fix: `use one of: ${findAllHubFieldNames(info.entity).join(', ')}; or declare a custom field with hubFieldType one of text, date, datetime, number, boolean, single_select, multi_select, user`,
      });
      return;
    }
    if (row.key && hubField.role === 'value') {
      issues.push({ severity: 'error', code: 'NOT_A_KEY', row: rowNo, message: `row ${rowNo} (${label}) is marked as a key, but '${row.hubField}' is not a key field`, fix: `set key: false, or use the key fields '${keyFieldNames(info.entity).join("' / '")}'` });
    }
    if (!row.key && hubField.role !== 'value') {
      issues.push({ severity: 'error', code: 'KEY_NOT_MARKED', row: rowNo, message: `row ${rowNo} (${label}): '${hubField.name}' is a key field but the row is not marked as a key`, fix: 'set key: true on this row' });
    }
    if (info.direction === 'outbound' && hubField.computed) {
      issues.push({ severity: 'warning', code: 'COMPUTED_HUB_FIELD', row: rowNo, message: `row ${rowNo} (${label}): hubsync writes '${hubField.name}' itself (T17: "Ongoing campaign \\"Name\\" was sent to N users. From: …")`, fix: 'nothing to do; the row documents where the subject goes' });
    }

    const hubKey = hubField.name.toLowerCase();
    const crmKey = row.crmField.toLowerCase();
    if (info.direction === 'inbound') {
      const first = hubFieldsSeen.get(hubKey);
      if (first !== undefined) {
        issues.push({ severity: 'error', code: 'DUPLICATE_HUB_FIELD', row: rowNo, message: `row ${rowNo} (${label}): '${hubField.name}' is already filled by row ${first}; inbound, a hub field takes one source`, fix: `remove row ${rowNo} or row ${first}` });
      } else hubFieldsSeen.set(hubKey, rowNo);
    } else {
      // T22: one hub field may feed two CRM fields; but two hub fields cannot both write one CRM field.
      const first = crmFieldsSeen.get(crmKey);
      if (first !== undefined) {
        issues.push({ severity: 'error', code: 'DUPLICATE_CRM_FIELD', row: rowNo, message: `row ${rowNo} (${label}): CRM field '${row.crmField}' is already written by row ${first}`, fix: `remove row ${rowNo} or row ${first}` });
      } else crmFieldsSeen.set(crmKey, rowNo);
    }
  });

  const keyRows = config.mapping.map((row, i) => ({ row, hub: resolveHubField(info.entity, row), rowNo: i + 1 })).filter((r) => r.row.key && r.hub);
  const requiredRoles: Array<'parent' | 'externalId'> = info.entity === 'account' ? ['externalId'] : ['parent', 'externalId'];
  for (const role of requiredRoles) {
    const rows = keyRows.filter((r) => r.hub?.role === role);
    const name = keyFieldName(info.entity, role);
    if (rows.length === 0) {
      issues.push({
        severity: 'error',
        code: 'MISSING_KEY_ROW',
        message: `the mapping has no key row for '${name}' (${role === 'parent' ? 'the parent account match' : 'the record match by external ID, T13'})`,
        fix: `add a row { crmField: '${role === 'parent' ? 'AccountId' : 'Id'}', hubField: '${name}', hubFieldType: 'text', key: true } (see the ${config.kind} template)`,
      });
    } else if (rows.length > 1) {
      issues.push({ severity: 'error', code: 'DUPLICATE_KEY_ROW', row: rows[1]!.rowNo, message: `rows ${rows.map((r) => r.rowNo).join(' and ')} are both '${name}' keys`, fix: 'keep one of them' });
    }
  }

  // T20: inbound records need these values; without a row for them every record would be rejected.
  if (info.direction === 'inbound') {
    const mandatory = info.entity === 'task' ? ['Title'] : info.entity === 'account' ? ['Account Name'] : [];
    for (const name of mandatory) {
      if (!hubFieldsSeen.has(name.toLowerCase())) {
        issues.push({ severity: 'error', code: 'MISSING_MANDATORY_ROW', message: `no row fills '${name}', which every ${info.entity} needs (T20)`, fix: `add a row with hubField '${name}' (template: ${name === 'Title' ? 'Subject' : 'Name'})` });
      }
    }
    if (info.entity === 'touchpoint' && !hubFieldsSeen.has('subject') && !hubFieldsSeen.has('content')) {
      issues.push({ severity: 'error', code: 'MISSING_MANDATORY_ROW', message: `no row fills 'Subject' or 'Content'; a touchpoint needs one of them (T20)`, fix: `add a row Subject → Subject or Description → Content` });
    }
  }
  if (config.kind === 'campaign-touch-outbound') {
    const startDate = config.mapping.some((r) => r.hubField.toLowerCase() === 'start date' && r.crmField.toLowerCase() === 'activitydate');
    if (!startDate) {
      issues.push({ severity: 'error', code: 'MISSING_MANDATORY_ROW', message: `campaign touch outbound must map 'Start Date' → ActivityDate (T17)`, fix: `add a row { crmField: 'ActivityDate', hubField: 'Start Date', hubFieldType: 'Date' }` });
    }
  }
  return issues;
}

function findAllHubFieldNames(entity: HubEntity): string[] {
  const names = HUB_FIELDS[entity].map((field) => field.name);
  return entity === 'account' ? [...names, '<any attribute name>'] : names;
}

function keyFieldName(entity: HubEntity, role: 'parent' | 'externalId'): string {
  if (role === 'parent') return 'Account Id';
  return { account: 'Account Id', task: 'Task External Id', touchpoint: 'Touchpoint External Id', campaign_touch: 'Touchpoint External Id' }[entity];
}

function keyFieldNames(entity: HubEntity): string[] {
  return entity === 'account' ? ['Account Id'] : ['Account Id', keyFieldName(entity, 'externalId')];
}

/**
 * Creates keyed on the record Id cannot be made idempotent: the Id exists only once the CRM has created the
 * record, so a worker that dies between the create and the hub's record of it creates it again on retry.
 */
function notIdempotent(rowNo: number, label: string, object: string): ValidationIssue {
  return {
    severity: 'warning',
    code: 'CREATE_NOT_IDEMPOTENT',
    row: rowNo,
    message: `${label}: created ${object} records are matched by the Id the CRM returns; a worker that crashes after the CRM created a record and before hubsync recorded it creates it again on retry`,
    fix: `key this row on an External ID field of ${object} (the demo org has Hubsync_External_Id__c): hubsync then writes the hub record's key there and creates by upsert, exactly once`,
  };
}

/** Resolves `Field` or `Relationship.Field` (one level) on `object`; explains why not when it cannot. */
async function resolveCrmPath(
  object: CrmObjectDescribe,
  path: string,
  describe: DescribeLookup,
): Promise<{ field: CrmFieldDescribe; via?: CrmFieldDescribe } | { problem: string; code: string; fix: string }> {
  const parts = path.split('.');
  if (parts.length > 2) {
    return { code: 'REFERENCE_TOO_DEEP', problem: `'${path}' goes through ${parts.length - 1} relationships; only first-level references (like Owner.Email) are supported`, fix: `map a field of ${object.name} or of a directly referenced record, e.g. ${parts[0]}.${parts[parts.length - 1]}` };
  }
  if (parts.length === 1) {
    const field = findField(object, path);
    if (!field) return { code: 'UNKNOWN_CRM_FIELD', problem: `${object.name} has no field '${path}'`, fix: `pick a field of ${object.name} (see its describe), or define it in the CRM first${path.endsWith('__c') ? '' : ' (custom fields end in __c)'}` };
    return { field };
  }
  const [relationship, fieldName] = parts as [string, string];
  const via = findRelationship(object, relationship);
  if (!via) return { code: 'UNKNOWN_CRM_FIELD', problem: `${object.name} has no relationship '${relationship}'`, fix: `use the relationship name of a lookup field of ${object.name} (OwnerId → Owner, CreatedById → CreatedBy)` };
  for (const target of via.referenceTo) {
    const referenced = await describe(target);
    const field = referenced && findField(referenced, fieldName);
    if (field) return { field, via };
  }
  return { code: 'UNKNOWN_CRM_FIELD', problem: `${via.referenceTo.join('/')} (through ${relationship}) has no field '${fieldName}'`, fix: `pick a field of ${via.referenceTo.join(' or ')}` };
}

/**
 * The full validation: structure, then every row against the CRM's describe of the job's object.
 * Describe lookups go through `describe` (the connector caches them).
 */
export async function validateMapping(config: JobConfig, describe: DescribeLookup): Promise<ValidationReport> {
  const info = JOB_KIND_INFO[config.kind];
  const issues = validateStructure(config);
  const rows: RowCheck[] = config.mapping.map((row, i) => ({ row: i + 1, crmField: row.crmField, hubField: row.hubField, ok: !issues.some((x) => x.row === i + 1 && x.severity === 'error') }));
  const fail = (rowNo: number, code: string, message: string, fix: string) => {
    issues.push({ severity: 'error', code, row: rowNo, message, fix });
    const check = rows[rowNo - 1];
    if (check) check.ok = false;
  };

  const object = await describe(config.crmObject);
  if (!object) {
    issues.push({ severity: 'error', code: 'UNKNOWN_CRM_OBJECT', message: `the CRM has no object '${config.crmObject}'`, fix: `set crmObject to an existing object (${info.crmObject} by default, or a custom object such as Activity__c)` });
    return { ok: false, issues, rows: rows.map((r) => ({ ...r, ok: false })) };
  }
  if (config.parentObject && !(await describe(config.parentObject))) {
    issues.push({ severity: 'error', code: 'UNKNOWN_CRM_OBJECT', message: `the CRM has no parent object '${config.parentObject}'`, fix: `set parentObject to Account` });
  }
  const allowCreate = config.allowCreate ?? true;

  for (const [index, row] of config.mapping.entries()) {
    const rowNo = index + 1;
    const label = `row ${rowNo} (${describeRow(row, info.direction)})`;
    const hubField = resolveHubField(info.entity, row);
    if (!hubField) continue; // already reported by validateStructure

    if (hubField.role === 'externalId' && config.kind === 'campaign-touch-outbound' && row.crmField.toLowerCase() === CAMPAIGN_TOUCH_ID_PLACEHOLDER) {
      issues.push({ severity: 'warning', code: 'CAMPAIGN_TOUCH_ID_NOT_MAPPED', row: rowNo, message: `${label}: campaign touches are matched by the Event ID hubsync recorded when it created them`, fix: 'T17 recommends a custom External ID field on Event (e.g. Campaign_Touch_Id__c) to tell campaign touches from other events; set crmField to it' });
      if (allowCreate) issues.push(notIdempotent(rowNo, label, object.name));
      continue;
    }

    const resolved = await resolveCrmPath(object, row.crmField, describe);
    if ('problem' in resolved) {
      fail(rowNo, resolved.code, `${label}: ${resolved.problem}`, resolved.fix);
      continue;
    }
    const { field, via } = resolved;
    const check = rows[index];
    if (check) check.crmType = via ? `${via.relationshipName}.${field.type}` : field.type;

    if (hubField.role === 'parent') {
      if (field.type !== 'reference' || (config.parentObject && !field.referenceTo.includes(config.parentObject))) {
        fail(rowNo, 'WRONG_KEY_FIELD', `${label}: the parent key must be a lookup to ${config.parentObject ?? 'the parent object'}; ${field.name} is ${field.type === 'reference' ? `a lookup to ${field.referenceTo.join('/')}` : `of type ${field.type}`}`, `use AccountId (or WhatId) for ${config.crmObject}`);
      }
      continue;
    }
    if (hubField.role === 'externalId') {
      if (via) fail(rowNo, 'WRONG_KEY_FIELD', `${label}: the external-ID key must be a field of ${object.name} itself`, 'use Id, or a custom External ID field of the object');
      else if (field.type !== 'id' && !field.externalId) {
        fail(rowNo, 'NOT_EXTERNAL_ID', `${label}: ${field.name} cannot hold a record's external ID (it is neither the record Id nor marked External ID)`, `use Id, or mark ${field.name} as External ID (and Unique) in the CRM`);
      } else if (info.direction === 'outbound' && field.type === 'id' && allowCreate) {
        issues.push(notIdempotent(rowNo, label, object.name));
      } else if (info.direction === 'outbound' && field.type !== 'id' && (!field.updateable || (allowCreate && !field.createable))) {
        fail(rowNo, 'READ_ONLY_CRM_FIELD', `${label}: hubsync writes the hub record's key into ${object.name}.${field.name}, which is not writable`, `make ${field.name} createable and updateable for the integration user, or key the row on Id`);
      }
      continue;
    }

    if (info.direction === 'inbound') {
      if (!readableAs(field.type, hubField.type, field)) {
        fail(rowNo, 'TYPE_MISMATCH', `${label}: ${row.crmField} is ${field.type}, which cannot fill '${hubField.name}' (${hubField.type})`, hubField.type === 'user' && field.type === 'reference' ? `map ${field.relationshipName ?? 'Owner'}.Email instead (the hub identifies users by email)` : `map a CRM field of a type compatible with ${hubField.type}, or change the hub field`);
      }
      continue;
    }

    // Outbound.
    if (via) {
      fail(rowNo, 'REFERENCE_FIELD_OUTBOUND', `${label}: reference fields (${row.crmField}) cannot be written outbound`, `map a field of ${object.name} itself; for the owner map OwnerId (hubsync resolves the user's email to a CRM user)`);
      continue;
    }
    if (field.name === 'CreatedById' || field.name === 'CreatedDate') {
      fail(rowNo, 'READ_ONLY_CRM_FIELD', `${label}: the CRM sets ${field.name} itself; it cannot be written (T21)`, `remove row ${rowNo}`);
      continue;
    }
    if (field.type === 'reference') {
      const ownerLike = field.referenceTo.includes('User') && hubField.type === 'user';
      const participants = hubField.type === 'participants';
      if (!ownerLike && !participants) {
        fail(rowNo, 'REFERENCE_FIELD_OUTBOUND', `${label}: ${field.name} is a lookup to ${field.referenceTo.join('/')}; reference fields cannot be mapped outbound`, `only OwnerId (from a hub user) and WhoId (from Participants) are resolved by hubsync; remove row ${rowNo}`);
        continue;
      }
    }
    if (!writableAs(hubField.type, field.type, field)) {
      fail(rowNo, 'TYPE_MISMATCH', `${label}: '${hubField.name}' (${hubField.type}) cannot be written into ${field.name} (${field.type})`, 'map it to a CRM field of a compatible type');
      continue;
    }
    if (!field.updateable || (allowCreate && !field.createable)) {
      const missing = [!field.updateable ? 'updateable' : '', allowCreate && !field.createable ? 'createable' : ''].filter(Boolean).join(' nor ');
      fail(rowNo, 'READ_ONLY_CRM_FIELD', `${label}: ${object.name}.${field.name} is not ${missing}${field.calculated ? ' (the CRM derives it)' : ''}`, `remove row ${rowNo} or map a writable field`);
    }
  }
  return { ok: !issues.some((i) => i.severity === 'error'), issues, rows };
}
