/**
 * How field values compare. Every field type maps to a "kind" whose values normalise to a primitive that
 * compares with `===` and `<`, so filters, IN sets and sort keys share one representation:
 * - string kinds: lower-cased text, since SOQL text comparison and ordering are case-insensitive;
 * - id kinds: the 18-character ID (15-character input is accepted wherever an ID is);
 * - multipicklist: lower-cased `a;b` text (set semantics live in the filter);
 * - numbers as numbers, booleans as 0/1, dates as `YYYY-MM-DD` text, datetimes as epoch milliseconds.
 */
import { normalizeId } from '../ids';
import { type FieldSchema, type FieldType, type FieldValue } from '../model';
import { dateString, datetimeMs } from './dates';

export type Kind = 'string' | 'id' | 'multipicklist' | 'number' | 'boolean' | 'date' | 'datetime';
export type Normal = string | number;

export function kindOf(type: FieldType): Kind {
  switch (type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'multipicklist':
      return 'multipicklist';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    default:
      return 'string';
  }
}

/** The type name Salesforce uses in "must be of type X" filter errors. */
export function soapTypeName(field: FieldSchema): string {
  switch (field.type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'int':
      return 'integer';
    case 'double':
    case 'percent':
      return 'double';
    case 'currency':
      return 'currency';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'dateTime';
    default:
      return 'string';
  }
}

function normalString(v: FieldValue): Normal | null {
  // Salesforce stores blank text as null, so '' and null are the same value to a filter.
  if (v === null || v === '') return null;
  return (typeof v === 'string' ? v : String(v)).toLowerCase();
}

function normalId(v: FieldValue): Normal | null {
  if (typeof v !== 'string' || v === '') return null;
  return v.length === 18 ? v : (normalizeId(v) ?? v);
}

function normalNumber(v: FieldValue): Normal | null {
  if (typeof v === 'number') return v;
  if (v === null || v === '') return null;
  const n = Number(v);
  return n === n ? n : null;
}

function normalBoolean(v: FieldValue): Normal | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null) return null;
  return v === 'true' || v === 1 ? 1 : 0;
}

function normalDatetime(v: FieldValue): Normal | null {
  const ms = datetimeMs(v);
  return ms === ms ? ms : null;
}

export function normalizer(kind: Kind): (v: FieldValue) => Normal | null {
  switch (kind) {
    case 'string':
    case 'multipicklist':
      return normalString;
    case 'id':
      return normalId;
    case 'number':
      return normalNumber;
    case 'boolean':
      return normalBoolean;
    case 'date':
      return dateString;
    case 'datetime':
      return normalDatetime;
  }
}

/** The `;`-separated values of a multipicklist, lower-cased and trimmed, as Salesforce matches them. */
export function multipicklistValues(text: string): string[] {
  return text
    .split(';')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
}
