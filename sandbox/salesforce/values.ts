/**
 * Field values in and out. In: the JSON a client sends is deserialised per field type the way Salesforce's
 * REST layer does it (a mismatch fails the whole request with JSON_PARSER_ERROR; empty strings are stored
 * as null). Out: stored values rendered in Salesforce's JSON formats (datetimes as `...000+0000`).
 */
import { sfDateTime, wholeSecondIso } from './clock';
import { SalesforceError, type FieldValue } from './model';
import { isStringType, type FieldDef } from './schema';

/** A per-record DML error: rendered with `fields` (even empty) and, in collections, as `statusCode`. */
export class RecordError extends SalesforceError {}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function jsonToken(raw: unknown): string {
  if (typeof raw === 'string') return 'VALUE_STRING';
  if (typeof raw === 'boolean') return raw ? 'VALUE_TRUE' : 'VALUE_FALSE';
  if (typeof raw === 'number') return Number.isInteger(raw) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  return Array.isArray(raw) ? 'START_ARRAY' : 'START_OBJECT';
}

function javaType(field: FieldDef): string {
  switch (field.type) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    default:
      return 'string';
  }
}

function mismatch(field: FieldDef, raw: unknown): SalesforceError {
  const shown = typeof raw === 'object' ? (Array.isArray(raw) ? '[' : '{') : String(raw);
  // Salesforce's message names the Java type and the JSON token, e.g.
  // "Cannot deserialize instance of double from VALUE_STRING value abc or request may be missing a required field".
  return new SalesforceError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${javaType(field)} from ${jsonToken(raw)} value ${shown} or request may be missing a required field`);
}

export function isValidDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Parses the datetime forms Salesforce accepts into an ISO `...Z` string, or undefined. */
export function parseDateTime(s: string): string | undefined {
  const m = DATETIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '0', zone = 'Z'] = m;
  if (!isValidDate(`${y}-${mo}-${d}`)) return undefined;
  const tz = zone === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const parsed = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${ms}${tz}`);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

/** Deserialises one JSON value for `field`; throws JSON_PARSER_ERROR (a whole-request error) on a type mismatch. */
export function coerceInput(field: FieldDef, raw: unknown): FieldValue {
  if (raw === null || raw === undefined) return field.type === 'boolean' ? false : null;
  switch (field.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
      throw mismatch(field, raw);
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw mismatch(field, raw);
      return n;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw mismatch(field, raw);
      return n;
    }
    case 'date':
      if (typeof raw !== 'string' || !isValidDate(raw)) throw mismatch(field, raw);
      return raw;
    case 'datetime': {
      const iso = typeof raw === 'string' ? parseDateTime(raw) : undefined;
      if (!iso) throw mismatch(field, raw);
      return wholeSecondIso(iso);
    }
    default:
      // Strings, picklists, IDs: scalars are accepted and stringified; Salesforce stores '' as null.
      if (typeof raw === 'object') throw mismatch(field, raw);
      return raw === '' ? null : String(raw);
  }
}

/** A stored value as Salesforce renders it in JSON (retrieve, collections retrieve). */
export function outputValue(field: FieldDef, value: FieldValue | undefined): FieldValue {
  if (value === undefined || value === null) return field.type === 'boolean' ? false : null;
  if (field.type === 'datetime' && typeof value === 'string') return sfDateTime(value);
  return value;
}

export function isTextual(field: FieldDef): boolean {
  return isStringType(field.type);
}
