/**
 * Associations between companies and contacts: the store, their v3 inline form (`?associations=contacts` on
 * the objects API) and the v4 associations API the client's `crm.associations.v4` calls.
 *
 * Sources:
 * - HubSpot-defined type IDs: contact→company 279 (unlabeled) and 1 (primary), company→contact 280
 *   (unlabeled) and 2 (primary) (HubSpot's "association type IDs" table in the v4 associations guide, the
 *   same values in HubSpot's own UI code and in client libraries). The primary label reads "Contact with
 *   Primary Company" since February 2024 (developer changelog "Changes to primary labels for HubSpot-defined
 *   association labels"; a real v4 answer quoted in amp-labs/connectors#1271); unlabeled types have label null.
 * - v3 inline names: `company_to_contact` (primary) and `company_to_contact_unlabeled`, likewise
 *   `contact_to_company[_unlabeled]`, primary first (real answers quoted in client projects).
 * - A contact has at most one primary company (v4 guide, "Primary": the main company of the record); a record
 *   with a primary association also has the unlabeled one (v4 guide: labelled types "will be listed alongside
 *   the unlabeled association type").
 * - Wire shapes and success codes: the client's v4 BasicApi (getPage 200, create 201 LabelsBetweenObjectPair,
 *   createDefault 200 BatchResponsePublicDefaultAssociation, archive 204) and BatchApi (getPage = batch/read,
 *   200 or 207). v4 answers give record IDs as JSON numbers in `toObjectId`/`fromObjectId` (HubSpot's v4 spec
 *   types them int64; HubSpot/hubspot-api-php#261 shows the overflow that causes) and as strings in `from.id`.
 * - [infer] The first company associated with a contact becomes its primary one, as in HubSpot's UI; removing
 *   it leaves the contact without a primary company. Associations of an archived record stay stored but are
 *   listed nowhere (they would come back with the record). Errors' wording and subCategories are guesses.
 */
import { HubSpotError, validationError } from './errors';
import { created, jsonBody, jsonValue, noContent, ok, type HsRequest, type RouteTable } from './http';
import type { ChangeCounter, Portal } from './portal';
import { OBJECT_TYPES, objectTypeOf, type ObjectTypeName, type ObjectTypeSpec } from './types';

export interface AssociationType {
  typeId: number;
  /** The v3 inline `type`. */
  name: string;
  label: string | null;
}

interface Direction {
  from: ObjectTypeName;
  to: ObjectTypeName;
  unlabeled: AssociationType;
  primary: AssociationType;
}

const PRIMARY_LABEL = 'Contact with Primary Company';
const DIRECTIONS: Direction[] = [
  { from: 'companies', to: 'contacts', unlabeled: { typeId: 280, name: 'company_to_contact_unlabeled', label: null }, primary: { typeId: 2, name: 'company_to_contact', label: PRIMARY_LABEL } },
  { from: 'contacts', to: 'companies', unlabeled: { typeId: 279, name: 'contact_to_company_unlabeled', label: null }, primary: { typeId: 1, name: 'contact_to_company', label: PRIMARY_LABEL } },
];
const CATEGORY = 'HUBSPOT_DEFINED';

/** A company–contact association; `primary`: the company is the contact's primary company. */
export interface Link {
  companies: string;
  contacts: string;
  primary: boolean;
}

/** The association types a link has seen from `from`'s side, primary first. */
function typesOf(link: Link, direction: Direction): AssociationType[] {
  return link.primary ? [direction.primary, direction.unlabeled] : [direction.unlabeled];
}

function direction(from: ObjectTypeName, to: ObjectTypeName): Direction {
  const d = DIRECTIONS.find((x) => x.from === from && x.to === to);
  // [infer] HubSpot has more pairs (and company-to-company); the sandbox only these.
  if (!d) throw validationError(`The sandbox has no associations from ${from} to ${to}`);
  return d;
}

export class Associations {
  /** Per side, a record's links by the other side's ID; both maps hold the same Link objects. */
  private index: Record<ObjectTypeName, Map<string, Map<string, Link>>> = { companies: new Map(), contacts: new Map() };

