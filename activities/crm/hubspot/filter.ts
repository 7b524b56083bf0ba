/**
 * Inbound job filters on HubSpot connections (T8): a small condition language compiled into one search filter
 * group, because HubSpot's search takes filters, not a query language:
 *
 *     lifecyclestage = 'customer' AND numberofemployees >= 50 AND domain IS NOT NULL
 *
 * Conditions are `property op value` with op one of = != < <= > >= (EQ NEQ LT LTE GT GTE), `property IN ('a',
 * 'b')` / `NOT IN`, `property IS NULL` / `IS NOT NULL` (NOT_HAS_PROPERTY / HAS_PROPERTY) and `property CONTAINS
 * 'word'` (CONTAINS_TOKEN), joined by AND. Values are 'quoted' ('' inside for a quote), numbers or true/false.
 * OR is refused: each search filter group is ANDed with the run's cursor, and HubSpot caps groups and filters
 * per request, so a filter takes at most MAX_CONDITIONS conditions of one group. Everything is checked against
 * the properties API's describe before HubSpot is asked; what passes is then run by HubSpot itself.
 */
import { findField, type CrmObjectDescribe, type ValidationIssue } from '../types';

export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'IN' | 'NOT_IN' | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY' | 'CONTAINS_TOKEN';
  value?: string;
  values?: string[];
}

/** Conditions a filter may have: the cursor's tie-break group adds two filters to each group. */
export const MAX_CONDITIONS = 4;

const COMPARISONS: Record<string, SearchFilter['operator']> = { '=': 'EQ', '!=': 'NEQ', '<>': 'NEQ', '<': 'LT', '<=': 'LTE', '>': 'GT', '>=': 'GTE' };

type Token = { kind: 'word' | 'op' | 'string' | 'number' | 'punct'; text: string; at: number };

function tokenize(filter: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= filter.length) return `unterminated string starting at position ${i + 1}`;
        if (filter[j] === "'" && filter[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (filter[j] === "'") break;
        else text += filter[j++];
      }
      tokens.push({ kind: 'string', text, at: i + 1 });
      i = j + 1;
    } else if (/[<>=!]/.test(c)) {
      const two = filter.slice(i, i + 2);
      const op = ['<=', '>=', '!=', '<>'].includes(two) ? two : c;
      if (!(op in COMPARISONS)) return `'${op}' at position ${i + 1} is not an operator; use = != < <= > >=`;
      tokens.push({ kind: 'op', text: op, at: i + 1 });
      i += op.length;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c, at: i + 1 });
      i++;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(filter.slice(i));
      if (!m) return `'${c}' at position ${i + 1} does not start a number`;
      tokens.push({ kind: 'number', text: m[0], at: i + 1 });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(filter.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'word', text: m[0], at: i + 1 });
      i += m[0].length;
    } else {
      return `'${c}' at position ${i + 1} has no meaning in a filter`;
    }
  }
  return tokens;
}

export interface ParsedFilter {
  filters: SearchFilter[];
  issues: ValidationIssue[];
}

const issue = (message: string, fix: string): ValidationIssue => ({ severity: 'error', code: 'INVALID_FILTER', message: `filter: ${message}`, fix });
const SYNTAX_FIX = "write conditions such as lifecyclestage = 'customer' AND numberofemployees >= 50, joined by AND";

