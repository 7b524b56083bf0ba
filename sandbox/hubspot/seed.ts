/**
 * Deterministic record generation for `/__admin/seed` and the `demo` seed: the same seed gives the same rows.
 * The demo portal: 25 companies with owners, the custom company properties `tier` (single select) and
 * `products` (multi-select) set on each, and two contacts for each of the first ten companies, with owners,
 * associated with their company (as its primary company).
 */
import { Prng } from '../salesforce/prng';
import { type ObjectStore, type Portal } from './portal';
import { INDUSTRY_VALUES } from './schema';
import { type ObjectTypeName } from './types';

const FIRST = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne', 'Soylent', 'Vandelay'];
const SECOND = ['Labs', 'Systems', 'Holdings', 'Analytics', 'Logistics', 'Health', 'Foods', 'Energy', 'Media', 'Robotics'];
const CITIES = ['Berlin', 'Boston', 'Dublin', 'Lisbon', 'Paris', 'Toronto', 'Austin', 'Singapore'];
const GIVEN = ['Alex', 'Sam', 'Robin', 'Kim', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Jamie', 'Riley', 'Avery', 'Quinn'];
const FAMILY = ['Smith', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Silva', 'Novak', 'Tanaka', 'Kowalski', 'Jensen'];
const TITLES = ['CEO', 'CTO', 'Head of Customer Success', 'Account Manager', 'VP Sales', 'Operations Lead'];
const DAY_MS = 86_400_000;

const DEMO_COMPANIES = 25;
const DEMO_CONTACT_COMPANIES = 10;
const DEMO_CONTACTS_PER_COMPANY = 2;
export const DEMO_TIERS = ['Tier 1', 'Tier 2', 'Tier 3'];
export const DEMO_PRODUCTS = ['Analytics', 'Automation', 'Engage', 'Insights', 'Platform'];

export interface SeedSpec {
  count: number;
  seed?: number | undefined;
  /** Fixed values for every generated record (e.g. a custom property). */
  properties?: Record<string, string> | undefined;
}

/** Values of the i-th generated record of a type, from the generator's next draws. */
type Generate = (rng: Prng, i: number, owners: string[]) => Record<string, string>;

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

const GENERATORS: Record<ObjectTypeName, Generate> = {
  companies: (rng, i, owners) => {
    const name = `${rng.pick(FIRST)} ${rng.pick(SECOND)} ${i + 1}`;
    return {
      name,
      domain: `${slug(name)}.example.com`,
      city: rng.pick(CITIES),
      industry: rng.pick(INDUSTRY_VALUES),
      numberofemployees: String(rng.int(1, 5000)),
      hubspot_owner_id: rng.pick(owners),
    };
  },
  contacts: (rng, i, owners) => {
    const firstname = rng.pick(GIVEN);
    const lastname = rng.pick(FAMILY);
    return {
      firstname,
      lastname,
      // The index keeps emails unique (contacts' email is unique in HubSpot).
      email: `${slug(firstname)}.${slug(lastname)}.${i + 1}@example.com`,
      phone: `+1 555 ${String(rng.int(100, 999))} ${String(rng.int(1000, 9999))}`,
      jobtitle: rng.pick(TITLES),
      hubspot_owner_id: rng.pick(owners),
    };
  },
};

/**
 * Adds `count` records of the store's type; createdate spread over the last 30 days (ascending with the ID).
 * `extra` adds values of its own per record, drawn from another generator so that the base values stay those
 * of the same seed without it.
 */
export function seedRecords(store: ObjectStore, portal: Portal, spec: SeedSpec, extra?: (i: number, values: Record<string, string>) => Record<string, string>): string[] {
  const rng = new Prng(spec.seed ?? 1);
  const now = portal.now().getTime();
  const owners = portal.owners.filter((o) => !o.archived).map((o) => o.id);
  const generate = GENERATORS[store.type.name];
  const ids: string[] = [];
  for (let i = 0; i < spec.count; i++) {
    const at = new Date(now - 30 * DAY_MS + Math.floor(((i + 1) / (spec.count + 1)) * 30 * DAY_MS)).toISOString();
    const values = generate(rng, i, owners);
    ids.push(store.create({ ...values, ...extra?.(i, values), ...spec.properties }, at).id);
  }
  return ids;
}

/** The demo portal on top of an empty one (see the header). */
export function seedDemo(portal: Portal): void {
  const companies = portal.companies;
  companies.defineProperty({ name: 'tier', label: 'Tier', type: 'enumeration', options: DEMO_TIERS, description: 'Customer tier (demo data)' });
  companies.defineProperty({ name: 'products', label: 'Products', type: 'enumeration', multiple: true, options: DEMO_PRODUCTS, description: 'Products in use (demo data)' });
  const picks = new Prng(1001);
  const companyIds = seedRecords(companies, portal, { count: DEMO_COMPANIES, seed: 1 }, () => {
    const products = DEMO_PRODUCTS.filter(() => picks.int(0, 2) === 0);
    return { tier: picks.pick(DEMO_TIERS), products: (products.length ? products : [picks.pick(DEMO_PRODUCTS)]).slice(0, 3).join(';') };
  });
  const withContacts = companyIds.map((id) => companies.find(id, false)).slice(0, DEMO_CONTACT_COMPANIES);
  const companyOf = (i: number) => withContacts[Math.floor(i / DEMO_CONTACTS_PER_COMPANY)];
  // The contact works at the company: its email is at the company's domain, its owner the company's.
  const contactIds = seedRecords(portal.contacts, portal, { count: withContacts.length * DEMO_CONTACTS_PER_COMPANY, seed: 2 }, (i, values) => ({
    email: `${slug(values['firstname'] ?? '')}.${slug(values['lastname'] ?? '')}@${companyOf(i)?.values.get('domain') ?? 'example.com'}`,
    hubspot_owner_id: companyOf(i)?.values.get('hubspot_owner_id') ?? '',
  }));
  contactIds.forEach((contactId, i) => portal.associations.associate(companyOf(i)?.id ?? '', contactId, true));
}