  constructor(
    private readonly changes: ChangeCounter,
    /** Whether a record exists and is not archived. */
    private readonly live: (type: ObjectTypeName, id: string) => boolean,
  ) {}

  clear(): void {
    this.index = { companies: new Map(), contacts: new Map() };
  }

  private linksOf(type: ObjectTypeName, id: string): Map<string, Link> {
    let links = this.index[type].get(id);
    if (!links) this.index[type].set(id, (links = new Map()));
    return links;
  }

  /** Associates a company and a contact (unlabeled, and primary if asked or if the contact has none); returns the link. */
  associate(companyId: string, contactId: string, primary: boolean): Link {
    const existing = this.index.companies.get(companyId)?.get(contactId);
    const link = existing ?? { companies: companyId, contacts: contactId, primary: false };
    if (!existing) {
      this.linksOf('companies', companyId).set(contactId, link);
      this.linksOf('contacts', contactId).set(companyId, link);
    }
    const hasPrimary = this.list('contacts', contactId).some((l) => l.primary);
    if (primary || !hasPrimary) {
      for (const other of this.index.contacts.get(contactId)?.values() ?? []) other.primary = false;
      link.primary = true;
    }
    this.changes.bump();
    return link;
  }

  /** Removes every association between the two records; false when there was none. */
  remove(companyId: string, contactId: string): boolean {
    const removed = this.index.companies.get(companyId)?.delete(contactId) ?? false;
    this.index.contacts.get(contactId)?.delete(companyId);
    if (removed) this.changes.bump();
    return removed;
  }

  /** A record's links to live records of the other type, by the other record's ID. */
  list(type: ObjectTypeName, id: string): Link[] {
    const other: ObjectTypeName = type === 'companies' ? 'contacts' : 'companies';
    return [...(this.index[type].get(id)?.values() ?? [])].filter((l) => this.live(other, l[other])).sort((a, b) => Number(a[other]) - Number(b[other]));
  }

  /** Every stored link (persistence). */
  *all(): Iterable<Link> {
    for (const links of this.index.companies.values()) yield* links.values();
  }

  load(link: Link): void {
    this.linksOf('companies', link.companies).set(link.contacts, link);
    this.linksOf('contacts', link.contacts).set(link.companies, link);
  }

