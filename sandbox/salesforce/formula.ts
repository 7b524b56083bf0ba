/**
 * Formula fields: a compiler and evaluator for the part of Salesforce's formula language that integrations
 * meet in practice. No `eval`: the source is tokenised, parsed into a tree, type-checked against the object's
 * fields (so a bad formula is refused when the field is defined, as Setup refuses it), and turned into closures
 * that compute the value from the record's other fields.
 *
 * What follows Salesforce (Help, "Formula Operators and Functions"; "Tips for Using Number Fields in Formulas";
 * "'Blank Field Handling' Section on a Salesforce Formula Field", article 000381641):
 * - operators `+ - * / ^ ( )`, `&` (and `+` between texts) concatenates, `=`/`==` and `<>`/`!=` are
 *   interchangeable, `< <= > >=`, `&&` and `||` as alternatives to AND() and OR(); text literals in double
 *   (or single) quotes, `TRUE`, `FALSE`, `NULL`, block comments (slash-star … star-slash); names are
 *   case-insensitive.
 * - a percent field is read as its decimal (50% is 0.5); numbers are rounded half up (12.345 → 12.35,
 *   −12.345 → −12.35) to the field's decimal places.
 * - Blank Field Handling: "treat blank fields as zeroes" reads a blank number, currency or percent field as 0;
 *   "treat blank fields as blanks" lets the blank propagate (describe's `formulaTreatNullNumberAsZero`).
 * - text comparisons are case-sensitive; a blank text is the empty string (ISNULL of a text is always false).
 * - picklists only inside ISPICKVAL, TEXT, CASE, ISBLANK, ISNULL, BLANKVALUE and NULLVALUE.
 * - formulas are at most 3,900 characters; a text result shows at most 1,300 characters.
 *
 * Sandbox choices where Salesforce's behaviour is not documented or does not apply:
 * - values are computed when the record is written (the sandbox stores them), so only fields of the same
 *   record can be referenced (no `Account.Name`, no `$User`), and TODAY()/NOW() are refused (a stored value
 *   would go stale).
 * - ordering comparisons with a blank operand are unknown (null): IF() takes its else branch, AND/OR/NOT use
 *   three-valued logic, and a checkbox result that is unknown is false. `x = NULL` is true when x is blank.
 * - a runtime error (division by zero, an impossible date) gives a blank value, where the UI shows #Error!.
 */
import { type FieldType, type FieldValue } from './model';

/** Setup's return types for a formula field. */
export const FORMULA_RETURN_TYPES = ['text', 'number', 'currency', 'percent', 'checkbox', 'date', 'datetime'] as const;
export type FormulaReturnType = (typeof FORMULA_RETURN_TYPES)[number];

/** The describe `type` of a formula field of each return type. */
export const FORMULA_FIELD_TYPES: Record<FormulaReturnType, FieldType> = {
  text: 'string',
  number: 'double',
  currency: 'currency',
  percent: 'percent',
  checkbox: 'boolean',
  date: 'date',
  datetime: 'datetime',
};

/** The longest formula Setup accepts, in characters (Help, formula field limits). */
export const MAX_FORMULA_LENGTH = 3900;
/** A text formula's value is cut to 1,300 characters, the length describe reports. */
export const TEXT_FORMULA_LENGTH = 1300;

/** A field a formula may read: its canonical name and describe type. */
export interface FormulaFieldRef {
  name: string;
  type: FieldType;
}

export interface FormulaOptions {
  returnType: FormulaReturnType;
  /** For messages: the object the formula lives on. */
  objectName: string;
  /** Resolves a field of that object by name (case-insensitively); undefined when it has none. */
  field: (name: string) => FormulaFieldRef | undefined;
  /** Blank Field Handling: true for "treat blank fields as zeroes". */
  blankAsZero?: boolean | undefined;
  /** Decimal places of a number, currency or percent result. */
  scale?: number | undefined;
}

export interface CompiledFormula {
  readonly source: string;
  readonly returnType: FormulaReturnType;
  readonly blankAsZero: boolean;
  /** Canonical names of the fields the formula reads. */
  readonly references: readonly string[];
  /** The value for a record (fields by canonical name), as the field stores it. */
  evaluate(record: Readonly<Record<string, FieldValue>>): FieldValue;
}

