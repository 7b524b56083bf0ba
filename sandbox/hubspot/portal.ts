/**
 * The sandbox's in-memory HubSpot account ("portal"): one record store per object type (companies, contacts),
 * the owners, the associations between records, and how a record is written and rendered as the CRM objects
 * API does (`{id, properties, createdAt, updatedAt, archived, archivedAt?}`, contract §2.3; property values
 * always strings).
 */
import { HubSpotError, invalidProperties, type PropertyIssue } from './errors';
import { Associations } from './associations';
import { checkValue, customProperty, defaultProperties, renderProperty, type CustomPropertySpec, type PropertyDef, type PropertyOption } from './schema';
import { OBJECT_TYPES, objectTypeOf, type ObjectTypeName, type ObjectTypeSpec } from './types';

/** A private-app access token as HubSpot issues them (`pat-<region>-<uuid>`); the only one the sandbox accepts. */
export const SANDBOX_ACCESS_TOKEN = 'pat-na1-5a1db0c3-0000-4a55-8b5e-00hubsync000';
export const SANDBOX_PORTAL_ID = 24681357;
const FIRST_OWNER_ID = 70_000_001;
const FIRST_USER_ID = 9_100_001;

export interface CrmRecord {
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

/** Counts every change, so that a save can be skipped when nothing changed since the last one. */
export class ChangeCounter {
  version = 0;
  bump(): void {
    this.version++;
  }
}

/**
 * Renders records for one request as JSON text: the property names are worked out (and quoted) once, not per
 * record, and no intermediate objects are built, since list and search pages are the sandbox's hot path.
 */
export type Renderer = (record: CrmRecord) => string;

/** The records of one object type, its properties, and its ID sequence. */
export class ObjectStore {
  records = new Map<string, CrmRecord>();
  properties = new Map<string, PropertyDef>();
  nextId: number;
  /**
   * All records in ID order. IDs only grow (and a load sorts once), so list pages find their `after` by
   * binary search and cost O(log n + page), not a scan of the whole store.
   */
  private order: CrmRecord[] = [];
  /** Live records by their lower-cased unique key (contacts: email). */
  private byKey = new Map<string, CrmRecord>();

  constructor(
    readonly type: ObjectTypeSpec,
    private readonly portal: Portal,
  ) {
    this.nextId = type.firstId;
  }

  reset(at: string): void {
    this.records = new Map();
    this.order = [];
    this.byKey = new Map();
    this.nextId = this.type.firstId;
    this.properties = new Map(defaultProperties(this.type, at).map((p) => [p.name, p]));
  }

  defineProperty(spec: CustomPropertySpec): PropertyDef {
    const def = customProperty(spec, this.type.groupName, this.portal.now().toISOString());
    this.properties.set(def.name, def);
    this.portal.changes.bump();
    return def;
  }

  renderProperty(def: PropertyDef): Record<string, unknown> {
    return renderProperty(def, this.portal.ownerOptions());
  }

  /** The issues with a write; [] when it may be applied. */
  checkProperties(values: Record<string, string>): PropertyIssue[] {
    const issues: PropertyIssue[] = [];
    let owners: string[] | undefined;
    for (const [name, value] of Object.entries(values)) {
      const def = this.properties.get(name);
      const allowed = def?.referencedObjectType === 'OWNER' ? (owners ??= this.portal.ownerOptions().map((o) => o.value)) : (def?.options.map((o) => o.value) ?? []);
      const issue = checkValue(name, def, value, allowed);
      if (issue) issues.push(issue);
    }
    return issues;
  }

  /**
   * Throws 400 VALIDATION_ERROR for invalid values (HubSpot fails the whole write), and 409 CONFLICT when a
   * unique key would be taken twice: by another live record (`self` is the record being updated) or by
   * another write of the same batch (`batch`, lower-cased keys already claimed).
   */
  assertWritable(values: Record<string, string>, self?: CrmRecord, batch?: Set<string>): void {
    const issues = this.checkProperties(values);
    if (issues.length) throw invalidProperties(issues);
    const key = this.type.uniqueKey ? values[this.type.uniqueKey]?.toLowerCase() : undefined;
    if (!key) return;
    const holder = this.byKey.get(key);
    if (holder && holder !== self) throw new HubSpotError(409, 'CONFLICT', `${capitalised(this.type.singular)} already exists. Existing ID: ${holder.id}`);
    if (batch?.has(key)) throw new HubSpotError(409, 'CONFLICT', `Duplicate ${this.type.uniqueKey} in batch input: ${key}`);
    batch?.add(key);
  }

