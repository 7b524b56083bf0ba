/**
 * Salesforce record IDs: 15 case-sensitive base-62 characters (3-character key prefix of the object,
 * 2-character pod, 1 reserved, 9-character sequence) plus the 3-character suffix that makes the 18-character
 * form case-insensitive. Salesforce accepts either form on input and always answers with 18 characters.
 */
import { SalesforceError } from './model';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The suffix alphabet: one character per 5-character chunk, encoding which of its 5 characters are upper case. */
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_15 = /^[0-9A-Za-z]{15}$/;
const ID_18 = /^[0-9A-Za-z]{18}$/;
/**
 * The 2-character instance ("pod") part every ID of an org carries, followed by a reserved `0` (real orgs
 * show e.g. `5g0`). Salesforce never hands out the same ID twice on a pod; separate sandbox orgs that must
 * not share IDs (several orgs syncing into one hub) are started on different pods.
 */
export const DEFAULT_POD = 'Hs';
const POD_PATTERN = /^[0-9A-Za-z]{2}$/;

export function checkPod(pod: string): string {
  if (!POD_PATTERN.test(pod)) throw new Error(`pod must be 2 letters or digits, got '${pod}'`);
  return pod;
}
const SEQUENCE_DIGITS = 9;

export const KEY_PREFIX = {
  organization: '00D',
  user: '005',
  account: '001',
  contact: '003',
  task: '00T',
  event: '00U',
  group: '00G',
  taskStatus: '01J',
  taskPriority: '01K',
  queryLocator: '01g',
} as const;

function isUpper(ch: string): boolean {
  return ch >= 'A' && ch <= 'Z';
}

function suffixOf(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (isUpper(id15.charAt(chunk * 5 + i))) bits |= 1 << i;
    suffix += SUFFIX.charAt(bits);
  }
  return suffix;
}

/** The 18-character form of a valid 15-character ID. */
export function to18(id15: string): string {
  return id15 + suffixOf(id15);
}

/**
 * The canonical 18-character ID for a 15- or 18-character input, or undefined when the input is not an ID.
 * An 18-character ID may arrive in any letter case (that is what the suffix is for): its suffix restores the
 * case of the first 15 characters.
 */
export function normalizeId(input: string): string | undefined {
  if (ID_15.test(input)) return to18(input);
  if (!ID_18.test(input)) return undefined;
  const suffix = input.slice(15).toUpperCase();
  let restored = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = SUFFIX.indexOf(suffix.charAt(chunk));
    if (bits < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const ch = input.charAt(chunk * 5 + i);
      restored += bits & (1 << i) ? ch.toUpperCase() : ch.toLowerCase();
    }
  }
  // Digits cannot carry case: a suffix claiming an upper-case digit is not a Salesforce ID.
  if (suffixOf(restored) !== suffix) return undefined;
  return restored + suffix;
}

/** Like normalizeId, but throws MALFORMED_ID as Salesforce does for an unusable ID in a request. */
export function requireId(input: string): string {
  const id = normalizeId(input);
  if (!id) throw new SalesforceError(400, 'MALFORMED_ID', `malformed id ${input}`);
  return id;
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}

function encodeSequence(n: number): string {
  let out = '';
  let rest = n;
  for (let i = 0; i < SEQUENCE_DIGITS; i++) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** Builds an ID from a key prefix and a sequence number (deterministic: the demo data gets the same IDs every time). */
export function makeId(keyPrefix: string, sequence: number, pod: string = DEFAULT_POD): string {
  return to18(`${keyPrefix}${pod}0${encodeSequence(sequence)}`);
}

/** Hands out record IDs from one org-wide, increasing sequence, as Salesforce does. */
export class IdGenerator {
  constructor(
    private next = 1,
    private readonly pod: string = DEFAULT_POD,
  ) {}

  newId(keyPrefix: string): string {
    return makeId(keyPrefix, this.next++, this.pod);
  }

  get state(): number {
    return this.next;
  }

  set state(value: number) {
    this.next = value;
  }
}

/** Key prefixes of custom objects: a0x, a0y, ... a1A ... as Salesforce assigns them in an org. */
export function customObjectKeyPrefix(index: number): string {
  const n = BASE62.indexOf('x') + index; // the first custom object of an org is typically a0x
  const second = BASE62.charAt(Math.floor(n / 62) % 62);
  const third = BASE62.charAt(n % 62);
  return `a${second}${third}`;
}
