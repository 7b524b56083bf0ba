/**
 * OData `$filter` as Dataverse accepts it: comparison operators (eq ne gt ge lt le), and/or/not, parentheses,
 * the string functions contains/startswith/endswith, and literals (strings in single quotes with '' escaping,
 * integers, decimals, GUIDs and datetimes unquoted, true/false/null). Property paths with `/` are allowed for
 * the metadata (`AttributeTypeName/Value`). String comparison is case-insensitive, as Dataverse's database
 * collation is. Operand types are checked the way the OData parser does (a string compared to a number is
 * a 400).
 *
 * Sources: "Filter rows" (Query data using the Web API: comparison, logical and string functions, GUID and
 * lookup `_x_value` filtering, null checks); OData v4 URL conventions §5.1.1 for the grammar and literals.
 */
import { syntaxError } from './errors';

export type Edm = 'Edm.String' | 'Edm.Int32' | 'Edm.Int64' | 'Edm.Decimal' | 'Edm.Double' | 'Edm.Guid' | 'Edm.DateTimeOffset' | 'Edm.Boolean' | 'null';
export type FilterValue = string | number | boolean | null | undefined;

type Operand = { k: 'prop'; name: string; edm: Edm } | { k: 'lit'; value: FilterValue; edm: Edm };
export type FilterExpr =
  | { k: 'and' | 'or'; l: FilterExpr; r: FilterExpr }
  | { k: 'not'; e: FilterExpr }
  | { k: 'cmp'; op: CmpOp; l: Operand; r: Operand }
  | { k: 'fn'; name: 'contains' | 'startswith' | 'endswith'; subject: Operand; search: Operand }
  | { k: 'operand'; o: Operand };

