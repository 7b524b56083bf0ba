/**
 * CRM search (`POST /crm/v3/objects/{objectType}/search`, companies and contacts), after HubSpot's "Search the CRM" guide: filter groups
 * are ORed, the filters inside a group ANDed; operators EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN,
 * HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN; string comparison is case-insensitive;
 * one sort (`{propertyName, direction}` or a plain property name); `limit` up to 200; `after` an offset;
 * `total` the number of matches; archived records are never returned; results stop at 10,000 (a request whose
 * `after` reaches it is 400, as AWS Glue's HubSpot connector notes and users report).
 */
import { validationError } from './errors';
import { jsonBody, okResults, type RouteTable } from './http';
import { type CrmRecord, type ObjectStore, type Portal } from './portal';
import { isMultiSelect, toMillis, type PropertyDef } from './schema';

const SEARCH_DEFAULT = 10;
/** Official spec: up to 200 objects per search page (contract §2.3). */
export const SEARCH_MAX = 200;
export const SEARCH_RESULT_CAP = 10_000;
/**
 * Group and filter limits: 10 filters a group and 25 in all (developer changelog, Aug 2024); groups: the
 * changelog says 5, the official spec 6 (contract §2.3); the looser is enforced.
 */
const MAX_GROUPS = 6;
const MAX_FILTERS_PER_GROUP = 10;
const MAX_FILTERS = 25;

const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;
type Operator = (typeof OPERATORS)[number];

interface Filter {
  propertyName: string;
  operator: Operator;
  value?: string | undefined;
  highValue?: string | undefined;
  values?: string[] | undefined;
}

function parseFilter(raw: unknown): Filter {
  const f = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const operator = String(f['operator'] ?? 'EQ');
  if (!(OPERATORS as readonly string[]).includes(operator)) throw validationError(`There was a problem with the request: operator ${operator} is not valid`);
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    propertyName: String(f['propertyName'] ?? ''),
    operator: operator as Operator,
    value: str(f['value']),
    highValue: str(f['highValue']),
    values: Array.isArray(f['values']) ? (f['values'] as unknown[]).map(String) : undefined,
  };
}