  create(values: Record<string, string>, at = this.portal.now().toISOString()): CrmRecord {
    const id = String(this.nextId++);
    const createdAt = values['createdate'] ? new Date(Number(values['createdate']) || values['createdate']).toISOString() : at;
    const record: CrmRecord = { id, values: new Map(), createdAt, updatedAt: at };
    this.apply(record, { ...values, createdate: createdAt });
    record.values.set('hs_object_id', id);
    this.add(record);
    return record;
  }

  update(record: CrmRecord, values: Record<string, string>): CrmRecord {
    record.updatedAt = this.portal.now().toISOString();
    this.apply(record, values);
    return record;
  }

  archive(record: CrmRecord): void {
    record.archivedAt ??= this.portal.now().toISOString();
    this.unindex(record);
    this.portal.changes.bump();
  }

  /** A saved record, as it was (persistence). */
  load(record: CrmRecord): void {
    this.add(record);
  }

  /** After a load: restores the ID order and the sequence. */
  loaded(nextId: number): void {
    this.order.sort((a, b) => Number(a.id) - Number(b.id));
    this.nextId = Math.max(nextId, this.type.firstId);
  }

  private add(record: CrmRecord): void {
    this.records.set(record.id, record);
    this.order.push(record);
    if (record.archivedAt === undefined) this.index(record);
    this.portal.changes.bump();
  }

  private apply(record: CrmRecord, values: Record<string, string>): void {
    this.unindex(record);
    for (const [name, value] of Object.entries(values)) {
      if (value === '') record.values.delete(name);
      else record.values.set(name, value);
    }
    record.values.set(this.type.modifiedProperty, record.updatedAt);
    if (record.archivedAt === undefined) this.index(record);
    this.portal.changes.bump();
  }

  private index(record: CrmRecord): void {
    const key = this.type.uniqueKey ? record.values.get(this.type.uniqueKey)?.toLowerCase() : undefined;
    if (key) this.byKey.set(key, record);
  }

  private unindex(record: CrmRecord): void {
    const key = this.type.uniqueKey ? record.values.get(this.type.uniqueKey)?.toLowerCase() : undefined;
    if (key && this.byKey.get(key) === record) this.byKey.delete(key);
  }

  /** A live (archived=false) or archived (archived=true) record, by ID. */
  find(id: string, archived: boolean): CrmRecord | undefined {
    const r = this.records.get(id);
    return r && (r.archivedAt !== undefined) === archived ? r : undefined;
  }

  /** A live record by the value of a unique property (the type's key, or one defined with hasUniqueValue). */
  findBy(property: string, value: string): CrmRecord | undefined {
    if (property === 'hs_object_id') return this.find(value, false);
    if (property === this.type.uniqueKey) return this.byKey.get(value.toLowerCase());
    return this.list(false).find((r) => r.values.get(property) === value);
  }

  /** Whether `idProperty` may name records (upsert, reads): the type's key or a unique identifier property. */
  isIdProperty(property: string): boolean {
    return property === this.type.uniqueKey || this.properties.get(property)?.hasUniqueValue === true;
  }

  /** In ID order, as list pages are. */
  list(archived: boolean): CrmRecord[] {
    return this.order.filter((r) => (r.archivedAt !== undefined) === archived);
  }

  /** All records, archived ones included, in ID order (persistence). */
  all(): readonly CrmRecord[] {
    return this.order;
  }

  count(archived: boolean): number {
    let n = 0;
    for (const r of this.order) if ((r.archivedAt !== undefined) === archived) n++;
    return n;
  }

  /** Up to `limit` records from the first whose ID is ≥ `after`, and the record that starts the next page. */
  page(archived: boolean, after: string | undefined, limit: number): { records: CrmRecord[]; next?: CrmRecord } {
    let i = after ? this.firstAtOrAfter(Number(after)) : 0;
    const records: CrmRecord[] = [];
    for (; i < this.order.length; i++) {
      const r = this.order[i] as CrmRecord;
      if ((r.archivedAt !== undefined) !== archived) continue;
      if (records.length === limit) return { records, next: r };
      records.push(r);
    }
    return { records };
  }

