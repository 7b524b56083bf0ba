/** Deterministic company generation for `/__admin/seed` and the `demo` seed: the same seed gives the same rows. */
import { Prng } from '../salesforce/prng';
import { type Portal } from './portal';
import { INDUSTRY_VALUES } from './schema';

const FIRST = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne', 'Soylent', 'Vandelay'];
const SECOND = ['Labs', 'Systems', 'Holdings', 'Analytics', 'Logistics', 'Health', 'Foods', 'Energy', 'Media', 'Robotics'];
const CITIES = ['Berlin', 'Boston', 'Dublin', 'Lisbon', 'Paris', 'Toronto', 'Austin', 'Singapore'];
const DAY_MS = 86_400_000;

export interface SeedSpec {
  count: number;
  seed?: number | undefined;
  /** Fixed values for every generated company (e.g. a custom property). */
  properties?: Record<string, string> | undefined;
}

/** Adds `count` companies; createdate spread over the last 30 days (ascending with the ID). */
export function seedCompanies(portal: Portal, spec: SeedSpec): string[] {
  const rng = new Prng(spec.seed ?? 1);
  const now = portal.now().getTime();
  const owners = portal.owners.map((o) => o.id);
  const ids: string[] = [];
  for (let i = 0; i < spec.count; i++) {
    const name = `${rng.pick(FIRST)} ${rng.pick(SECOND)} ${i + 1}`;
    const at = new Date(now - 30 * DAY_MS + Math.floor(((i + 1) / (spec.count + 1)) * 30 * DAY_MS)).toISOString();
    const values: Record<string, string> = {
      name,
      domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example.com`,
      city: rng.pick(CITIES),
      industry: rng.pick(INDUSTRY_VALUES),
      numberofemployees: String(rng.int(1, 5000)),
      hubspot_owner_id: rng.pick(owners),
      ...spec.properties,
    };
    ids.push(portal.create(values, at).id);
  }
  return ids;
}