type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
const CMP: Record<CmpOp, string> = { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' };

/** Resolves a property name to its type; throws the unknown-property error itself. */
export type Resolver = (name: string) => Edm;

interface Token {
  t: 'id' | 'str' | 'num' | 'guid' | 'date' | '(' | ')' | ',';
  v: string;
  pos: number;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?/;
const NUM = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/;
const ID = /^[A-Za-z_][\w./]*/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: c, v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= text.length) throw syntaxError(`There is an unterminated string literal at position ${i} in '${text}'.`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += text[j];
        j++;
      }
      tokens.push({ t: 'str', v, pos: i });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i);
    const m = GUID.exec(rest) ?? undefined;
    if (m) {
      tokens.push({ t: 'guid', v: m[0].toLowerCase(), pos: i });
      i += m[0].length;
      continue;
    }
    const d = DATE.exec(rest);
    if (d && d[0].length > 4 && d[0].includes('-')) {
      tokens.push({ t: 'date', v: d[0], pos: i });
      i += d[0].length;
      continue;
    }
    const n = NUM.exec(rest);
    if (n) {
      tokens.push({ t: 'num', v: n[0], pos: i });
      i += n[0].length;
      continue;
    }
    const id = ID.exec(rest);
    if (id) {
      tokens.push({ t: 'id', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    throw syntaxError(`Syntax error: character '${c}' is not valid at position ${i} in '${text}'.`);
  }
  return tokens;
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
    private readonly resolve: Resolver,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private fail(): never {
    const t = this.peek();
    throw syntaxError(`Syntax error at position ${t ? t.pos : this.text.length} in '${this.text}'.`);
  }

  private expect(t: Token['t']): Token {
    const tok = this.peek();
    if (!tok || tok.t !== t) this.fail();
    this.i++;
    return tok;
  }

  private keyword(word: string): boolean {
    const t = this.peek();
    if (t?.t === 'id' && t.v === word) {
      this.i++;
      return true;
    }
    return false;
  }

  parse(): FilterExpr {
    const e = this.or();
    if (this.peek()) this.fail();
    return e;
  }

  private or(): FilterExpr {
    let l = this.and();
    while (this.keyword('or')) l = { k: 'or', l, r: this.and() };
    return l;
  }

  private and(): FilterExpr {
    let l = this.unary();
    while (this.keyword('and')) l = { k: 'and', l, r: this.unary() };
    return l;
  }

  private unary(): FilterExpr {
    if (this.keyword('not')) return { k: 'not', e: this.unary() };
    return this.comparison();
  }

  private comparison(): FilterExpr {
    const t = this.peek();
    if (t?.t === '(') {
      this.i++;
      const e = this.or();
      this.expect(')');
      return e;
    }
    if (t?.t === 'id' && (t.v === 'contains' || t.v === 'startswith' || t.v === 'endswith') && this.tokens[this.i + 1]?.t === '(') {
      this.i += 2;
      const subject = this.operand();
      this.expect(',');
      const search = this.operand();
      this.expect(')');
      for (const o of [subject, search]) if (o.edm !== 'Edm.String' && o.edm !== 'null') throw syntaxError(`No function signature for the function with name '${t.v}' matches the specified arguments. The function signatures considered are: ${t.v}(Edm.String Nullable=true, Edm.String Nullable=true).`);
      return { k: 'fn', name: t.v, subject, search };
    }
    const l = this.operand();
    const op = this.peek();
    if (op?.t === 'id' && op.v in CMP) {
      this.i++;
      const r = this.operand();
      checkTypes(l, r, op.v as CmpOp);
      return { k: 'cmp', op: op.v as CmpOp, l, r };
    }
    if (l.edm === 'Edm.Boolean') return { k: 'operand', o: l };
    return this.fail();
  }

  private operand(): Operand {
    const t = this.peek();
    if (!t) return this.fail();
    this.i++;
    switch (t.t) {
      case 'str':
        return { k: 'lit', value: t.v, edm: 'Edm.String' };
      case 'guid':
        return { k: 'lit', value: t.v, edm: 'Edm.Guid' };
      case 'date':
        return { k: 'lit', value: t.v, edm: 'Edm.DateTimeOffset' };
      case 'num': {
        const decimal = /[.eEmMdDfF]/.test(t.v);
        return { k: 'lit', value: Number(t.v.replace(/[mMdDfFlL]$/, '')), edm: decimal ? 'Edm.Decimal' : 'Edm.Int32' };
      }
      case 'id': {
        // An enum literal: `Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'` (compared as its name).
        const next = this.peek();
        if (next?.t === 'str' && next.pos === t.pos + t.v.length) {
          this.i++;
          return { k: 'lit', value: next.v, edm: 'Edm.String' };
        }
        if (t.v === 'null') return { k: 'lit', value: null, edm: 'null' };
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', value: t.v === 'true', edm: 'Edm.Boolean' };
        return { k: 'prop', name: t.v, edm: this.resolve(t.v) };
      }
      default:
        return this.fail();
    }
  }
}

const NUMERIC = new Set<Edm>(['Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double']);

function checkTypes(l: Operand, r: Operand, op: CmpOp): void {
  if (l.edm === 'null' || r.edm === 'null' || l.edm === r.edm || (NUMERIC.has(l.edm) && NUMERIC.has(r.edm))) return;
  throw syntaxError(`A binary operator with incompatible types was detected. Found operand types '${l.edm}' and '${r.edm}' for operator kind '${CMP[op]}'.`);
}

export function parseFilter(text: string, resolve: Resolver): FilterExpr {
  return new Parser(tokenize(text), text, resolve).parse();
}

type Getter = (name: string) => FilterValue;

function value(o: Operand, get: Getter): FilterValue {
  return o.k === 'lit' ? o.value : get(o.name);
}

function compare(a: FilterValue, b: FilterValue, dates: boolean): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  if (dates) return Date.parse(String(a)) - Date.parse(String(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function evaluate(e: FilterExpr, get: Getter): boolean {
  switch (e.k) {
    case 'and':
      return evaluate(e.l, get) && evaluate(e.r, get);
    case 'or':
      return evaluate(e.l, get) || evaluate(e.r, get);
    case 'not':
      return !evaluate(e.e, get);
    case 'operand':
      return value(e.o, get) === true;
    case 'fn': {
      const s = value(e.subject, get);
      const q = value(e.search, get);
      if (s === null || s === undefined || q === null || q === undefined) return false;
      const x = String(s).toLowerCase();
      const y = String(q).toLowerCase();
      return e.name === 'contains' ? x.includes(y) : e.name === 'startswith' ? x.startsWith(y) : x.endsWith(y);
    }
    case 'cmp': {
      const a = value(e.l, get);
      const b = value(e.r, get);
      const aNull = a === null || a === undefined;
      const bNull = b === null || b === undefined;
      if (e.op === 'eq' && (aNull || bNull)) return aNull && bNull;
      if (e.op === 'ne' && (aNull || bNull)) return aNull !== bNull;
      const c = compare(a, b, e.l.edm === 'Edm.DateTimeOffset' || e.r.edm === 'Edm.DateTimeOffset');
      if (c === undefined || Number.isNaN(c)) return false;
      switch (e.op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
    }
  }
  return false;
}
