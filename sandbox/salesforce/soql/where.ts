/**
 * WHERE clauses compiled into predicates. Type checks and literal parsing happen once at compile time; the
 * result is a factory that, given the clock and the data source, builds plain closures (relative date ranges
 * are fixed then, so one execution sees one "now"). Per row a condition reads one value, normalises it and
 * compares primitives.
 *
 * Salesforce semantics worth knowing:
 * - text comparison (=, IN, <, LIKE) is case-insensitive;
 * - null is a value: `Field != 'x'` and `NOT IN` match rows where the field is null, `<`/`>`/LIKE never do;
 * - blank text is stored as null, so `Field = ''` means `Field = null`;
 * - a relationship path whose lookup is empty reads as null;
 * - AND and OR cannot be mixed without parentheses, and NOT applies to a single condition or parenthesised
 *   group at the start of a (sub)expression: `A AND NOT B` is "unexpected token: 'NOT'".
 */
import {
  type ValueCondition,
  type ValueFunctionCondition,
  type ValueQueryCondition,
  type ValueWithDateLiteralCondition,
  type ValueWithDateNLiteralCondition,
  type WhereClause,
} from '@jetstreamapp/soql-parser-js';
import { normalizeId } from '../ids';
import { type DataSource, type FieldSchema, type StoredRecord } from '../model';
import { DAY_MS, DATE_LITERALS, DATE_N_LITERALS, dayToDateString, parseDateLiteral, parseDatetimeLiteral, relativeDateRange } from './dates';
import { notSupported, queryError, unexpectedToken } from './errors';
import { resolvePath, type PathContext, type ResolvedPath } from './fields';
import { type ConditionPosition, type LogicalPosition, type QueryPositions } from './positions';
import { decodeString, InvalidEscapeError, likeMatcher } from './strings';
import { kindOf, multipicklistValues, normalizer, soapTypeName, type Kind, type Normal } from './values';

export interface FilterEnv {
  ds: DataSource;
  now: Date;
}
export type Predicate = (record: StoredRecord) => boolean;
export type FilterFactory = (env: FilterEnv) => Predicate;

interface WhereContext extends PathContext {
  positions: QueryPositions;
}

export function compileWhere(where: WhereClause, ctx: WhereContext): FilterFactory {
  const items = flatten(where, ctx.positions);
  const tree = new StructureParser(items, ctx.soql).parse();
  return compileNode(tree, ctx);
}

// ---------------------------------------------------------------------------------------------------------
// Structure. The parser returns the clause as a right-leaning list whose conditions carry counts of the
// parentheses opened before and closed after them; it is flattened back into a token sequence and parsed
// with SOQL's grammar:  expr := NOT primary | primary (AND primary)* | primary (OR primary)*
//                       primary := '(' expr ')' | condition

type LogicalOperator = 'AND' | 'OR' | 'NOT';
type Condition = ValueCondition | ValueWithDateLiteralCondition | ValueWithDateNLiteralCondition | ValueFunctionCondition | ValueQueryCondition;
interface ConditionItem {
  kind: 'condition';
  condition: Condition;
  position: ConditionPosition | undefined;
}
type Item = { kind: 'open' } | { kind: 'close' } | { kind: 'logic'; op: LogicalOperator; position: LogicalPosition | undefined } | ConditionItem;

type Node = { kind: 'and' | 'or'; children: Node[] } | { kind: 'not'; child: Node } | ConditionItem;

function flatten(where: WhereClause, positions: QueryPositions): Item[] {
  const items: Item[] = [];
  let logical = 0;
  let conditions = 0;
  const logic = (op: LogicalOperator) => items.push({ kind: 'logic', op, position: positions.logical[logical++] });
  const repeat = (count: number | undefined, item: Item) => {
    for (let i = 0; i < (count ?? 0); i++) items.push(item);
  };
  let node: WhereClause | undefined = where;
  while (node) {
    const left = node.left;
    const operator = 'operator' in node ? node.operator : undefined;
    if (left === null || !('operator' in left)) {
      // A NOT, possibly preceded by opening parentheses (`(NOT A = 1)` arrives as {openParen: 1}).
      repeat(left?.openParen, { kind: 'open' });
      logic('NOT');
    } else {
      repeat(left.openParen, { kind: 'open' });
      items.push({ kind: 'condition', condition: left, position: positions.conditions[conditions++] });
      repeat(left.closeParen, { kind: 'close' });
      if (operator) logic(operator);
    }
    node = 'right' in node ? node.right : undefined;
  }
  return items;
}

class StructureParser {
  private index = 0;

  constructor(
    private readonly items: Item[],
    private readonly soql: string,
  ) {}

