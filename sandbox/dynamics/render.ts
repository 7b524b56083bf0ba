/**
 * Rows as the Web API renders them: `@odata.etag` (`W/"<versionnumber>"`), the selected properties (all of them
 * without $select; the primary key always), lookups as `_x_value`, multi-select choices as comma-separated
 * values, datetimes without milliseconds, single-valued navigation properties expanded, and the annotations
 * `odata.include-annotations` asks for: `OData.Community.Display.V1.FormattedValue` (choice labels, lookup
 * names, formatted dates, money and numbers) and, on lookups, `Microsoft.Dynamics.CRM.lookuplogicalname` and
 * `Microsoft.Dynamics.CRM.associatednavigationproperty`.
 *
 * Sources: "Query data using the Web API" → "Select columns", "Formatted values", "Lookup property data",
 * "Join tables" ($expand of single-valued navigation properties with nested $select); "Multi-select choices"
 * (values as a comma-separated string); "Perform conditional operations" (the etag). Formatted dates and money
 * follow the en-US, UTC settings of an application user [infer].
 */
import { syntaxError, unknownProperty } from './errors';
import { annotationMatcher } from './http';
import type { Org, Row } from './org';
import { columnOfProperty, isLookup, propertyName, tableByLogicalName, webProperties, type ColumnDef, type TableDef } from './schema';

export const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
export const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';
export const NAVIGATION_PROPERTY = 'Microsoft.Dynamics.CRM.associatednavigationproperty';

export interface ExpandSpec {
  nav: string;
  column: ColumnDef;
  target: TableDef;
  select: ColumnDef[] | undefined;
}

export interface Projection {
  table: TableDef;
  /** Undefined: every property. */
  select: ColumnDef[] | undefined;
  expand: ExpandSpec[];
  annotate: (name: string) => boolean;
}

/** Splits at `sep` outside parentheses (query options and nested expand options). */
export function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

export function parseSelect(table: TableDef, text: string | null): ColumnDef[] | undefined {
  if (text === null || text.trim() === '') return undefined;
  const columns: ColumnDef[] = [];
  for (const name of splitTop(text, ',')) {
    const column = columnOfProperty(table, name);
    if (!column) throw unknownProperty(name, table.logicalName);
    if (!columns.includes(column)) columns.push(column);
  }
  return columns;
}

/** `ownerid($select=internalemailaddress),parentaccountid` (single-valued navigation properties only). */
export function parseExpand(table: TableDef, text: string | null): ExpandSpec[] {
  if (text === null || text.trim() === '') return [];
  return splitTop(text, ',').map((item) => {
    const open = item.indexOf('(');
    const nav = (open < 0 ? item : item.slice(0, open)).trim();
    const found = table.byNavigation.get(nav);
    if (!found) throw unknownProperty(nav, table.logicalName);
    const target = tableByLogicalName(found.target);
    if (!target) throw unknownProperty(nav, table.logicalName);
    let select: ColumnDef[] | undefined;
    if (open >= 0) {
      if (!item.endsWith(')')) throw syntaxError(`Syntax error at position ${item.length} in '${text}'.`);
      for (const option of splitTop(item.slice(open + 1, -1), ';')) {
        const eq = option.indexOf('=');
        const name = option.slice(0, eq).trim();
        if (name !== '$select') throw syntaxError(`The query option '${name}' is not supported on a single-valued navigation property expansion.`);
        select = parseSelect(target, option.slice(eq + 1));
      }
    }
    // An owner lookup's navigation property is typed `principal` (a user or a team) in the Web API's model
    // (Web API EntityType reference, "principal"), whose only property is its key: the owning user's columns
    // are read through `owninguser`.
    if (found.column.type === 'Owner') {
      const other = select?.find((c) => c.name !== target.primaryId);
      if (other) throw unknownProperty(other.name, 'principal');
    }
    return { nav, column: found.column, target, select };
  });
}

export function projection(table: TableDef, query: URLSearchParams, annotations: string | undefined): Projection {
  return { table, select: parseSelect(table, query.get('$select')), expand: parseExpand(table, query.get('$expand')), annotate: annotationMatcher(annotations) };
}

