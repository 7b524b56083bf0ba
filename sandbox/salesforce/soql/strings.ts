/**
 * SOQL string literals. Salesforce's escapes: \n \r \t \b \f (either letter case), \" \' \\ and \uXXXX; in a
 * LIKE pattern also \% and \_ for a literal percent sign or underscore. Any other backslash is an error.
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  N: '\n',
  r: '\r',
  R: '\r',
  t: '\t',
  T: '\t',
  b: '\b',
  B: '\b',
  f: '\f',
  F: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

/** One character of a decoded literal; `wildcard` marks an unescaped % or _ in a LIKE pattern. */
interface Piece {
  char: string;
  wildcard: boolean;
}

export class InvalidEscapeError extends Error {
  constructor(readonly sequence: string) {
    super(`Illegal character sequence '${sequence}' in string literal`);
  }
}

function decodePieces(quoted: string, like: boolean): Piece[] {
  const body = quoted.startsWith("'") && quoted.endsWith("'") && quoted.length >= 2 ? quoted.slice(1, -1) : quoted;
  const pieces: Piece[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body.charAt(i);
    if (ch !== '\\') {
      pieces.push({ char: ch, wildcard: like && (ch === '%' || ch === '_') });
      continue;
    }
    const next = body.charAt(i + 1);
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      pieces.push({ char: simple, wildcard: false });
      i++;
    } else if (like && (next === '%' || next === '_')) {
      pieces.push({ char: next, wildcard: false });
      i++;
    } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
      pieces.push({ char: String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16)), wildcard: false });
      i += 5;
    } else {
      throw new InvalidEscapeError(`\\${next}`);
    }
  }
  return pieces;
}

/** The value of a quoted SOQL string literal (`'Bob\'s'` → `Bob's`). Throws InvalidEscapeError. */
export function decodeString(quoted: string): string {
  return decodePieces(quoted, false)
    .map((p) => p.char)
    .join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A matcher for a LIKE pattern: case-insensitive, `%` any run of characters, `_` exactly one, and the pattern
 * must match the whole value. Throws InvalidEscapeError.
 */
export function likeMatcher(quoted: string): (value: string) => boolean {
  const pieces = decodePieces(quoted, true);
  const source = pieces.map((p) => (p.wildcard ? (p.char === '%' ? '[\\s\\S]*' : '[\\s\\S]') : escapeRegExp(p.char))).join('');
  const re = new RegExp(`^${source}$`, 'i');
  return (value) => re.test(value);
}
