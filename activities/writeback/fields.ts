/**
 * What a write-back source's CRM field is, and how a hub value becomes a value that field accepts (W3, W7, W8).
 * `describeSource` asks describe once, when write-back is switched on, and its answer is stored with the source
 * (attribute_sources.crm_describe), so a request is checked against it without any CRM call. Pure functions
 * apart from the describe lookup.
 */
import type { ReferenceMode, SourceField, WritableField, WriteBackValue } from '../../kernel/writeback';
import { findField, findRelationship, type CrmFieldDescribe, type DescribeLookup } from '../crm/types';
import { toHubValue, type HubValue } from '../mapping/engine';
import type { HubFieldType } from '../mapping/hub-fields';

export class SourceFieldProblem extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** Splits a path; more than one dot is a deeper reference, which write-back refuses (W8). */
export function pathParts(path: string): { relationship: string | null; field: string } {
  const parts = path.split('.');
  if (parts.length > 2) {
    throw new SourceFieldProblem(
      `'${path}' is a reference ${parts.length - 1} levels deep; write-back supports fields of the record and first-level references such as Owner.Email only (W8)`,
      `map a field of ${parts[0]}'s object directly, or a first-level reference`,
    );
  }
  return parts.length === 2 ? { relationship: parts[0] ?? '', field: parts[1] ?? '' } : { relationship: null, field: path };
}

function writable(f: CrmFieldDescribe): WritableField {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    nillable: f.nillable,
    restrictedPicklist: f.restrictedPicklist,
    picklistValues: f.picklistValues.filter((p) => p.active).map((p) => p.value),
    length: f.length,
  };
}

/**
 * Checks that write-back can change this source in `mode` (the field, or the lookup for a re-point, is
 * updateable and not a formula) and returns what requests will be checked against. Throws SourceFieldProblem.
 */
export async function describeSource(describe: DescribeLookup, object: string, path: string, mode: ReferenceMode): Promise<SourceField> {
  const { relationship, field } = pathParts(path);
  const objectDescribe = await describe(object);
  if (!objectDescribe) throw new SourceFieldProblem(`the CRM has no object '${object}'`, 'check the accounts-inbound job that maps this attribute');
  const where = `${object}.${path}`;
  if (relationship === null) {
    const f = findField(objectDescribe, field);
    if (!f) throw new SourceFieldProblem(`${where} does not exist (describe ${object})`, 'correct the mapping of the accounts-inbound job');
    if (f.calculated) throw new SourceFieldProblem(`${where} is a formula field: the CRM computes it and refuses writes`, 'write back to the fields the formula reads instead');
    if (!f.updateable) throw new SourceFieldProblem(`${where} is not updateable (describe says updateable: false)`, 'choose an updateable field, or ask the CRM admin for edit access to it');
    return { object: objectDescribe.name, path, reference: null, field: writable(f) };
  }
  const lookup = findRelationship(objectDescribe, relationship);
  if (!lookup) throw new SourceFieldProblem(`${object} has no relationship '${relationship}'`, 'correct the mapping of the accounts-inbound job');
  const targetObject = lookup.referenceTo.length === 1 ? lookup.referenceTo[0] : lookup.referenceTo.find((t) => t === 'User');
  if (!targetObject) {
    throw new SourceFieldProblem(`${object}.${lookup.name} may point to ${lookup.referenceTo.join(' or ')}: write-back cannot tell which object to look in`, 'write back a field of a single-object relationship');
  }
  const targetDescribe = await describe(targetObject);
  const f = targetDescribe && findField(targetDescribe, field);
  if (!f) throw new SourceFieldProblem(`${where}: ${targetObject} has no field '${field}'`, 'correct the mapping of the accounts-inbound job');
  const reference = { relationship: lookup.relationshipName ?? relationship, lookupField: lookup.name, targetObject };
  if (mode === 'repoint') {
    if (lookup.calculated || !lookup.updateable) {
      throw new SourceFieldProblem(`${where} is written by re-pointing ${object}.${lookup.name}, which is not updateable`, "use --reference-mode edit-referenced to change the referenced record's field instead");
    }
  } else {
    if (f.calculated) throw new SourceFieldProblem(`${targetObject}.${f.name} is a formula field: editing it on the referenced record is refused by the CRM`, 'use --reference-mode repoint, or map an editable field');
    if (!f.updateable) throw new SourceFieldProblem(`${targetObject}.${f.name} is not updateable, so ${where} cannot be edited on the referenced record`, 'use --reference-mode repoint (find the record with this value and point the lookup to it)');
  }
  return { object: objectDescribe.name, path, reference, field: writable(f) };
}

const NUMBER_TYPES = new Set(['double', 'currency', 'percent', 'int', 'long']);

