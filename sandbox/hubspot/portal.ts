/**
 * The sandbox's in-memory HubSpot account ("portal"): companies, owners, company properties, the request log,
 * and how a company is written and rendered as the CRM objects API does (`{id, properties, createdAt,
 * updatedAt, archived, archivedAt?}`, contract §2.3; property values always strings).
 */
import { invalidProperties, type PropertyIssue } from './errors';
import { checkValue, customProperty, defaultCompanyProperties, renderProperty, type CustomPropertySpec, type PropertyDef, type PropertyOption } from './schema';

/** A private-app access token as HubSpot issues them (`pat-<region>-<uuid>`); the only one the sandbox accepts. */
export const SANDBOX_ACCESS_TOKEN = 'pat-na1-5a1db0c3-0000-4a55-8b5e-00hubsync000';
export const SANDBOX_PORTAL_ID = 24681357;
/** Object IDs are numeric strings; real portals' company IDs have 10-11 digits. */
const FIRST_COMPANY_ID = 10_000_000_001;

/** Properties returned when a request names none (crm-api-contracts.md §2.3, HubSpot search guide's table). */
export const COMPANY_DEFAULT_PROPERTIES = ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'];
/** Always returned next to the requested ones, as HubSpot does [observed API behaviour, infer]. */
const ALWAYS_RETURNED = ['createdate', 'hs_lastmodifieddate', 'hs_object_id'];

export interface Company {
  id: string;
  values: Map<string, string>;
  createdAt: string;
  updatedAt: string;
  archivedAt?: string;
}

export interface Owner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export class Portal {
  companies = new Map<string, Company>();
  owners: Owner[] = [];
  properties = new Map<string, PropertyDef>();
  private nextId = FIRST_COMPANY_ID;

  constructor(readonly now: () => Date) {
    this.reset();
  }

  reset(): void {
    const at = this.now().toISOString();
    this.companies = new Map();
    this.nextId = FIRST_COMPANY_ID;
    this.properties = new Map(defaultCompanyProperties(at).map((p) => [p.name, p]));
    this.owners = [
      ['Ada', 'Lovelace'],
      ['Grace', 'Hopper'],
      ['Alan', 'Turing'],
      ['Edsger', 'Dijkstra'],
      ['Barbara', 'Liskov'],
    ].map(([firstName = '', lastName = ''], i) => ({ id: String(70_000_001 + i), email: `${firstName.toLowerCase()}@hubsync.sandbox`, firstName, lastName, userId: 9_100_001 + i, createdAt: at, updatedAt: at, archived: false }));
  }

  defineProperty(spec: CustomPropertySpec): PropertyDef {
    const def = customProperty(spec, this.now().toISOString());
    this.properties.set(def.name, def);
    return def;
  }

  ownerOptions(): PropertyOption[] {
    return this.owners.filter((o) => !o.archived).map((o, i) => ({ label: `${o.firstName} ${o.lastName} (${o.email})`, value: o.id, displayOrder: i, hidden: false }));
  }

  renderProperty(def: PropertyDef): Record<string, unknown> {
    return renderProperty(def, this.ownerOptions());
  }

  /** The issues with a write; [] when it may be applied. */
  checkProperties(values: Record<string, string>): PropertyIssue[] {
    const issues: PropertyIssue[] = [];
    for (const [name, value] of Object.entries(values)) {
      const def = this.properties.get(name);
      const allowed = def?.referencedObjectType === 'OWNER' ? this.ownerOptions().map((o) => o.value) : (def?.options.map((o) => o.value) ?? []);
      const issue = checkValue(name, def, value, allowed);
      if (issue) issues.push(issue);
    }
    return issues;
  }

  /** Throws 400 VALIDATION_ERROR for invalid values (HubSpot fails the whole write). */
  assertWritable(values: Record<string, string>): void {
    const issues = this.checkProperties(values);
    if (issues.length) throw invalidProperties(issues);
  }

  create(values: Record<string, string>, at = this.now().toISOString()): Company {
    const id = String(this.nextId++);
    const company: Company = { id, values: new Map(), createdAt: values['createdate'] ? new Date(Number(values['createdate']) || values['createdate']).toISOString() : at, updatedAt: at };
    this.apply(company, { ...values, createdate: company.createdAt });
    company.values.set('hs_object_id', id);
    this.companies.set(id, company);
    return company;
  }

  update(company: Company, values: Record<string, string>): Company {
    company.updatedAt = this.now().toISOString();
    this.apply(company, values);
    return company;
  }

  archive(company: Company): void {
    company.archivedAt ??= this.now().toISOString();
  }

  private apply(company: Company, values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (value === '') company.values.delete(name);
      else company.values.set(name, value);
    }
    company.values.set('hs_lastmodifieddate', company.updatedAt);
  }

  /** A live (archived=false) or archived (archived=true) company, by ID. */
  find(id: string, archived: boolean): Company | undefined {
    const c = this.companies.get(id);
    return c && (c.archivedAt !== undefined) === archived ? c : undefined;
  }

  /** In ID order, as list pages are. */
  list(archived: boolean): Company[] {
    return [...this.companies.values()].filter((c) => (c.archivedAt !== undefined) === archived);
  }

  render(company: Company, requested: string[] | undefined): Record<string, unknown> {
    const names = requested && requested.length ? [...new Set([...requested.filter((n) => this.properties.has(n)), ...ALWAYS_RETURNED])] : COMPANY_DEFAULT_PROPERTIES;
    const properties: Record<string, string | null> = {};
    for (const name of names.sort()) properties[name] = company.values.get(name) ?? null;
    return {
      id: company.id,
      properties,
      createdAt: company.createdAt,
      updatedAt: company.updatedAt,
      archived: company.archivedAt !== undefined,
      ...(company.archivedAt ? { archivedAt: company.archivedAt } : {}),
    };
  }
}

/** Property values arrive as strings; numbers and booleans are stringified (as HubSpot coerces them) [infer]. */
export function propertyValues(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}
