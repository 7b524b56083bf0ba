/**
 * Inbound job filters (T8 in docs/features.md): a SOQL WHERE condition, checked here before the CRM ever sees it.
 * The job's queries wrap it in parentheses and AND it with the cursor condition, so the filter must be one
 * boolean condition and nothing else: no `;`, no unbalanced parentheses (which could close the wrapper),
 * no LIMIT / ORDER BY / GROUP BY, no sub-queries, and only fields the object has. What passes is then
 * checked by Salesforce itself with a cheap query (the session's checkFilter).
 */
import { parseQuery, type Query, type WhereClause } from '@jetstreamapp/soql-parser-js';
import { findField, findRelationship, type CrmObjectDescribe, type DescribeLookup, type ValidationIssue } from '../types';

/** Scans the filter outside string literals: balanced parentheses, no statement separator, no clauses. */
function scanOutsideStrings(filter: string): string | undefined {
  let depth = 0;
  let inString = false;
  let unquoted = '';
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === "'") inString = false;
      continue;
    }
    unquoted += c === "'" ? ' ' : c;
    if (c === "'") inString = true;
    else if (c === ';') return `';' at position ${i + 1}: a filter is one condition, not a statement`;
    else if ((c === '-' && filter[i + 1] === '-') || (c === '/' && filter[i + 1] === '*')) return `'${c}${filter[i + 1]}' at position ${i + 1}: SOQL has no comments`;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return `unbalanced ')' at position ${i + 1}`;
  }
  if (inString) return 'unterminated string literal';
  if (depth !== 0) return `${depth} unclosed '('`;
  const clause = CLAUSE_KEYWORDS.exec(unquoted);
  if (clause) return `${clause[0].toUpperCase().replace(/\s+/g, ' ')} is not allowed in a filter: hubsync pages, orders and limits the query itself`;
  return undefined;
}

const CLAUSE_KEYWORDS = /\b(LIMIT|OFFSET|ORDER\s+BY|GROUP\s+BY|HAVING|FOR\s+(VIEW|REFERENCE|UPDATE)|WITH\s+\w+|FROM|SELECT)\b/i;

function collectFields(where: WhereClause | undefined, into: string[]): { subquery: boolean } {
  let subquery = false;
  for (let clause = where; clause; clause = 'right' in clause ? clause.right : undefined) {
    const left = clause.left;
    if (left && 'valueQuery' in left) subquery = true;
    if (left && 'field' in left) into.push(left.field);
  }
  return { subquery };
}

/**
 * Syntax check of a filter for `objectName`: the field names it uses, or the issue that refuses it.
 */
export function parseSoqlFilter(filter: string, objectName: string): { fields: string[] } | ValidationIssue {
  const refuse = (code: string, message: string, fix: string): ValidationIssue => ({ severity: 'error', code, message: `filter: ${message}`, fix });
  const scanProblem = scanOutsideStrings(filter);
  if (scanProblem) return refuse('FILTER_NOT_A_CONDITION', scanProblem, 'write one SOQL condition, e.g. Status = \'Completed\' AND CreatedDate = LAST_N_DAYS:90');
  let query: Query;
  const wrapper = `SELECT Id FROM ${objectName} WHERE (`;
  try {
    query = parseQuery(`${wrapper}${filter})`);
  } catch (err) {
    // The parser counts in the wrapped query: its offsets are said as positions in the filter.
    const detail = (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err))
      .replace(/at offset: (\d+)/, (_, offset: string) => `at position ${Number(offset) - wrapper.length + 1}`)
      .replace(/\s*\(1:\d+\)$/, '');
    return refuse('MALFORMED_FILTER', `not a valid SOQL condition (${detail})`, 'write the part after WHERE only, e.g. Status = \'Completed\'');
  }
  const fields: string[] = [];
  if (collectFields(query.where, fields).subquery) {
    return refuse('FILTER_NOT_A_CONDITION', 'sub-queries are not allowed in a filter', 'filter on fields of the object (or first-level references such as Account.Type)');
  }
  return { fields };
}

/** Local validation: syntax and every field against the object's describe. */
export async function validateSoqlFilter(filter: string, object: CrmObjectDescribe, describe: DescribeLookup): Promise<ValidationIssue[]> {
  const parsed = parseSoqlFilter(filter, object.name);
  if ('code' in parsed) return [parsed];
  const issues: ValidationIssue[] = [];
  for (const path of parsed.fields) {
    const parts = path.split('.');
    let known = false;
    if (parts.length === 1) known = Boolean(findField(object, path));
    else if (parts.length === 2) {
      const via = findRelationship(object, parts[0]!);
      for (const target of via?.referenceTo ?? []) {
        const referenced = await describe(target);
        if (referenced && findField(referenced, parts[1]!)) known = true;
      }
    }
    if (!known) {
      issues.push({ severity: 'error', code: 'UNKNOWN_CRM_FIELD', message: `filter: ${object.name} has no field '${path}'`, fix: `use fields of ${object.name} (or first-level references such as Owner.Email)` });
    }
  }
  return issues;
}