/** The hub's type for a CRM field type (what the value is compared and stored as). */
export function hubTypeOf(field: WritableField): HubFieldType {
  if (field.type === 'multipicklist') return 'multi_select';
  if (field.type === 'picklist') return 'single_select';
  if (NUMBER_TYPES.has(field.type)) return 'number';
  if (field.type === 'boolean') return 'boolean';
  if (field.type === 'date') return 'date';
  if (field.type === 'datetime') return 'datetime';
  return 'text';
}

export type Converted = { ok: true; crm: string | number | boolean | null; hub: HubValue } | { ok: false; problem: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isValidDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * A requested value in the form the CRM field takes (W3): numbers and booleans from their text, dates as
 * YYYY-MM-DD, multi-select lists joined with `;`, each checked against a restricted picklist's values.
 */
export function convertValue(field: WritableField, value: WriteBackValue): Converted {
  const what = `${field.name} (${field.type})`;
  if (value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
    if (!field.nillable && field.type !== 'boolean') return { ok: false, problem: `${what} cannot be empty` };
    return { ok: true, crm: field.type === 'boolean' ? false : null, hub: field.type === 'multipicklist' ? [] : field.type === 'boolean' ? false : null };
  }
  if (Array.isArray(value) && field.type !== 'multipicklist') return { ok: false, problem: `${what} takes one value, not a list of ${value.length}` };
  const checkPicklist = (v: string): string | undefined =>
    field.restrictedPicklist && !field.picklistValues.includes(v) ? `'${v}' is not a value of the restricted picklist ${field.name}; allowed: ${field.picklistValues.join(', ')}` : undefined;
  switch (field.type) {
    case 'multipicklist': {
      const list = (Array.isArray(value) ? value : String(value).split(';')).map((v) => String(v).trim()).filter(Boolean);
      const problem = list.map(checkPicklist).find(Boolean);
      if (problem) return { ok: false, problem };
      if (list.some((v) => v.includes(';'))) return { ok: false, problem: `a value of ${what} contains ';', the CRM's separator` };
      return { ok: true, crm: list.join(';'), hub: list };
    }
    case 'picklist': {
      const text = String(value);
      const problem = checkPicklist(text);
      return problem ? { ok: false, problem } : { ok: true, crm: text, hub: text };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, crm: value, hub: value };
      const text = String(value).toLowerCase();
      if (text === 'true' || text === 'false') return { ok: true, crm: text === 'true', hub: text === 'true' };
      return { ok: false, problem: `${what} takes true or false, not '${String(value)}'` };
    }
    case 'date': {
      const text = String(value);
      return DATE.test(text) && isValidDate(text) ? { ok: true, crm: text, hub: text } : { ok: false, problem: `${what} takes a date as YYYY-MM-DD, not '${text}'` };
    }
    case 'datetime': {
      const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) return { ok: false, problem: `${what} takes an ISO 8601 date and time (2026-12-01T09:30:00Z), not '${String(value)}'` };
      const iso = new Date(ms).toISOString();
      return { ok: true, crm: iso, hub: iso };
    }
    default:
      break;
  }
  if (NUMBER_TYPES.has(field.type)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) return { ok: false, problem: `${what} takes a number, not '${String(value)}'` };
    if ((field.type === 'int' || field.type === 'long') && !Number.isInteger(n)) return { ok: false, problem: `${what} takes a whole number, not ${n}` };
    return { ok: true, crm: n, hub: n };
  }
  if (typeof value === 'boolean' || typeof value === 'number') return { ok: false, problem: `${what} takes text, not the ${typeof value} ${String(value)}` };
  const text = String(value);
  if (field.length > 0 && text.length > field.length) return { ok: false, problem: `${what} takes at most ${field.length} characters; the value has ${text.length}` };
  if (field.type === 'email' && !EMAIL.test(text)) return { ok: false, problem: `${what} takes an email address, not '${text}'` };
  return { ok: true, crm: text, hub: text };
}

/** A value in a canonical form for comparing what the CRM holds with what the hub saw or asks for. */
export function canonical(field: WritableField, value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value.map(String).sort());
  const hub = toHubValue(value, hubTypeOf(field));
  if (hub === undefined) return JSON.stringify(value ?? null);
  if (Array.isArray(hub)) return JSON.stringify([...hub].sort());
  if (typeof hub === 'string' && field.type === 'email') return JSON.stringify(hub.toLowerCase());
  return JSON.stringify(hub);
}

export function sameValue(field: WritableField, a: unknown, b: unknown): boolean {
  return canonical(field, a) === canonical(field, b);
}

/** The CRM's value in the hub's form, as inbound would store it (multi-select as a list). */
export function hubFormOf(field: WritableField, value: unknown): HubValue {
  return toHubValue(value, hubTypeOf(field)) ?? null;
}