  /** The v3 inline form: `{contacts: {results: [{id, type}]}}` for each named type the record has associations with. */
  inline(type: ObjectTypeSpec, id: string, toTypes: ObjectTypeSpec[]): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    for (const to of toTypes) {
      const d = DIRECTIONS.find((x) => x.from === type.name && x.to === to.name);
      if (!d) continue;
      const results = this.list(type.name, id).flatMap((l) => typesOf(l, d).map((t) => ({ id: l[to.name], type: t.name })));
      // A type without associations is left out [infer, as HubSpot omits empty collections].
      if (results.length) out[to.name] = { results };
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** `{toObjectId, associationTypes}` (v4) for a record's links to `to`. */
  v4Targets(from: ObjectTypeName, id: string, to: ObjectTypeName): { toObjectId: number; associationTypes: { category: string; typeId: number; label: string | null }[] }[] {
    const d = direction(from, to);
    return this.list(from, id).map((l) => ({ toObjectId: Number(l[to]), associationTypes: typesOf(l, d).map((t) => ({ category: CATEGORY, typeId: t.typeId, label: t.label })) }));
  }
}

/** v4 getPage: at most 500 a page (v4 guide), 500 by default [infer]. */
const V4_PAGE_MAX = 500;
/** v4 batch read takes at most 1,000 inputs [v4 guide's batch limits; infer for read]. */
const V4_BATCH_MAX = 1000;

interface Ends {
  from: ObjectTypeSpec;
  to: ObjectTypeSpec;
  fromId: string;
  toId: string;
}

/** The company and contact of a pair of ends, in either order. */
const pairOf = (e: Ends) => (e.from.name === 'companies' ? { company: e.fromId, contact: e.toId } : { company: e.toId, contact: e.fromId });

/** Association type specs of a v4 create (`[{associationCategory, associationTypeId}]`): primary or not. */
function wantsPrimary(d: Direction, specs: unknown): boolean {
  if (!Array.isArray(specs) || specs.length === 0) throw validationError('Invalid input JSON: expected an array of association specs ({associationCategory, associationTypeId})');
  let primary = false;
  for (const raw of specs as unknown[]) {
    const spec = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const typeId = Number(spec['associationTypeId']);
    const known = [d.unlabeled, d.primary].find((t) => t.typeId === typeId);
    if (!known || spec['associationCategory'] !== CATEGORY) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `${String(spec['associationCategory'])} association type ${String(spec['associationTypeId'])} is not valid from ${d.from} to ${d.to}`, { subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE' });
    }
    if (known === d.primary) primary = true;
  }
  return primary;
}

/**
 * Associations given on create (`associations: [{to: {id}, types: [{associationCategory, associationTypeId}]}]`,
 * CRM objects guide, "Associate records on create"): the type ID says the target type. Checked before the
 * record is written; returns what to apply once it has its ID.
 */
export function associationsOnCreate(portal: Portal, from: ObjectTypeSpec, raw: unknown): ((id: string) => void) | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const plans = (raw as unknown[]).map((entry) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const toId = String((e['to'] as Record<string, unknown> | undefined)?.['id'] ?? '');
    const types = Array.isArray(e['types']) ? (e['types'] as unknown[]) : [];
    const typeId = Number((types[0] as Record<string, unknown> | undefined)?.['associationTypeId']);
    const d = DIRECTIONS.find((x) => x.from === from.name && (x.unlabeled.typeId === typeId || x.primary.typeId === typeId));
    if (!d) throw new HubSpotError(400, 'VALIDATION_ERROR', `association type ${String(typeId)} is not valid for ${from.name}`, { subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE' });
    const to = OBJECT_TYPES[d.to];
    if (!portal.stores[to.name].find(toId, false)) throw invalidObject(to, toId);
    return { to, toId, primary: wantsPrimary(d, types) };
  });
  return (id) => {
    for (const p of plans) {
      const { company, contact } = pairOf({ from, to: p.to, fromId: id, toId: p.toId });
      portal.associations.associate(company, contact, p.primary);
    }
  };
}

function invalidObject(type: ObjectTypeSpec, id: string): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', `${type.upper} ${id} does not exist or is archived`, { subCategory: 'crm.associations.INVALID_OBJECT_IDS', context: { ids: [id] } });
}