  private firstAtOrAfter(id: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Number((this.order[mid] as CrmRecord).id) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The renderer for a request's `properties`: the named ones the type has, plus the always-returned
   * createdate, modification stamp and hs_object_id [observed API behaviour, infer]; the defaults when none.
   * IDs and timestamps need no escaping (digits, ISO 8601).
   */
  renderer(requested: string[] | undefined): Renderer {
    const names = requested?.length ? [...new Set([...requested.filter((n) => this.properties.has(n)), 'createdate', this.type.modifiedProperty, 'hs_object_id'])].sort() : this.type.defaultProperties;
    const keys = names.map((n, i) => `${i ? ',' : ''}${JSON.stringify(n)}:`);
    return (record) => {
      let properties = '';
      for (let i = 0; i < names.length; i++) {
        const value = record.values.get(names[i] as string);
        properties += `${keys[i] as string}${value === undefined ? 'null' : JSON.stringify(value)}`;
      }
      const archived = record.archivedAt === undefined ? 'false' : `true,"archivedAt":"${record.archivedAt}"`;
      return `{"id":"${record.id}","properties":{${properties}},"createdAt":"${record.createdAt}","updatedAt":"${record.updatedAt}","archived":${archived}}`;
    };
  }

  /** One record as an object (`{id, properties, createdAt, updatedAt, archived, archivedAt?}`). */
  render(record: CrmRecord, requested: string[] | undefined): Record<string, unknown> {
    return JSON.parse(this.renderer(requested)(record)) as Record<string, unknown>;
  }
}

const capitalised = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

export class Portal {
  readonly changes = new ChangeCounter();
  readonly stores: Record<ObjectTypeName, ObjectStore>;
  readonly associations: Associations;
  owners: Owner[] = [];

  constructor(readonly now: () => Date) {
    this.stores = { companies: new ObjectStore(OBJECT_TYPES.companies, this), contacts: new ObjectStore(OBJECT_TYPES.contacts, this) };
    this.associations = new Associations(this.changes, (type, id) => this.stores[type].find(id, false) !== undefined);
    this.reset();
  }

  get companies(): ObjectStore {
    return this.stores.companies;
  }

  get contacts(): ObjectStore {
    return this.stores.contacts;
  }

  /** The store a path's object type names (companies, company, 0-2, …); 400 for a type the sandbox does not have. */
  store(alias: string | undefined): ObjectStore {
    return this.stores[objectTypeOf(alias).name];
  }

  /** An empty portal: the default properties and five owners. */
  reset(): void {
    const at = this.now().toISOString();
    for (const store of Object.values(this.stores)) store.reset(at);
    this.associations.clear();
    this.owners = [];
    for (const [firstName, lastName] of [
      ['Ada', 'Lovelace'],
      ['Grace', 'Hopper'],
      ['Alan', 'Turing'],
      ['Edsger', 'Dijkstra'],
      ['Barbara', 'Liskov'],
    ] as const) {
      this.addOwner({ email: `${firstName.toLowerCase()}@hubsync.sandbox`, firstName, lastName });
    }
  }

  /** A new active owner, with the next owner and user IDs [infer: HubSpot makes owners from users and teams]. */
  addOwner(spec: { email: string; firstName?: string | undefined; lastName?: string | undefined }): Owner {
    const at = this.now().toISOString();
    const last = this.owners.at(-1);
    const owner: Owner = {
      id: String(last ? Number(last.id) + 1 : FIRST_OWNER_ID),
      email: spec.email,
      firstName: spec.firstName ?? '',
      lastName: spec.lastName ?? '',
      userId: last ? last.userId + 1 : FIRST_USER_ID,
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
    this.owners.push(owner);
    this.changes.bump();
    return owner;
  }

  /**
   * Archives an owner (a deactivated user): listed with `archived=true` only, and no longer an option of
   * hubspot_owner_id; records keep the ID they hold [infer: HubSpot keeps the value of a deactivated owner].
   */
  archiveOwner(owner: Owner): Owner {
    owner.archived = true;
    owner.updatedAt = this.now().toISOString();
    this.changes.bump();
    return owner;
  }

  ownerOptions(): PropertyOption[] {
    return this.owners.filter((o) => !o.archived).map((o, i) => ({ label: `${o.firstName} ${o.lastName} (${o.email})`, value: o.id, displayOrder: i, hidden: false }));
  }
}

/** Property values arrive as strings; numbers and booleans are stringified (as HubSpot coerces them) [infer]. */
export function propertyValues(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}