/** Parses and checks a filter against the object's properties; the filters when it has no issues. */
export function parseHubSpotFilter(filter: string, object: CrmObjectDescribe): ParsedFilter {
  const tokens = tokenize(filter);
  if (typeof tokens === 'string') return { filters: [], issues: [issue(tokens, SYNTAX_FIX)] };
  const filters: SearchFilter[] = [];
  const issues: ValidationIssue[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const word = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toUpperCase() === w;
  const value = (): string | undefined => {
    const t = tokens[i];
    if (t && (t.kind === 'string' || t.kind === 'number' || word(t, 'TRUE') || word(t, 'FALSE'))) {
      i++;
      return t.kind === 'word' ? t.text.toLowerCase() : t.text;
    }
    return undefined;
  };
  while (i < tokens.length) {
    const name = tokens[i++];
    if (name?.kind !== 'word') return { filters: [], issues: [issue(`expected a property name at position ${name?.at ?? filter.length}`, SYNTAX_FIX)] };
    if (word(name, 'OR')) return { filters: [], issues: [issue(`OR at position ${name.at}: HubSpot filters combine conditions with AND only`, 'split the job in two, or filter on a property that says both (e.g. IN (...))')] };
    const field = findField(object, name.text);
    if (!field) issues.push({ severity: 'error', code: 'UNKNOWN_CRM_FIELD', message: `filter: ${object.name} has no property '${name.text}'`, fix: `use a property of ${object.name} (\`GET /crm/v3/properties/${object.name}\` lists them)` });
    const propertyName = field?.name ?? name.text;
    const next = tokens[i];
    let parsed: SearchFilter | string;
    if (next?.kind === 'op') {
      i++;
      const v = value();
      parsed = v === undefined ? `expected a value after '${next.text}' at position ${next.at}` : { propertyName, operator: COMPARISONS[next.text] as SearchFilter['operator'], value: v };
    } else if (word(next, 'IS')) {
      i++;
      const not = word(peek(), 'NOT');
      if (not) i++;
      parsed = word(tokens[i++], 'NULL') ? { propertyName, operator: not ? 'HAS_PROPERTY' : 'NOT_HAS_PROPERTY' } : `expected NULL after IS${not ? ' NOT' : ''} near position ${next?.at ?? 0}`;
    } else if (word(next, 'CONTAINS')) {
      i++;
      const v = value();
      parsed = v === undefined ? `expected a word after CONTAINS at position ${next?.at ?? 0}` : { propertyName, operator: 'CONTAINS_TOKEN', value: v };
    } else if (word(next, 'IN') || (word(next, 'NOT') && word(tokens[i + 1], 'IN'))) {
      const not = word(next, 'NOT');
      i += not ? 2 : 1;
      const values: string[] = [];
      if (tokens[i]?.text !== '(') parsed = `expected '(' after IN near position ${next?.at ?? 0}`;
      else {
        i++;
        for (;;) {
          const v = value();
          if (v === undefined) break;
          values.push(v);
          if (tokens[i]?.text !== ',') break;
          i++;
        }
        parsed = tokens[i++]?.text === ')' && values.length > 0 ? { propertyName, operator: not ? 'NOT_IN' : 'IN', values } : `expected values and ')' in the IN list near position ${next?.at ?? 0}`;
      }
    } else {
      parsed = `expected an operator after '${name.text}' at position ${next?.at ?? filter.length + 1}`;
    }
    if (typeof parsed === 'string') return { filters: [], issues: [issue(parsed, SYNTAX_FIX)] };
    filters.push(parsed);
    const joiner = tokens[i];
    if (joiner === undefined) break;
    if (word(joiner, 'OR')) return { filters: [], issues: [issue(`OR at position ${joiner.at}: HubSpot filters combine conditions with AND only`, 'split the job in two, or filter on a property that says both (e.g. IN (...))')] };
    if (!word(joiner, 'AND')) return { filters: [], issues: [issue(`expected AND at position ${joiner.at}, found '${joiner.text}'`, SYNTAX_FIX)] };
    i++;
    if (i >= tokens.length) return { filters: [], issues: [issue('the filter ends with AND', SYNTAX_FIX)] };
  }
  if (filters.length > MAX_CONDITIONS) issues.push(issue(`${filters.length} conditions; a HubSpot filter takes at most ${MAX_CONDITIONS}`, 'keep the most selective conditions'));
  return { filters: issues.length ? [] : filters, issues };
}