export function addAssociationRoutes(routes: RouteTable, portal: Portal): void {
  /** The two ends of a v4 record path; both must be live records. */
  const ends = (req: HsRequest, fromKey: string, toKey: string): Ends & { direction: Direction } => {
    const from = objectTypeOf(req.params[fromKey]);
    const to = objectTypeOf(req.params[toKey]);
    const e = { from, to, fromId: req.params['objectId'] ?? '', toId: req.params['toObjectId'] ?? '', direction: direction(from.name, to.name) };
    if (!portal.stores[from.name].find(e.fromId, false)) throw invalidObject(from, e.fromId);
    if (!portal.stores[to.name].find(e.toId, false)) throw invalidObject(to, e.toId);
    return e;
  };
  const spec = (t: AssociationType) => ({ associationCategory: CATEGORY, associationTypeId: t.typeId });

  routes
    // Must precede the labelled PUT below: `default` would otherwise be taken for a type.
    .on('PUT', '/crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}', (req) => {
      const startedAt = portal.now().toISOString();
      const e = ends(req, 'objectType', 'toObjectType');
      const { company, contact } = pairOf(e);
      const link = portal.associations.associate(company, contact, false);
      const back = direction(e.to.name, e.from.name);
      // Both directions are reported, as the v4 guide's example answer shows; the primary pair too when this made it.
      const pairs = (link.primary ? ['primary', 'unlabeled'] : ['unlabeled']) as ('primary' | 'unlabeled')[];
      const results = pairs.flatMap((kind) => [
        { from: { id: e.fromId }, to: { id: e.toId }, associationSpec: spec(e.direction[kind]) },
        { from: { id: e.toId }, to: { id: e.fromId }, associationSpec: spec(back[kind]) },
      ]);
      return ok({ status: 'COMPLETE', results, startedAt, completedAt: portal.now().toISOString() });
    })
    .on('PUT', '/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}', (req) => {
      const e = ends(req, 'objectType', 'toObjectType');
      const primary = wantsPrimary(e.direction, jsonValue(req));
      const { company, contact } = pairOf(e);
      const link = portal.associations.associate(company, contact, primary);
      // `labels`: the labels of the pair's labelled types (none for unlabeled only) [infer from the guide's example].
      const labels = typesOf(link, e.direction).flatMap((t) => (t.label ? [t.label] : []));
      return created({ fromObjectTypeId: e.from.objectTypeId, fromObjectId: Number(e.fromId), toObjectTypeId: e.to.objectTypeId, toObjectId: Number(e.toId), labels });
    })
    .on('DELETE', '/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}', (req) => {
      const from = objectTypeOf(req.params['objectType']);
      const to = objectTypeOf(req.params['toObjectType']);
      direction(from.name, to.name);
      const { company, contact } = pairOf({ from, to, fromId: req.params['objectId'] ?? '', toId: req.params['toObjectId'] ?? '' });
      // Removing an association that does not exist still answers 204 [infer, as archive does].
      portal.associations.remove(company, contact);
      return noContent();
    })
    .on('GET', '/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}', (req) => {
      const from = objectTypeOf(req.params['objectType']);
      const to = objectTypeOf(req.params['toObjectType']);
      const id = req.params['objectId'] ?? '';
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? V4_PAGE_MAX) || V4_PAGE_MAX, 1), V4_PAGE_MAX);
      // An unknown or archived record has no associations to list: 200 and no results [infer].
      direction(from.name, to.name);
      const all = portal.stores[from.name].find(id, false) ? portal.associations.v4Targets(from.name, id, to.name) : [];
      // `after`: the last toObjectId of the page before (opaque to callers).
      const after = Number(req.query.get('after') ?? 0) || 0;
      const rest = all.filter((t) => t.toObjectId > after);
      const results = rest.slice(0, limit);
      const last = results.at(-1);
      const next = rest.length > limit && last ? { paging: { next: { after: String(last.toObjectId), link: `/crm/v4/objects/${from.name}/${id}/associations/${to.name}?after=${last.toObjectId}&limit=${limit}` } } } : {};
      return ok({ results, ...next });
    })
    .on('POST', '/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read', (req) => {
      const startedAt = portal.now().toISOString();
      const from = objectTypeOf(req.params['fromObjectType']);
      const to = objectTypeOf(req.params['toObjectType']);
      direction(from.name, to.name);
      const list = jsonBody(req)['inputs'];
      if (!Array.isArray(list)) throw validationError('Invalid input JSON: "inputs" must be an array');
      if (list.length > V4_BATCH_MAX) throw validationError(`The maximum number of inputs supported in a batch request is ${V4_BATCH_MAX}. Please reduce the number of items and try again`);
      const ids = [...new Set((list as unknown[]).map((i) => String((i as Record<string, unknown> | null)?.['id'] ?? '')))];
      const results: Record<string, unknown>[] = [];
      const errors: Record<string, unknown>[] = [];
      for (const id of ids) {
        const targets = portal.stores[from.name].find(id, false) ? portal.associations.v4Targets(from.name, id, to.name) : [];
        if (targets.length) results.push({ from: { id }, to: targets });
        // An ID without associations is an error of the 207 answer [infer: HubSpot's NO_ASSOCIATIONS_FOUND].
        else errors.push({ status: 'error', category: 'OBJECT_NOT_FOUND', subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND', message: `No ${to.singular} is associated with ${from.singular} ${id}.`, context: { fromObjectId: [id] }, errors: [], links: {} });
      }
      const body = { status: 'COMPLETE', results, startedAt, completedAt: portal.now().toISOString(), ...(errors.length ? { numErrors: errors.length, errors } : {}) };
      return { status: errors.length ? 207 : 200, body };
    });
}