/** `accounts(name,accountnumber,ownerid(internalemailaddress))`, the @odata.context's selection. */
export function contextSelection(p: Projection): string {
  const parts = (p.select ?? []).map(propertyName);
  for (const e of p.expand) parts.push(`${e.nav}(${(e.select ?? []).map(propertyName).join(',')})`);
  return parts.length ? `(${parts.join(',')})` : '';
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const integer = new Intl.NumberFormat('en-US');

/** "5/1/2024 10:00 AM", how Dataverse formats a datetime for an en-US user in UTC [infer]. */
function formatDate(iso: string): string {
  const d = new Date(iso);
  const h = d.getUTCHours();
  const hour = h % 12 === 0 ? 12 : h % 12;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${hour}:${String(d.getUTCMinutes()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

function optionLabel(column: ColumnDef, value: number): string | undefined {
  return column.options?.find((o) => o.value === value)?.label;
}

/** The FormattedValue of a column's value, when Dataverse gives one. */
function formatted(org: Org, column: ColumnDef, row: Row): string | undefined {
  if (isLookup(column)) {
    const ref = row.lookups[column.name];
    if (!ref) return undefined;
    const target = org.tables.get(ref.table);
    const name = target?.rows.get(ref.id)?.values[target.def.primaryName];
    return typeof name === 'string' ? name : undefined;
  }
  const v = row.values[column.name];
  if (v === null || v === undefined) return undefined;
  switch (column.type) {
    case 'Picklist':
    case 'State':
    case 'Status':
      return optionLabel(column, Number(v));
    case 'MultiSelectPicklist':
      return String(v)
        .split(',')
        .map((x) => optionLabel(column, Number(x)) ?? x)
        .join('; ');
    case 'Boolean':
      return (column.booleanLabels ?? ['No', 'Yes'])[v ? 1 : 0];
    case 'Money':
      return money.format(Number(v));
    case 'Integer':
      return integer.format(Number(v));
    case 'DateTime':
      return formatDate(String(v));
    default:
      return undefined;
  }
}

/** A column's Web API value. */
export function columnValue(table: TableDef, column: ColumnDef, row: Row): string | number | boolean | null {
  if (column.name === table.primaryId) return row.id;
  if (column.name === 'versionnumber') return row.version;
  if (isLookup(column)) return row.lookups[column.name]?.id ?? null;
  return row.values[column.name] ?? null;
}

function renderInto(org: Org, table: TableDef, out: Record<string, unknown>, column: ColumnDef, row: Row, annotate: (name: string) => boolean): void {
  const prop = propertyName(column);
  const f = annotate(FORMATTED) ? formatted(org, column, row) : undefined;
  if (f !== undefined) out[`${prop}@${FORMATTED}`] = f;
  if (isLookup(column)) {
    const ref = row.lookups[column.name];
    if (ref) {
      if (annotate(NAVIGATION_PROPERTY)) out[`${prop}@${NAVIGATION_PROPERTY}`] = column.navigation?.[ref.table] ?? column.name;
      if (annotate(LOOKUP_LOGICAL_NAME)) out[`${prop}@${LOOKUP_LOGICAL_NAME}`] = ref.table;
    }
  }
  out[prop] = columnValue(table, column, row);
}

/** A row as the Web API answers it. */
export function renderRow(org: Org, p: Projection, row: Row, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...extra, '@odata.etag': `W/"${row.version}"` };
  const columns = p.select ?? webProperties(p.table);
  for (const column of columns) renderInto(org, p.table, out, column, row, p.annotate);
  const primary = p.table.byName.get(p.table.primaryId);
  if (primary && !columns.includes(primary)) out[p.table.primaryId] = row.id;
  for (const e of p.expand) {
    const ref = row.lookups[e.column.name];
    const target = ref && ref.table === e.target.logicalName ? org.tables.get(ref.table)?.rows.get(ref.id) : undefined;
    out[e.nav] = target ? renderRow(org, { table: e.target, select: e.select, expand: [], annotate: p.annotate }, target) : null;
  }
  return out;
}
