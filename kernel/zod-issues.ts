/** zod's generic issues in plain words: what is wrong with the value at each path (every refusal of input). */
import type { z } from 'zod';

export function describeIssue(issue: z.core.$ZodIssue): string {
  // A message the schema wrote itself says it best; only zod's generic ones are reworded.
  if (!/^(Too big|Too small|Invalid input|Unrecognized key)/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string' ? `too long: at most ${issue.maximum} characters` : issue.origin === 'array' ? `too many: at most ${issue.maximum}` : `too big: at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'string' ? (issue.minimum === 1 ? 'empty: give a value' : `too short: at least ${issue.minimum} characters`) : issue.origin === 'array' ? `too few: at least ${issue.minimum}` : `too small: at least ${issue.minimum}`;
    case 'unrecognized_keys':
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_type':
      return `expected ${issue.expected}${'input' in issue ? `, got ${describeValue(issue.input)}` : ''}`;
    default:
      return issue.message;
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}