/** Numbers and datetimes compare numerically (datetimes as epoch ms or ISO), everything else as lower-case text. */
function comparable(def: PropertyDef | undefined, value: string): number | string {
  if (def?.type === 'number') return Number(value);
  if (def?.type === 'datetime' || def?.type === 'date') return toMillis(value) ?? Number.NaN;
  return value.toLowerCase();
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function tokens(value: string): string[] {
  return value.toLowerCase().split(/[^\p{L}\p{N}*]+/u).filter(Boolean);
}

/** CONTAINS_TOKEN matches a whole token; `*` is a wildcard (search guide). */
function containsToken(value: string, token: string): boolean {
  const pattern = new RegExp(`^${token.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'u');
  return tokens(value).some((t) => pattern.test(t)) || pattern.test(value.toLowerCase());
}

function matches(store: ObjectStore, record: CrmRecord, f: Filter): boolean {
  const def = store.properties.get(f.propertyName);
  const raw = record.values.get(f.propertyName);
  if (f.operator === 'HAS_PROPERTY') return raw !== undefined;
  if (f.operator === 'NOT_HAS_PROPERTY') return raw === undefined;
  if (f.operator === 'NEQ' || f.operator === 'NOT_IN' || f.operator === 'NOT_CONTAINS_TOKEN') {
    // Negations also match records without a value [infer].
    if (raw === undefined) return true;
  }
  if (raw === undefined) return false;
  const multi = def && isMultiSelect(def) ? raw.split(';').map((v) => v.toLowerCase()) : undefined;
  const v = comparable(def, raw);
  const c = (x: string | undefined) => compare(v, comparable(def, x ?? ''));
  switch (f.operator) {
    case 'EQ':
      return multi ? multi.includes((f.value ?? '').toLowerCase()) : c(f.value) === 0;
    case 'NEQ':
      return multi ? !multi.includes((f.value ?? '').toLowerCase()) : c(f.value) !== 0;
    case 'LT':
      return c(f.value) < 0;
    case 'LTE':
      return c(f.value) <= 0;
    case 'GT':
      return c(f.value) > 0;
    case 'GTE':
      return c(f.value) >= 0;
    case 'BETWEEN':
      return c(f.value) >= 0 && c(f.highValue) <= 0;
    case 'IN':
      return (f.values ?? []).some((x) => (multi ? multi.includes(x.toLowerCase()) : c(x) === 0));
    case 'NOT_IN':
      return !(f.values ?? []).some((x) => (multi ? multi.includes(x.toLowerCase()) : c(x) === 0));
    case 'CONTAINS_TOKEN':
      return containsToken(raw, f.value ?? '');
    case 'NOT_CONTAINS_TOKEN':
      return !containsToken(raw, f.value ?? '');
  }
}

interface Sort {
  propertyName: string;
  descending: boolean;
}

function parseSorts(raw: unknown): Sort[] {
  if (!Array.isArray(raw)) return [];
  // The client types sorts as string[] but passes objects through (contract §2.3): accept both.
  return raw.map((s: unknown) => {
    if (typeof s === 'string') return s.startsWith('-') ? { propertyName: s.slice(1), descending: true } : { propertyName: s, descending: false };
    const o = (s ?? {}) as Record<string, unknown>;
    return { propertyName: String(o['propertyName'] ?? ''), descending: String(o['direction'] ?? 'ASCENDING').toUpperCase() === 'DESCENDING' };
  });
}

export function addSearchRoutes(routes: RouteTable, portal: Portal): void {
  routes.on('POST', '/crm/v3/objects/{objectType}/search', (req) => {
    const store = portal.store(req.params['objectType']);
    const body = jsonBody(req);
    const limit = body['limit'] === undefined ? SEARCH_DEFAULT : Number(body['limit']);
    if (!Number.isInteger(limit) || limit < 0 || limit > SEARCH_MAX) throw validationError(`There was a problem with the request: limit must be between 0 and ${SEARCH_MAX}`);
    const after = body['after'] === undefined || body['after'] === '' ? 0 : Number(body['after']);
    if (!Number.isInteger(after) || after < 0) throw validationError('There was a problem with the request: after must be a non-negative integer');
    if (after >= SEARCH_RESULT_CAP) throw validationError(`There was a problem with the request: search results are limited to ${SEARCH_RESULT_CAP} records; narrow the query (for example by hs_object_id or hs_lastmodifieddate ranges)`);

    const groups = (Array.isArray(body['filterGroups']) ? (body['filterGroups'] as unknown[]) : []).map((g) => {
      const filters = (g as Record<string, unknown> | null)?.['filters'];
      return (Array.isArray(filters) ? filters : []).map(parseFilter);
    });
    if (groups.length > MAX_GROUPS) throw validationError(`There was a problem with the request: at most ${MAX_GROUPS} filter groups are allowed`);
    if (groups.some((g) => g.length > MAX_FILTERS_PER_GROUP)) throw validationError(`There was a problem with the request: at most ${MAX_FILTERS_PER_GROUP} filters per group are allowed`);
    if (groups.reduce((n, g) => n + g.length, 0) > MAX_FILTERS) throw validationError(`There was a problem with the request: at most ${MAX_FILTERS} filters in total are allowed`);

    const query = typeof body['query'] === 'string' ? body['query'].toLowerCase() : '';
    let hits = store.list(false).filter((c) => groups.length === 0 || groups.some((g) => g.every((f) => matches(store, c, f))));
    // `query` searches the default text properties (name, domain, …) by token prefix [search guide; infer details].
    if (query) hits = hits.filter((c) => store.type.queryProperties.some((p) => tokens(c.values.get(p) ?? '').some((t) => t.startsWith(query))));

    const sorts = parseSorts(body['sorts']).map((s) => ({ ...s, def: store.properties.get(s.propertyName) }));
    // Each record's sort keys are computed once, not at every comparison (dates would be parsed N log N times).
    const keyed = hits.map((record) => ({ record, id: Number(record.id), keys: sorts.map((s) => {
      const v = record.values.get(s.propertyName);
      return v === undefined ? undefined : comparable(s.def, v);
    }) }));
    keyed.sort((a, b) => {
      for (const [i, s] of sorts.entries()) {
        const av = a.keys[i];
        const bv = b.keys[i];
        // Records without the value sort last either way [infer].
        if (av === undefined || bv === undefined) {
          if (av !== bv) return av === undefined ? 1 : -1;
          continue;
        }
        const d = compare(av, bv);
        if (d !== 0) return s.descending ? -d : d;
      }
      return a.id - b.id;
    });
    hits = keyed.map((k) => k.record);

    const visible = hits.slice(0, SEARCH_RESULT_CAP);
    const page = visible.slice(after, after + limit);
    const nextAfter = after + limit;
    const render = store.renderer(Array.isArray(body['properties']) ? (body['properties'] as unknown[]).map(String) : undefined);
    // No `next` at the 10,000 cap, although `total` says there are more [search guide].
    const paging = nextAfter < visible.length && limit > 0 ? { paging: { next: { after: String(nextAfter) } } } : {};
    return okResults(page.map(render), { before: { total: hits.length }, after: paging });
  });
}
