/**
 * Dates and datetimes: SOQL literals, stored values, Salesforce's output format, and the ranges of relative
 * date literals (TODAY, LAST_N_DAYS:n, ...).
 *
 * Storage formats the engine accepts (the store writes the first form of each):
 * - datetime: an ISO-8601 string, `2024-01-31T10:00:00.000Z`; also without milliseconds, with an offset
 *   (`+01:00` / `+0100`) instead of `Z`, or epoch milliseconds as a number.
 * - date: `YYYY-MM-DD` (a longer string is read by its first 10 characters).
 *
 * Relative literals are evaluated in UTC against the sandbox clock, weeks start on Sunday (the en_US locale) and
 * the fiscal year is the calendar year (the default for an org), so THIS_FISCAL_QUARTER equals THIS_QUARTER.
 */
import { type FieldValue } from '../model';

export const DAY_MS = 86_400_000;

const DATE_LITERAL = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_LITERAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/i;

/** `YYYY-MM-DD` when the text is a real calendar date (2024-02-30 is not). */
export function parseDateLiteral(text: string): string | undefined {
  const m = DATE_LITERAL.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  return check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day ? text : undefined;
}

/** Epoch milliseconds of a SOQL datetime literal (`2024-01-31T10:00:00Z`, `...+01:00`), undefined when invalid. */
export function parseDatetimeLiteral(text: string): number | undefined {
  const m = DATETIME_LITERAL.exec(text);
  if (!m || parseDateLiteral(text.slice(0, 10)) === undefined) return undefined;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8] ?? 'Z';
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const millis = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), hour, minute, second, millis) - offsetMinutes * 60_000;
}

function digitsAt(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Epoch milliseconds of a stored datetime, NaN for null or unreadable values. Runs once per row in filters and
 * sort-key extraction, so the canonical `YYYY-MM-DDTHH:MM:SS(.sss)Z` shape is read digit by digit without
 * allocating; anything else goes through Date.parse.
 */
export function datetimeMs(value: FieldValue): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return NaN;
  const n = value.length;
  if ((n === 24 || n === 20) && value.charCodeAt(n - 1) === 90 && value.charCodeAt(10) === 84) {
    const ms = n === 24 ? digitsAt(value, 20, 3) : 0;
    const t = Date.UTC(
      digitsAt(value, 0, 4),
      digitsAt(value, 5, 2) - 1,
      digitsAt(value, 8, 2),
      digitsAt(value, 11, 2),
      digitsAt(value, 14, 2),
      digitsAt(value, 17, 2),
      ms,
    );
    if (t === t) return t;
  }
  return Date.parse(value);
}

/** A stored date as `YYYY-MM-DD`, null when absent. */
export function dateString(value: FieldValue): string | null {
  if (typeof value !== 'string' || value.length < 10) return null;
  return value.length === 10 ? value : value.slice(0, 10);
}

/** Salesforce's JSON datetime format: `2013-05-07T22:07:19.000+0000` (always UTC, always milliseconds). */
export function formatDatetime(value: FieldValue): string | null {
  if (typeof value === 'string' && value.length === 24 && value.charCodeAt(23) === 90) return `${value.slice(0, 23)}+0000`;
  const ms = datetimeMs(value);
  if (ms !== ms) return value === null ? null : String(value);
  return `${new Date(ms).toISOString().slice(0, 23)}+0000`;
}

export function dayToDateString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A range of whole UTC days, `end` exclusive, in days since the epoch. */
export interface DayRange {
  start: number;
  end: number;
}

export const DATE_LITERALS = new Set([
  'YESTERDAY', 'TODAY', 'TOMORROW',
  'LAST_WEEK', 'THIS_WEEK', 'NEXT_WEEK',
  'LAST_MONTH', 'THIS_MONTH', 'NEXT_MONTH',
  'LAST_90_DAYS', 'NEXT_90_DAYS',
  'LAST_QUARTER', 'THIS_QUARTER', 'NEXT_QUARTER',
  'LAST_YEAR', 'THIS_YEAR', 'NEXT_YEAR',
  'LAST_FISCAL_QUARTER', 'THIS_FISCAL_QUARTER', 'NEXT_FISCAL_QUARTER',
  'LAST_FISCAL_YEAR', 'THIS_FISCAL_YEAR', 'NEXT_FISCAL_YEAR',
]);