/** A formula that does not compile; `position` is the 0-based offset in the source. */
export class FormulaError extends Error {
  override readonly name = 'FormulaError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'eof'; pos: number };

const OPERATORS = ['&&', '||', '==', '!=', '<>', '<=', '>=', '+', '-', '*', '/', '^', '&', '=', '<', '>', '(', ')', ','];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', "'": "'", '\\': '\\' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new FormulaError('A comment is not closed (missing */)', i);
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i++;
      let text = '';
      for (;;) {
        const d = source[i];
        if (d === undefined) throw new FormulaError('A text literal is not closed', start);
        i++;
        if (d === c) break;
        if (d === '\\') {
          const e = source[i++] ?? '';
          const escaped = ESCAPES[e];
          if (escaped === undefined) throw new FormulaError(`Unknown escape \\${e} in a text literal`, i - 2);
          text += escaped;
        } else {
          text += d;
        }
      }
      tokens.push({ kind: 'string', value: text, pos: start });
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), pos: i });
      i += number[0].length;
      continue;
    }
    const name = /^\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i));
    if (name) {
      tokens.push({ kind: 'name', value: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new FormulaError(`Unexpected character '${c}'`, i);
    tokens.push({ kind: 'op', value: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'eof', pos: source.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'null'; pos: number }
  | { kind: 'field'; name: string; pos: number }
  | { kind: 'unary'; op: string; arg: Node; pos: number }
  | { kind: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { kind: 'call'; name: string; args: Node[]; pos: number };

/** Binary operators from the loosest to the tightest binding; `^` (right-associative) is handled apart. */
const LEVELS: string[][] = [['||'], ['&&'], ['=', '==', '!=', '<>'], ['<', '<=', '>', '>='], ['+', '-', '&'], ['*', '/']];

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] ?? { kind: 'eof', pos: 0 };
  }

  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === value;
  }

  private expectOp(value: string): void {
    const t = this.next();
    if (t.kind !== 'op' || t.value !== value) throw new FormulaError(`Expected '${value}' but found ${describeToken(t)}`, t.pos);
  }

  parse(): Node {
    const node = this.binary(0);
    const t = this.peek();
    if (t.kind !== 'eof') throw new FormulaError(`Unexpected ${describeToken(t)} after the end of the expression`, t.pos);
    return node;
  }

  private binary(level: number): Node {
    const ops = LEVELS[level];
    if (!ops) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !ops.includes(t.value)) return left;
      this.next();
      const right = this.binary(level + 1);
      left = { kind: 'binary', op: t.value, left, right, pos: t.pos };
    }
  }

  private unary(): Node {
    const t = this.peek();
    if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
      this.next();
      return { kind: 'unary', op: t.value, arg: this.unary(), pos: t.pos };
    }
    const base = this.primary();
    if (this.isOp('^')) {
      const op = this.next();
      return { kind: 'binary', op: '^', left: base, right: this.unary(), pos: op.pos };
    }
    return base;
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value, pos: t.pos };
      case 'string':
        return { kind: 'string', value: t.value, pos: t.pos };
      case 'op':
        if (t.value === '(') {
          const inner = this.binary(0);
          this.expectOp(')');
          return inner;
        }
        throw new FormulaError(`Unexpected ${describeToken(t)}`, t.pos);
      case 'eof':
        throw new FormulaError('The formula ends where a value was expected', t.pos);
      case 'name': {
        if (this.isOp('(')) {
          this.next();
          const args: Node[] = [];
          if (!this.isOp(')')) {
            args.push(this.binary(0));
            while (this.isOp(',')) {
              this.next();
              args.push(this.binary(0));
            }
          }
          this.expectOp(')');
          return { kind: 'call', name: t.value.toUpperCase(), args, pos: t.pos };
        }
        const upper = t.value.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE', pos: t.pos };
        if (upper === 'NULL') return { kind: 'null', pos: t.pos };
        return { kind: 'field', name: t.value, pos: t.pos };
      }
    }
  }
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the formula';
    case 'string':
      return `the text "${t.value}"`;
    default:
      return `'${String(t.value)}'`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Types and compiled closures

/** Static types. Dates run as days since 1970-01-01, datetimes as epoch milliseconds. */
type Type = 'text' | 'number' | 'boolean' | 'date' | 'datetime' | 'picklist' | 'null';
type Value = string | number | boolean | null;
type Row = Readonly<Record<string, FieldValue>>;
type Run = (row: Row) => Value;