  parse(): Node {
    const node = this.expression();
    const extra = this.items[this.index];
    if (extra) throw this.unexpected(extra);
    return node;
  }

  private expression(): Node {
    const head = this.items[this.index];
    if (head?.kind === 'logic' && head.op === 'NOT') {
      this.index++;
      return { kind: 'not', child: this.primary() };
    }
    const first = this.primary();
    const next = this.items[this.index];
    if (next?.kind !== 'logic') return first;
    if (next.op === 'NOT') throw this.unexpected(next);
    const children = [first];
    for (let item = this.items[this.index]; item?.kind === 'logic'; item = this.items[this.index]) {
      if (item.op !== next.op) throw this.unexpected(item);
      this.index++;
      children.push(this.primary());
    }
    return { kind: next.op === 'AND' ? 'and' : 'or', children };
  }

  private primary(): Node {
    const item = this.items[this.index++];
    if (item?.kind === 'condition') return item;
    if (item?.kind !== 'open') throw this.unexpected(item);
    const inner = this.expression();
    const close = this.items[this.index++];
    if (close?.kind !== 'close') throw this.unexpected(close);
    return inner;
  }

  private unexpected(item: Item | undefined) {
    if (item?.kind === 'logic') return unexpectedToken(this.soql, item.position?.start, item.position?.text ?? item.op);
    if (item?.kind === 'condition') return unexpectedToken(this.soql, item.position?.field, undefined);
    return unexpectedToken(this.soql, undefined, item ? (item.kind === 'open' ? '(' : ')') : undefined);
  }
}

