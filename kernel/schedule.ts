/**
 * Job schedules (P2): an interval ("15m") or a five-field cron expression, checked in full (range, field by
 * field) wherever one comes in: a job's configuration when it is saved, the CLI's --every/--cron and the typed
 * client's schedule requests. A refusal names the input, what is wrong and the fix. Free of Node built-ins.
 */
import { ConfigurationError } from './errors';

/** Shortest and longest schedule intervals hubsync accepts (Temporal takes up to ~292 years; a year is plenty). */
export const MIN_INTERVAL_SECONDS = 60;
export const MAX_INTERVAL_SECONDS = 366 * 86400;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses "15m", "1h", "30s", "1d" into seconds, within [1 minute, 366 days]. */
export function parseEvery(every: string, flag = '--every'): number {
  const match = /^(\d+)([smhd])$/.exec(every.trim());
  if (!match) throw new ConfigurationError(`${flag} takes a duration such as 15m, 1h or 1d, not '${every}'.`, { fix: 'write a whole number followed by s, m, h or d' });
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) {
    throw new ConfigurationError(`${flag} ${every} is out of range: a schedule runs at most every minute and at least once a year.`, { fix: 'give an interval from 1m to 366d' });
  }
  return seconds;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

/**
 * Checks a standard five-field cron expression (minute hour day-of-month month day-of-week) field by field:
 * `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and month and day names.
 */
export function parseCron(expression: string, flag = '--cron'): string {
  const fields = expression.trim().split(/\s+/);
  const fix = 'write five fields: minute hour day-of-month month day-of-week, e.g. "0 * * * *" (every hour) or "30 6 * * MON-FRI"';
  if (fields.length !== 5) throw new ConfigurationError(`${flag} "${expression}" has ${fields.length} field(s), not 5.`, { fix });
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i]!;
    const value = (v: string) => {
      const named = spec.names?.indexOf(v.toUpperCase()) ?? -1;
      const n = named >= 0 ? named + spec.min : /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= spec.min && n <= spec.max)) throw new ConfigurationError(`${flag} "${expression}": '${v}' is not a valid ${spec.name} (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''}).`, { fix });
      return n;
    };
    for (const part of field.split(',')) {
      const [range, step] = part.split('/') as [string, string | undefined];
      if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) throw new ConfigurationError(`${flag} "${expression}": the step '/${step}' of the ${spec.name} field is not a positive number.`, { fix });
      if (range === '*') continue;
      const [from, to] = range.split('-') as [string, string | undefined];
      if (to !== undefined && value(from) > value(to)) throw new ConfigurationError(`${flag} "${expression}": the ${spec.name} range '${range}' runs backwards.`, { fix });
      value(from);
    }
  });
  return fields.join(' ');
}