export const DATE_N_LITERALS = new Set([
  'LAST_N_DAYS', 'NEXT_N_DAYS', 'N_DAYS_AGO',
  'LAST_N_WEEKS', 'NEXT_N_WEEKS', 'N_WEEKS_AGO',
  'LAST_N_MONTHS', 'NEXT_N_MONTHS', 'N_MONTHS_AGO',
  'LAST_N_QUARTERS', 'NEXT_N_QUARTERS', 'N_QUARTERS_AGO',
  'LAST_N_YEARS', 'NEXT_N_YEARS', 'N_YEARS_AGO',
  'LAST_N_FISCAL_QUARTERS', 'NEXT_N_FISCAL_QUARTERS', 'N_FISCAL_QUARTERS_AGO',
  'LAST_N_FISCAL_YEARS', 'NEXT_N_FISCAL_YEARS', 'N_FISCAL_YEARS_AGO',
]);

type Unit = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

/** Calendar arithmetic around one "now": the start day of the period `delta` units away from the current one. */
class Calendar {
  readonly today: number;
  private readonly year: number;
  private readonly month: number;

  constructor(now: Date) {
    this.today = Math.floor(now.getTime() / DAY_MS);
    this.year = now.getUTCFullYear();
    this.month = now.getUTCMonth();
  }

  periodStart(unit: Unit, delta: number): number {
    switch (unit) {
      case 'DAY':
        return this.today + delta;
      case 'WEEK':
        return this.today - new Date(this.today * DAY_MS).getUTCDay() + 7 * delta;
      case 'MONTH':
        return Date.UTC(this.year, this.month + delta, 1) / DAY_MS;
      case 'QUARTER':
        return Date.UTC(this.year, this.month - (this.month % 3) + 3 * delta, 1) / DAY_MS;
      case 'YEAR':
        return Date.UTC(this.year + delta, 0, 1) / DAY_MS;
    }
  }

  /** Whole periods from `from` (inclusive) to `to` (exclusive), relative to the current period. */
  periods(unit: Unit, from: number, to: number): DayRange {
    return { start: this.periodStart(unit, from), end: this.periodStart(unit, to) };
  }
}

function unitOf(word: string): Unit {
  if (word.startsWith('DAY')) return 'DAY';
  if (word.startsWith('WEEK')) return 'WEEK';
  if (word.startsWith('MONTH')) return 'MONTH';
  if (word.includes('QUARTER')) return 'QUARTER';
  return 'YEAR';
}

/**
 * The day range a relative date literal stands for. Ranges follow Salesforce's documentation: LAST_N_DAYS:n and
 * LAST_90_DAYS include today (n + 1 days), NEXT_N_DAYS:n starts tomorrow, LAST_N_MONTHS:n covers the n whole
 * months before the current one, NEXT_N_MONTHS:n the n months after it.
 */
export function relativeDateRange(literal: string, n: number, now: Date): DayRange {
  const cal = new Calendar(now);
  switch (literal) {
    case 'YESTERDAY':
      return cal.periods('DAY', -1, 0);
    case 'TODAY':
      return cal.periods('DAY', 0, 1);
    case 'TOMORROW':
      return cal.periods('DAY', 1, 2);
    case 'LAST_90_DAYS':
      return cal.periods('DAY', -90, 1);
    case 'NEXT_90_DAYS':
      return cal.periods('DAY', 1, 91);
    case 'LAST_N_DAYS':
      return cal.periods('DAY', -n, 1);
    case 'NEXT_N_DAYS':
      return cal.periods('DAY', 1, 1 + n);
  }
  const [first, ...rest] = literal.split('_');
  const unit = unitOf(rest.filter((w) => w !== 'N' && w !== 'FISCAL').join('_'));
  switch (first) {
    case 'LAST':
      return literal.includes('_N_') ? cal.periods(unit, -n, 0) : cal.periods(unit, -1, 0);
    case 'THIS':
      return cal.periods(unit, 0, 1);
    case 'NEXT':
      return literal.includes('_N_') ? cal.periods(unit, 1, 1 + n) : cal.periods(unit, 1, 2);
    default:
      // N_DAYS_AGO:n, N_WEEKS_AGO:n, ...: the single period n units back.
      return cal.periods(unit, -n, -n + 1);
  }
}