interface Compiled {
  type: Type;
  run: Run;
  /** A picklist field read directly (only some functions accept one). */
  picklist?: boolean;
}

const TYPE_NAMES: Record<Type, string> = { text: 'Text', number: 'Number', boolean: 'Checkbox', date: 'Date', datetime: 'Date/Time', picklist: 'Picklist', null: 'Null' };

const DAY_MS = 86_400_000;

function text(v: Value): string {
  return typeof v === 'string' ? v : '';
}

function num(v: Value): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function bool(v: Value): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function isBlank(v: Value): boolean {
  return v === null || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function dateText(days: number): string {
  const d = new Date(days * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function parseDate(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return null;
  return dateFromParts(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Days since the epoch of a calendar date, or null when there is no such day (2023-02-29). */
function dateFromParts(year: number, month: number, day: number): number | null {
  if (![year, month, day].every(Number.isInteger)) return null;
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return ms / DAY_MS;
}

/** Half up, away from zero for negatives, in decimal (12.345 → 12.35 despite binary floating point). */
export function roundHalfUp(value: number, scale: number): number {
  const sign = value < 0 ? -1 : 1;
  const abs = String(Math.abs(value));
  // Shift the decimal representation rather than multiply, unless it already is in exponent form.
  if (abs.includes('e')) return (sign * Math.round(Math.abs(value) * 10 ** scale)) / 10 ** scale || 0;
  const shifted = Math.round(Number(`${abs}e${scale}`));
  return sign * Number(`${shifted}e-${scale}`) || 0;
}

function numberText(n: number): string {
  return Number.isInteger(n) ? n.toFixed(0) : String(Number(n.toPrecision(15)));
}

const TYPE_OF_FIELD: Partial<Record<FieldType, Type>> = {
  id: 'text',
  reference: 'text',
  string: 'text',
  textarea: 'text',
  email: 'text',
  phone: 'text',
  url: 'text',
  combobox: 'text',
  picklist: 'picklist',
  boolean: 'boolean',
  int: 'number',
  double: 'number',
  currency: 'number',
  percent: 'number',
  date: 'date',
  datetime: 'datetime',
};

interface Context {
  opts: FormulaOptions;
  references: Set<string>;
}

function fail(message: string, pos: number): never {
  throw new FormulaError(message, pos);
}

function compileField(node: { name: string; pos: number }, ctx: Context): Compiled {
  if (node.name.startsWith('$')) fail(`Global variables such as ${node.name.split('.')[0] ?? node.name} are not available in sandbox formulas`, node.pos);
  if (node.name.includes('.')) {
    fail(`Cross-object references such as ${node.name} are not available in sandbox formulas: reference fields of the ${ctx.opts.objectName} record itself`, node.pos);
  }
  const f = ctx.opts.field(node.name);
  if (!f) fail(`Field ${node.name} does not exist on ${ctx.opts.objectName}`, node.pos);
  const type = TYPE_OF_FIELD[f.type];
  if (!type) fail(`Field ${f.name} is a ${f.type} field, which sandbox formulas cannot read`, node.pos);
  ctx.references.add(f.name);
  const name = f.name;
  switch (type) {
    case 'text':
    case 'picklist':
      return { type, run: (row) => text(row[name] ?? null), picklist: type === 'picklist' };
    case 'boolean':
      return { type, run: (row) => row[name] === true };
    case 'number': {
      const zero = ctx.opts.blankAsZero === true;
      const factor = f.type === 'percent' ? 100 : 1;
      return {
        type,
        run: (row) => {
          const v = row[name];
          return typeof v === 'number' ? v / factor : zero ? 0 : null;
        },
      };
    }
    case 'date':
      return { type, run: (row) => (typeof row[name] === 'string' ? parseDate(row[name]) : null) };
    case 'datetime':
      return {
        type,
        run: (row) => {
          const v = row[name];
          const ms = typeof v === 'string' ? Date.parse(v) : NaN;
          return Number.isNaN(ms) ? null : ms;
        },
      };
    default:
      return fail(`Field ${f.name} cannot be read`, node.pos);
  }
}

function noPicklist(c: Compiled, pos: number, where: string): void {
  if (c.type === 'picklist') fail(`A picklist field can only be used in ISPICKVAL, TEXT, CASE, ISBLANK, ISNULL, BLANKVALUE or NULLVALUE, not in ${where}`, pos);
}

/** The common type of two branches or operands (NULL fits anything); undefined when they disagree. */
function unify(a: Type, b: Type): Type | undefined {
  if (a === 'null') return b;
  if (b === 'null') return a;
  return a === b ? a : undefined;
}

function expectType(c: Compiled, wanted: Type[], pos: number, what: string): void {
  if (c.type === 'null') return;
  if (!wanted.includes(c.type)) fail(`${what} expects ${wanted.map((t) => TYPE_NAMES[t]).join(' or ')}, not ${TYPE_NAMES[c.type]}`, pos);
}

function compileNode(node: Node, ctx: Context): Compiled {
  switch (node.kind) {
    case 'number': {
      const v = node.value;
      return { type: 'number', run: () => v };
    }
    case 'string': {
      const v = node.value;
      return { type: 'text', run: () => v };
    }
    case 'boolean': {
      const v = node.value;
      return { type: 'boolean', run: () => v };
    }
    case 'null':
      return { type: 'null', run: () => null };
    case 'field':
      return compileField(node, ctx);
    case 'unary': {
      const arg = compileNode(node.arg, ctx);
      expectType(arg, ['number'], node.pos, `Unary ${node.op}`);
      if (node.op === '+') return { type: 'number', run: arg.run };
      return { type: 'number', run: (row) => { const v = num(arg.run(row)); return v === null ? null : -v; } };
    }
    case 'binary':
      return compileBinary(node.op, compileNode(node.left, ctx), compileNode(node.right, ctx), node.pos);
    case 'call':
      return compileCall(node, ctx);
  }
}

function arithmetic(type: Type, a: Run, b: Run, op: (x: number, y: number) => number): Compiled {
  return {
    type,
    run: (row) => {
      const x = num(a(row));
      const y = num(b(row));
      if (x === null || y === null) return null;
      const r = op(x, y);
      return Number.isFinite(r) ? r : null;
    },
  };
}

function compileBinary(op: string, left: Compiled, right: Compiled, pos: number): Compiled {
  noPicklist(left, pos, `the ${op} operator`);
  noPicklist(right, pos, `the ${op} operator`);
  const types = `${TYPE_NAMES[left.type]} ${op} ${TYPE_NAMES[right.type]}`;
  const l = left.type === 'null' ? right.type : left.type;
  const r = right.type === 'null' ? left.type : right.type;
  switch (op) {
    case '&':
      if (l !== 'text' && l !== 'null') fail(`The & operator joins texts: ${types}`, pos);
      if (r !== 'text' && r !== 'null') fail(`The & operator joins texts: ${types}`, pos);
      return { type: 'text', run: (row) => text(left.run(row)) + text(right.run(row)) };
    case '+':
      if (l === 'text' && r === 'text') return { type: 'text', run: (row) => text(left.run(row)) + text(right.run(row)) };
      if (l === 'number' && r === 'number') return arithmetic('number', left.run, right.run, (x, y) => x + y);
      if ((l === 'date' || l === 'datetime') && right.type === 'number') return dateShift(l, left.run, right.run, 1);
      if ((r === 'date' || r === 'datetime') && left.type === 'number') return dateShift(r, right.run, left.run, 1);
      return fail(`Cannot add ${types}`, pos);
    case '-':
      if (l === 'number' && r === 'number') return arithmetic('number', left.run, right.run, (x, y) => x - y);
      if ((l === 'date' || l === 'datetime') && right.type === 'number') return dateShift(l, left.run, right.run, -1);
      if (l === 'date' && r === 'date') return arithmetic('number', left.run, right.run, (x, y) => x - y);
      if (l === 'datetime' && r === 'datetime') return arithmetic('number', left.run, right.run, (x, y) => (x - y) / DAY_MS);
      return fail(`Cannot subtract ${types}`, pos);
    case '*':
    case '/':
    case '^':
      if (l !== 'number' || r !== 'number') fail(`The ${op} operator needs numbers: ${types}`, pos);
      if (op === '*') return arithmetic('number', left.run, right.run, (x, y) => x * y);
      if (op === '/') return arithmetic('number', left.run, right.run, (x, y) => (y === 0 ? NaN : x / y));
      return arithmetic('number', left.run, right.run, (x, y) => x ** y);
    case '&&':
    case '||':
      if (l !== 'boolean' || r !== 'boolean') fail(`The ${op} operator needs checkbox (true/false) values: ${types}`, pos);
      return op === '&&' ? logical('AND', [left.run, right.run]) : logical('OR', [left.run, right.run]);
    default:
      return comparison(op, left, right, pos, types);
  }
}

function dateShift(type: 'date' | 'datetime', date: Run, days: Run, sign: 1 | -1): Compiled {
  return {
    type,
    run: (row) => {
      const d = num(date(row));
      const n = num(days(row));
      if (d === null || n === null) return null;
      // A date plus a fraction of a day is still that date; a datetime moves by the fraction.
      return type === 'date' ? d + sign * Math.trunc(n) : d + sign * n * DAY_MS;
    },
  };
}

function comparison(op: string, left: Compiled, right: Compiled, pos: number, types: string): Compiled {
  const type = unify(left.type, right.type);
  if (type === undefined) fail(`Cannot compare ${types}`, pos);
  const equality = op === '=' || op === '==' || op === '!=' || op === '<>';
  if (type === 'boolean' && !equality) fail(`Checkbox values can only be compared with = or <>: ${types}`, pos);
  const negate = op === '!=' || op === '<>';
  if (equality) {
    const normalize = type === 'text' ? (v: Value) => text(v) : (v: Value) => v;
    return { type: 'boolean', run: (row) => (normalize(left.run(row)) === normalize(right.run(row))) !== negate };
  }
  const test: (c: number) => boolean = op === '<' ? (c) => c < 0 : op === '<=' ? (c) => c <= 0 : op === '>' ? (c) => c > 0 : (c) => c >= 0;
  return {
    type: 'boolean',
    run: (row) => {
      const a = left.run(row);
      const b = right.run(row);
      if (type === 'text') {
        const x = text(a);
        const y = text(b);
        return test(x < y ? -1 : x > y ? 1 : 0);
      }
      const x = num(a);
      const y = num(b);
      return x === null || y === null ? null : test(x - y);
    },
  };
}

/** Three-valued AND/OR: a known answer wins over an unknown operand. */
function logical(kind: 'AND' | 'OR', runs: Run[]): Compiled {
  const decisive = kind === 'OR';
  return {
    type: 'boolean',
    run: (row) => {
      let unknown = false;
      for (const run of runs) {
        const v = bool(run(row));
        if (v === decisive) return decisive;
        if (v === null) unknown = true;
      }
      return unknown ? null : !decisive;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Functions

type FunctionCompiler = (args: Compiled[], pos: number, name: string) => Compiled;

function arity(name: string, args: Compiled[], pos: number, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? String(min) : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(`${name}() takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, got ${args.length}`, pos);
  }
}

function arg(args: Compiled[], i: number): Compiled {
  return args[i] ?? { type: 'null', run: () => null };
}

function typed(name: string, args: Compiled[], pos: number, wanted: Type[][]): void {
  arity(name, args, pos, wanted.length);
  wanted.forEach((types, i) => {
    const a = arg(args, i);
    noPicklist(a, pos, `${name}()`);
    expectType(a, types, pos, `Argument ${i + 1} of ${name}()`);
  });
}

function textFn(name: string, fn: (s: string) => Value, type: Type = 'text'): FunctionCompiler {
  return (args, pos) => {
    typed(name, args, pos, [['text']]);
    const a = arg(args, 0).run;
    return { type, run: (row) => fn(text(a(row))) };
  };
}

function numberFn(name: string, fn: (...n: number[]) => number, count: number): FunctionCompiler {
  return (args, pos) => {
    typed(name, args, pos, Array.from({ length: count }, () => ['number']));
    const runs = args.map((a) => a.run);
    return {
      type: 'number',
      run: (row) => {
        const values = runs.map((r) => num(r(row)));
        if (values.some((v) => v === null)) return null;
        const out = fn(...(values as number[]));
        return Number.isFinite(out) ? out : null;
      },
    };
  };
}

function dateParts(name: string, part: (d: Date) => number): FunctionCompiler {
  return (args, pos) => {
    typed(name, args, pos, [['date']]);
    const a = arg(args, 0).run;
    return { type: 'number', run: (row) => { const d = num(a(row)); return d === null ? null : part(new Date(d * DAY_MS)); } };
  };
}

/** The common type of several results (IF, CASE, BLANKVALUE), NULL fitting anything. */
function resultType(name: string, results: Compiled[], pos: number): Type {
  let type: Type = 'null';
  for (const r of results) {
    noPicklist(r, pos, `a result of ${name}()`);
    const next = unify(type, r.type);
    if (next === undefined) fail(`The results of ${name}() must have one type, not ${TYPE_NAMES[type]} and ${TYPE_NAMES[r.type]}`, pos);
    type = next;
  }
  return type;
}

function blankTest(nullOnly: boolean): FunctionCompiler {
  return (args, pos, name) => {
    arity(name, args, pos, 1);
    const a = arg(args, 0);
    // Salesforce documents that a text is never null, so ISNULL of a text is always false.
    if (nullOnly && (a.type === 'text' || a.type === 'picklist')) return { type: 'boolean', run: () => false };
    return { type: 'boolean', run: (row) => isBlank(a.run(row)) };
  };
}

function substitute(nullOnly: boolean): FunctionCompiler {
  return (args, pos, name) => {
    arity(name, args, pos, 2);
    const a = arg(args, 0);
    const b = arg(args, 1);
    const type = resultType(name, [{ ...a, type: a.type === 'picklist' ? 'text' : a.type }, b], pos);
    if (nullOnly && type === 'text') return { type, run: a.run };
    return { type, run: (row) => { const v = a.run(row); return isBlank(v) ? b.run(row) : v; } };
  };
}

function toText(c: Compiled, pos: number): Run {
  switch (c.type) {
    case 'text':
    case 'picklist':
    case 'null':
      return (row) => text(c.run(row));
    case 'number':
      return (row) => { const n = num(c.run(row)); return n === null ? '' : numberText(n); };
    case 'date':
      return (row) => { const d = num(c.run(row)); return d === null ? '' : dateText(d); };
    case 'datetime':
      return (row) => {
        const ms = num(c.run(row));
        return ms === null ? '' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
      };
    case 'boolean':
      return fail('TEXT() does not accept a checkbox value', pos);
  }
}

const FUNCTIONS: Record<string, FunctionCompiler> = {
  AND: (args, pos, name) => {
    arity(name, args, pos, 1, Infinity);
    args.forEach((a, i) => expectType(a, ['boolean'], pos, `Argument ${i + 1} of AND()`));
    return logical('AND', args.map((a) => a.run));
  },
  OR: (args, pos, name) => {
    arity(name, args, pos, 1, Infinity);
    args.forEach((a, i) => expectType(a, ['boolean'], pos, `Argument ${i + 1} of OR()`));
    return logical('OR', args.map((a) => a.run));
  },
  NOT: (args, pos, name) => {
    typed(name, args, pos, [['boolean']]);
    const a = arg(args, 0).run;
    return { type: 'boolean', run: (row) => { const v = bool(a(row)); return v === null ? null : !v; } };
  },
  IF: (args, pos, name) => {
    arity(name, args, pos, 3);
    const [cond, then, otherwise] = [arg(args, 0), arg(args, 1), arg(args, 2)];
    expectType(cond, ['boolean'], pos, 'The condition of IF()');
    const type = resultType(name, [then, otherwise], pos);
    return { type, run: (row) => (cond.run(row) === true ? then.run(row) : otherwise.run(row)) };
  },
  CASE: (args, pos, name) => {
    if (args.length < 4 || args.length % 2 !== 0) fail(`CASE() takes an expression, value/result pairs and an else result (an even number of arguments, at least 4), got ${args.length}`, pos);
    const subject = arg(args, 0);
    const keyType: Type = subject.type === 'picklist' ? 'text' : subject.type;
    const pairs: Array<{ key: Compiled; result: Compiled }> = [];
    for (let i = 1; i + 1 < args.length; i += 2) {
      const key = arg(args, i);
      noPicklist(key, pos, 'a CASE() value');
      if (unify(keyType, key.type) === undefined) fail(`CASE() compares ${TYPE_NAMES[keyType]} values, not ${TYPE_NAMES[key.type]}`, pos);
      pairs.push({ key, result: arg(args, i + 1) });
    }
    const otherwise = arg(args, args.length - 1);
    const type = resultType(name, [...pairs.map((p) => p.result), otherwise], pos);
    const norm = keyType === 'text' ? (v: Value) => text(v) : (v: Value) => v;
    return {
      type,
      run: (row) => {
        const v = norm(subject.run(row));
        for (const p of pairs) if (norm(p.key.run(row)) === v) return p.result.run(row);
        return otherwise.run(row);
      },
    };
  },
  ISBLANK: blankTest(false),
  ISNULL: blankTest(true),
  BLANKVALUE: substitute(false),
  NULLVALUE: substitute(true),
  ISPICKVAL: (args, pos, name) => {
    arity(name, args, pos, 2);
    const [field, value] = [arg(args, 0), arg(args, 1)];
    if (field.type !== 'picklist') fail('The first argument of ISPICKVAL() must be a picklist field', pos);
    expectType(value, ['text'], pos, 'Argument 2 of ISPICKVAL()');
    return { type: 'boolean', run: (row) => text(field.run(row)) === text(value.run(row)) };
  },
  TEXT: (args, pos, name) => {
    arity(name, args, pos, 1);
    return { type: 'text', run: toText(arg(args, 0), pos) };
  },
  LEN: textFn('LEN', (s) => [...s].length, 'number'),
  UPPER: textFn('UPPER', (s) => s.toUpperCase()),
  LOWER: textFn('LOWER', (s) => s.toLowerCase()),
  TRIM: textFn('TRIM', (s) => s.trim()),
  LEFT: (args, pos, name) => {
    typed(name, args, pos, [['text'], ['number']]);
    const [s, n] = [arg(args, 0).run, arg(args, 1).run];
    return { type: 'text', run: (row) => [...text(s(row))].slice(0, Math.max(0, Math.trunc(num(n(row)) ?? 0))).join('') };
  },
  RIGHT: (args, pos, name) => {
    typed(name, args, pos, [['text'], ['number']]);
    const [s, n] = [arg(args, 0).run, arg(args, 1).run];
    return {
      type: 'text',
      run: (row) => {
        const chars = [...text(s(row))];
        const count = Math.max(0, Math.trunc(num(n(row)) ?? 0));
        return count === 0 ? '' : chars.slice(-count).join('');
      },
    };
  },
  CONTAINS: (args, pos, name) => {
    typed(name, args, pos, [['text'], ['text']]);
    const [s, part] = [arg(args, 0).run, arg(args, 1).run];
    return { type: 'boolean', run: (row) => text(s(row)).includes(text(part(row))) };
  },
  BEGINS: (args, pos, name) => {
    typed(name, args, pos, [['text'], ['text']]);
    const [s, prefix] = [arg(args, 0).run, arg(args, 1).run];
    return { type: 'boolean', run: (row) => text(s(row)).startsWith(text(prefix(row))) };
  },
  VALUE: (args, pos, name) => {
    typed(name, args, pos, [['text']]);
    const s = arg(args, 0).run;
    return { type: 'number', run: (row) => { const t = text(s(row)).trim(); const n = t === '' ? NaN : Number(t); return Number.isFinite(n) ? n : null; } };
  },
  ROUND: numberFn('ROUND', (n, digits) => roundHalfUp(n, Math.trunc(digits)), 2),
  ABS: numberFn('ABS', Math.abs, 1),
  FLOOR: numberFn('FLOOR', Math.floor, 1),
  CEILING: numberFn('CEILING', Math.ceil, 1),
  MOD: numberFn('MOD', (n, d) => (d === 0 ? NaN : n % d), 2),
  MAX: (args, pos, name) => {
    arity(name, args, pos, 1, Infinity);
    return numberFn(name, Math.max, args.length)(args, pos, name);
  },
  MIN: (args, pos, name) => {
    arity(name, args, pos, 1, Infinity);
    return numberFn(name, Math.min, args.length)(args, pos, name);
  },
  DATE: (args, pos, name) => {
    typed(name, args, pos, [['number'], ['number'], ['number']]);
    const [y, m, d] = args.map((a) => a.run);
    return {
      type: 'date',
      run: (row) => {
        const parts = [y, m, d].map((r) => (r ? num(r(row)) : null));
        return parts.some((p) => p === null) ? null : dateFromParts(parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0);
      },
    };
  },
  DATEVALUE: (args, pos, name) => {
    arity(name, args, pos, 1);
    const a = arg(args, 0);
    expectType(a, ['datetime', 'text'], pos, 'DATEVALUE()');
    if (a.type === 'text') return { type: 'date', run: (row) => parseDate(text(a.run(row)).trim()) };
    return { type: 'date', run: (row) => { const ms = num(a.run(row)); return ms === null ? null : Math.floor(ms / DAY_MS); } };
  },
  YEAR: dateParts('YEAR', (d) => d.getUTCFullYear()),
  MONTH: dateParts('MONTH', (d) => d.getUTCMonth() + 1),
  DAY: dateParts('DAY', (d) => d.getUTCDate()),
};

/** Functions whose value depends on when the formula is evaluated: a stored value would go stale. */
const VOLATILE = new Set(['TODAY', 'NOW', 'TIMENOW']);
/** The functions that accept a picklist field as an argument. */
const PICKLIST_FUNCTIONS = new Set(['ISPICKVAL', 'TEXT', 'CASE', 'ISBLANK', 'ISNULL', 'BLANKVALUE', 'NULLVALUE']);

function compileCall(node: { name: string; args: Node[]; pos: number }, ctx: Context): Compiled {
  if (VOLATILE.has(node.name)) {
    fail(`${node.name}() is not available in sandbox formulas: the sandbox computes formula values when a record is saved, and a stored ${node.name}() would go stale`, node.pos);
  }
  const compiler = FUNCTIONS[node.name];
  if (!compiler) fail(`Unknown function ${node.name}()`, node.pos);
  const args = node.args.map((a) => compileNode(a, ctx));
  if (!PICKLIST_FUNCTIONS.has(node.name)) args.forEach((a) => noPicklist(a, node.pos, `${node.name}()`));
  return compiler(args, node.pos, node.name);
}

// ---------------------------------------------------------------------------------------------------------
// Results

const RESULT_TYPES: Record<FormulaReturnType, Type> = { text: 'text', number: 'number', currency: 'number', percent: 'number', checkbox: 'boolean', date: 'date', datetime: 'datetime' };

function finish(returnType: FormulaReturnType, run: Run, scale: number): (row: Row) => FieldValue {
  switch (returnType) {
    case 'text':
      return (row) => {
        const s = [...text(run(row))];
        return s.length === 0 ? null : s.slice(0, TEXT_FORMULA_LENGTH).join('');
      };
    case 'number':
    case 'currency':
    case 'percent': {
      // A percent result is a decimal in the formula (0.5) and a percent in the field (50), like a percent field.
      const factor = returnType === 'percent' ? 100 : 1;
      return (row) => {
        const n = num(run(row));
        return n === null ? null : roundHalfUp(n * factor, scale);
      };
    }
    case 'checkbox':
      return (row) => run(row) === true;
    case 'date':
      return (row) => {
        const d = num(run(row));
        return d === null ? null : dateText(d);
      };
    case 'datetime':
      return (row) => {
        const ms = num(run(row));
        return ms === null || Number.isNaN(new Date(ms).getTime()) ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString();
      };
  }
}

/** Compiles `source` for a field of `opts.returnType`; throws FormulaError with a position when it is invalid. */
export function compileFormula(source: string, opts: FormulaOptions): CompiledFormula {
  if (source.trim() === '') throw new FormulaError('The formula is empty', 0);
  if (source.length > MAX_FORMULA_LENGTH) throw new FormulaError(`The formula has ${source.length} characters; the limit is ${MAX_FORMULA_LENGTH}`, MAX_FORMULA_LENGTH);
  const tree = new Parser(tokenize(source)).parse();
  const ctx: Context = { opts, references: new Set() };
  const compiled = compileNode(tree, ctx);
  const wanted = RESULT_TYPES[opts.returnType];
  if (compiled.type === 'picklist') fail(`A picklist field cannot be the result of a formula: wrap it in TEXT()`, tree.pos);
  if (compiled.type !== wanted && compiled.type !== 'null') {
    fail(`The formula gives ${TYPE_NAMES[compiled.type]}, but a ${opts.returnType} formula must give ${TYPE_NAMES[wanted]}`, 0);
  }
  const evaluate = finish(opts.returnType, compiled.run, opts.scale ?? 0);
  return { source, returnType: opts.returnType, blankAsZero: opts.blankAsZero === true, references: [...ctx.references], evaluate };
}

/** Fields that may carry a formula: as schema.ts keeps them. */
export interface FormulaHolder {
  name: string;
  formula: CompiledFormula | null;
}

/**
 * Recomputes every formula field of a record being saved (`values` is mutated). A formula can only reference
 * fields that existed when it was defined, so the fields' definition order is an order of evaluation in which
 * a formula reading another formula sees its new value.
 */
export function applyFormulas(fields: readonly FormulaHolder[], values: Record<string, FieldValue>): void {
  for (const f of fields) if (f.formula) values[f.name] = f.formula.evaluate(values);
}