function compileNode(node: Node, ctx: WhereContext): FilterFactory {
  switch (node.kind) {
    case 'condition':
      return compileCondition(node, ctx);
    case 'not': {
      const child = compileNode(node.child, ctx);
      return (env) => {
        const p = child(env);
        return (r) => !p(r);
      };
    }
    case 'and':
    case 'or': {
      const children = node.children.map((c) => compileNode(c, ctx));
      const isAnd = node.kind === 'and';
      return (env) => {
        const ps = children.map((c) => c(env));
        const [a, b] = ps;
        if (ps.length === 2 && a && b) return isAnd ? (r) => a(r) && b(r) : (r) => a(r) || b(r);
        return isAnd ? (r) => ps.every((p) => p(r)) : (r) => ps.some((p) => p(r));
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conditions.

type Operand =
  | { t: 'null' }
  | { t: 'value'; value: Normal }
  /** A relative date literal; its range is computed when the filter is built. */
  | { t: 'range'; literal: string; n: number };

/** An operand once "now" is known: a relative literal has become a half-open range. */
type Resolved = Exclude<Operand, { t: 'range' }> | { t: 'between'; start: Normal; end: Normal };

/** What a condition does with a normalised, non-null value, and its answer for null. */
interface Test {
  test: (v: Normal) => boolean;
  whenNull: boolean;
}

const SET_OPERATORS = new Set(['IN', 'NOT IN', 'INCLUDES', 'EXCLUDES']);
const ORDERING_OPERATORS = new Set(['<', '<=', '>', '>=']);

function compileCondition(item: ConditionItem, ctx: WhereContext): FilterFactory {
  const { condition, position } = item;
  const at = position?.field;
  if ('valueQuery' in condition) throw notSupported(ctx.soql, position?.value, 'A semi-join (IN (SELECT ...))');
  if ('fn' in condition) throw notSupported(ctx.soql, at, `${condition.fn.functionName ?? 'A function'}() in WHERE`);
  const path = resolvePath(ctx, condition.field, at);
  const field = path.field;
  if (!field.filterable) throw queryError(ctx.soql, at, 'INVALID_FIELD', `field '${field.name}' can not be filtered in query call`);

  // The parser passes `<>` through as written, although its Operator type leaves it out.
  const written: string = condition.operator;
  const operator = written === '<>' ? '!=' : written;
  const values = Array.isArray(condition.value) ? condition.value : [condition.value];
  const literalType = condition.literalType;
  const literalTypes: (string | undefined)[] = Array.isArray(literalType) ? literalType : values.map(() => literalType);
  // `Status IN 'Open'` parses, but Salesforce requires the parenthesised list.
  if (SET_OPERATORS.has(operator) !== Array.isArray(condition.value)) throw unexpectedToken(ctx.soql, position?.value, values[0]);

  const kind = kindOf(field.type);
  const checker = new LiteralChecker(ctx.soql, at, position?.value, path, kind);
  checker.checkOperator(operator);

  const normalize = normalizer(kind);
  const read = path.read;
  const build = testBuilder(operator, kind, values, literalTypes, checker);
  return (env) => {
    const { test, whenNull } = build(env.now);
    const ds = env.ds;
    return (r) => {
      const v = normalize(read(r, ds));
      return v === null ? whenNull : test(v);
    };
  };
}

function negate(t: Test): Test {
  const test = t.test;
  return { test: (v) => !test(v), whenNull: !t.whenNull };
}

const NEVER: Test = { test: () => false, whenNull: false };

/** Multipicklist equality compares value sets: 'b;a' equals 'a;b'. */
function canonicalSet(text: string): string {
  return [...new Set(multipicklistValues(text))].sort().join(';');
}

function testBuilder(
  operator: string,
  kind: Kind,
  values: string[],
  literalTypes: (string | undefined)[],
  checker: LiteralChecker,
): (now: Date) => Test {
  if (operator === 'LIKE') {
    const [value] = values;
    if (literalTypes[0] === 'NULL') return () => NEVER;
    checker.expectString(literalTypes[0]);
    const match = checker.decoding(() => likeMatcher(value ?? "''"));
    return () => ({ test: (v) => match(String(v)), whenNull: false });
  }
  if (operator === 'INCLUDES' || operator === 'EXCLUDES') {
    const groups = values.map((value, i) => {
      checker.expectString(literalTypes[i]);
      return multipicklistValues(checker.decoding(() => decodeString(value)));
    });
    const includes: Test = {
      test: (v) => {
        const have = multipicklistValues(String(v));
        return groups.some((group) => group.every((x) => have.includes(x)));
      },
      whenNull: false,
    };
    return () => (operator === 'INCLUDES' ? includes : negate(includes));
  }

  const operands = values.map((value, i) => checker.operand(literalTypes[i], value));
  // Multipicklist rows are compared as canonical value sets too.
  const canonicalRow = kind === 'multipicklist' ? (v: Normal) => canonicalSet(String(v)) : undefined;
  const resolve = (operand: Operand, now: Date): Resolved => {
    if (operand.t !== 'range') return operand;
    const days = relativeDateRange(operand.literal, operand.n, now);
    return kind === 'date'
      ? { t: 'between', start: dayToDateString(days.start), end: dayToDateString(days.end) }
      : { t: 'between', start: days.start * DAY_MS, end: days.end * DAY_MS };
  };

  return (now) => {
    const resolved = operands.map((o) => resolve(o, now));
    let result: Test;
    if (operator === 'IN' || operator === 'NOT IN') {
      const points = new Set<Normal>();
      const ranges: { start: Normal; end: Normal }[] = [];
      let hasNull = false;
      for (const o of resolved) {
        if (o.t === 'null') hasNull = true;
        else if (o.t === 'value') points.add(o.value);
        else ranges.push(o);
      }
      const inList: Test = {
        test: ranges.length === 0 ? (v) => points.has(v) : (v) => points.has(v) || ranges.some((r) => v >= r.start && v < r.end),
        whenNull: hasNull,
      };
      result = operator === 'IN' ? inList : negate(inList);
    } else {
      const [operand] = resolved;
      result = operand ? comparison(operator, operand) : NEVER;
    }
    if (!canonicalRow) return result;
    const test = result.test;
    return { test: (v) => test(canonicalRow(v)), whenNull: result.whenNull };
  };
}

function comparison(operator: string, operand: Resolved): Test {
  if (operand.t === 'null') {
    if (operator === '=') return { test: () => false, whenNull: true };
    if (operator === '!=') return { test: () => true, whenNull: false };
    return NEVER;
  }
  if (operand.t === 'value') {
    const k = operand.value;
    switch (operator) {
      case '=':
        return { test: (v) => v === k, whenNull: false };
      case '!=':
        return { test: (v) => v !== k, whenNull: true };
      case '<':
        return { test: (v) => v < k, whenNull: false };
      case '<=':
        return { test: (v) => v <= k, whenNull: false };
      case '>':
        return { test: (v) => v > k, whenNull: false };
      case '>=':
        return { test: (v) => v >= k, whenNull: false };
    }
    return NEVER;
  }
  // A relative literal is a range: `=` means inside it, `<` before its start, `>` after its end.
  const { start, end } = operand;
  switch (operator) {
    case '=':
      return { test: (v) => v >= start && v < end, whenNull: false };
    case '!=':
      return { test: (v) => v < start || v >= end, whenNull: true };
    case '<':
      return { test: (v) => v < start, whenNull: false };
    case '<=':
      return { test: (v) => v < end, whenNull: false };
    case '>':
      return { test: (v) => v >= end, whenNull: false };
    case '>=':
      return { test: (v) => v >= start, whenNull: false };
  }
  return NEVER;
}

/**
 * Type checks of operators and literals against one field, with Salesforce's messages. Type mismatches point
 * at the field (`at`), malformed literals at the value (`valueAt`).
 */
class LiteralChecker {
  constructor(
    private readonly soql: string,
    private readonly at: number | undefined,
    private readonly valueAt: number | undefined,
    private readonly path: ResolvedPath,
    private readonly kind: Kind,
  ) {}

  private get field(): FieldSchema {
    return this.path.field;
  }

  checkOperator(operator: string): void {
    const type = this.field.type;
    if ((operator === 'INCLUDES' || operator === 'EXCLUDES') && this.kind !== 'multipicklist') {
      throw queryError(this.soql, this.at, 'INVALID_QUERY_FILTER_OPERATOR', 'includes or excludes operator only valid on multipicklist field');
    }
    const likeOk = this.kind === 'string' || this.kind === 'id';
    const orderingOk = this.kind !== 'multipicklist' && this.kind !== 'boolean';
    if ((operator === 'LIKE' && !likeOk) || (ORDERING_OPERATORS.has(operator) && !orderingOk)) {
      throw queryError(this.soql, this.at, 'INVALID_QUERY_FILTER_OPERATOR', `invalid operator on ${type} field`);
    }
  }

  typeError(): never {
    const quoted = this.kind === 'string' || this.kind === 'id' || this.kind === 'multipicklist';
    throw queryError(
      this.soql,
      this.at,
      'INVALID_FIELD',
      `value of filter criterion for field '${this.path.canonical}' must be of type ${soapTypeName(this.field)} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
    );
  }

  expectString(literalType: string | undefined): void {
    if (literalType !== 'STRING') this.typeError();
  }

  decoding<T>(decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      if (!(error instanceof InvalidEscapeError)) throw error;
      throw queryError(this.soql, this.valueAt, 'MALFORMED_QUERY', `Invalid string literal. ${error.message}.`);
    }
  }

  operand(literalType: string | undefined, raw: string): Operand {
    const kind = this.kind;
    switch (literalType) {
      case 'NULL':
        return { t: 'null' };
      case 'STRING': {
        if (kind !== 'string' && kind !== 'id' && kind !== 'multipicklist') this.typeError();
        const text = this.decoding(() => decodeString(raw));
        // `Field = ''` is `Field = null`: blank text is stored as null.
        if (text === '' && kind !== 'id') return { t: 'null' };
        if (kind === 'string') return { t: 'value', value: text.toLowerCase() };
        if (kind === 'multipicklist') return { t: 'value', value: canonicalSet(text) };
        const id = normalizeId(text);
        if (id === undefined) throw queryError(this.soql, this.at, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${text}`);
        return { t: 'value', value: id };
      }
      case 'INTEGER':
      case 'DECIMAL':
        if (kind !== 'number') this.typeError();
        return { t: 'value', value: Number(raw) };
      case 'INTEGER_WITH_CURRENCY_PREFIX':
      case 'DECIMAL_WITH_CURRENCY_PREFIX':
        // `USD5000`: the ISO code selects a currency in multi-currency orgs; this sandbox has one currency.
        if (this.field.type !== 'currency') this.typeError();
        return { t: 'value', value: Number(raw.replace(/^[A-Za-z]+/, '')) };
      case 'BOOLEAN':
        if (kind !== 'boolean') this.typeError();
        return { t: 'value', value: raw.toUpperCase() === 'TRUE' ? 1 : 0 };
      case 'DATE': {
        if (kind !== 'date') this.typeError();
        const date = parseDateLiteral(raw);
        if (date === undefined) throw queryError(this.soql, this.valueAt, 'MALFORMED_QUERY', `Invalid date: ${raw}`);
        return { t: 'value', value: date };
      }
      case 'DATETIME': {
        if (kind !== 'datetime') this.typeError();
        const ms = parseDatetimeLiteral(raw);
        if (ms === undefined) throw queryError(this.soql, this.valueAt, 'MALFORMED_QUERY', `Invalid datetime: ${raw}`);
        return { t: 'value', value: ms };
      }
      case 'DATE_LITERAL':
      case 'DATE_N_LITERAL': {
        if (kind !== 'date' && kind !== 'datetime') this.typeError();
        const [name = '', n = '0'] = raw.toUpperCase().split(':');
        const known = literalType === 'DATE_LITERAL' ? DATE_LITERALS.has(name) : DATE_N_LITERALS.has(name);
        if (!known) throw unexpectedToken(this.soql, this.valueAt, raw);
        return { t: 'range', literal: name, n: Number(n.trim()) };
      }
      default:
        throw unexpectedToken(this.soql, this.valueAt, raw);
    }
  }
}
