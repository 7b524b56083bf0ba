/**
 * Where things are in the query text. The parser (@jetstreamapp/soql-parser-js) returns an AST without
 * source positions, but Salesforce's errors point a caret at the offending token. This module scans the
 * query into coarse tokens and maps clause items to offsets, in the same order as the AST lists them:
 * SELECT items, the FROM object, WHERE conditions and logical operators, ORDER BY items, LIMIT and OFFSET.
 * It only runs on queries the parser accepted, so it can stay simple.
 */

export type TokenKind = 'word' | 'string' | 'number' | 'operator' | 'punct' | 'other';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  /** Parenthesis nesting depth at this token (an opening parenthesis has the depth outside it). */
  depth: number;
}

const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>'];

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 46; // dots join relationship paths: Owner.Email
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Number-like literals: integers, decimals, dates and datetimes with offsets (`2024-01-31T10:00:00+01:00`). */
function isNumberPart(c: number): boolean {
  return isWordPart(c) || c === 58 || c === 43 || c === 45; // ':' '+' '-'
}

export function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = soql.length;
  while (i < n) {
    const c = soql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (isWordStart(c)) {
      while (i < n && isWordPart(soql.charCodeAt(i))) i++;
      kind = 'word';
    } else if (isDigit(c) || ((c === 43 || c === 45 || c === 46) && i + 1 < n && (isDigit(soql.charCodeAt(i + 1)) || soql.charCodeAt(i + 1) === 46))) {
      i++;
      while (i < n && isNumberPart(soql.charCodeAt(i))) i++;
      kind = 'number';
    } else if (c === 39) {
      i++;
      while (i < n && soql.charCodeAt(i) !== 39) i += soql.charCodeAt(i) === 92 ? 2 : 1;
      i = Math.min(i + 1, n);
      kind = 'string';
    } else {
      const op = OPERATORS.find((o) => soql.startsWith(o, i));
      if (op) {
        i += op.length;
        kind = 'operator';
      } else {
        i++;
        kind = c === 40 || c === 41 || c === 44 || c === 58 ? 'punct' : 'other';
      }
    }
    const text = soql.slice(start, i);
    if (text === ')') depth--;
    tokens.push({ kind, text, start, depth });
    if (text === '(') depth++;
  }
  return tokens;
}

export interface SelectItemPosition {
  start: number;
  /** The item's first token, e.g. `Name` or `COUNT`. */
  text: string;
  /** The last word of an item like `Id Foo` or `COUNT() c`, which the parser reads as an alias. */
  aliasStart: number | undefined;
}

export interface ConditionPosition {
  field: number;
  operator: number | undefined;
  value: number | undefined;
}

export interface LogicalPosition {
  text: string;
  start: number;
}

export interface QueryPositions {
  select: SelectItemPosition[];
  object: number | undefined;
  conditions: ConditionPosition[];
  logical: LogicalPosition[];
  orderBy: number[];
  clause: Partial<Record<ClauseKeyword, number>>;
  limitValue: number | undefined;
  offsetValue: number | undefined;
}

type ClauseKeyword = 'SELECT' | 'FROM' | 'WHERE' | 'WITH' | 'GROUP' | 'HAVING' | 'ORDER' | 'LIMIT' | 'OFFSET' | 'FOR' | 'UPDATE' | 'USING';
const CLAUSES = new Set<string>(['SELECT', 'FROM', 'WHERE', 'WITH', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'FOR', 'UPDATE', 'USING']);

function upper(token: Token | undefined): string {
  return token?.kind === 'word' ? token.text.toUpperCase() : '';
}

/** Splits a clause's tokens at the commas outside parentheses. */
function splitItems(tokens: Token[], depth: number): Token[][] {
  const items: Token[][] = [[]];
  for (const t of tokens) {
    if (t.text === ',' && t.depth === depth) items.push([]);
    else items[items.length - 1]?.push(t);
  }
  return items.filter((item) => item.length > 0);
}

export function locate(soql: string): QueryPositions {
  const tokens = tokenize(soql);
  const clause: Partial<Record<ClauseKeyword, number>> = {};
  const bounds: { keyword: ClauseKeyword; from: number; to: number }[] = [];
  tokens.forEach((t, i) => {
    const word = upper(t);
    if (t.depth !== 0 || !CLAUSES.has(word) || clause[word as ClauseKeyword] !== undefined) return;
    // ORDER and GROUP only open a clause when BY follows; the items start after BY.
    const hasBy = word === 'ORDER' || word === 'GROUP';
    if (hasBy && upper(tokens[i + 1]) !== 'BY') return;
    clause[word as ClauseKeyword] = t.start;
    bounds.push({ keyword: word as ClauseKeyword, from: i + (hasBy ? 2 : 1), to: tokens.length });
  });
  bounds.forEach((b, k) => {
    const next = bounds[k + 1];
    if (next) b.to = next.from - (next.keyword === 'ORDER' || next.keyword === 'GROUP' ? 2 : 1);
  });
  const region = (keyword: ClauseKeyword): Token[] => {
    const b = bounds.find((x) => x.keyword === keyword);
    return b ? tokens.slice(b.from, b.to) : [];
  };

  const select = splitItems(region('SELECT'), 0).map((item) => {
    const last = item[item.length - 1];
    const beforeLast = item[item.length - 2];
    const aliased = item.length > 1 && last?.kind === 'word' && (beforeLast?.kind === 'word' || beforeLast?.text === ')');
    return { start: item[0]?.start ?? 0, text: item[0]?.text ?? '', aliasStart: aliased ? last.start : undefined };
  });

  const { conditions, logical } = locateWhere(region('WHERE'));
  const value = (keyword: ClauseKeyword) => region(keyword)[0]?.start;
  return {
    select,
    object: region('FROM')[0]?.start,
    conditions,
    logical,
    orderBy: splitItems(region('ORDER'), 0).map((item) => item[0]?.start ?? 0),
    clause,
    limitValue: value('LIMIT'),
    offsetValue: value('OFFSET'),
  };
}

/**
 * Conditions and logical operators of a WHERE clause, in order. A condition starts at the first token that is
 * neither an opening parenthesis nor a logical NOT once a condition is expected (at the start or after AND/OR);
 * parentheses met inside a condition belong to IN lists or function calls. `NOT IN` is an operator, not a NOT.
 */
function locateWhere(tokens: Token[]): { conditions: ConditionPosition[]; logical: LogicalPosition[] } {
  const conditions: ConditionPosition[] = [];
  const logical: LogicalPosition[] = [];
  let expectCondition = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t) break;
    const word = upper(t);
    if (word === 'AND' || word === 'OR') {
      logical.push({ text: t.text, start: t.start });
      expectCondition = true;
    } else if (expectCondition && word === 'NOT') {
      logical.push({ text: t.text, start: t.start });
    } else if (expectCondition && t.text !== '(') {
      let opIndex = i + 1;
      // A function call as the left side (DAY_ONLY(CreatedDate)): the operator follows its closing parenthesis.
      if (tokens[opIndex]?.text === '(') {
        while (opIndex < tokens.length && !(tokens[opIndex]?.text === ')' && tokens[opIndex]?.depth === t.depth)) opIndex++;
        opIndex++;
      }
      const op = tokens[opIndex];
      const valueIndex = upper(op) === 'NOT' && upper(tokens[opIndex + 1]) === 'IN' ? opIndex + 2 : opIndex + 1;
      conditions.push({ field: t.start, operator: op?.start, value: tokens[valueIndex]?.start });
      expectCondition = false;
    }
  }
  return { conditions, logical };
}
