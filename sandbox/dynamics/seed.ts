/**
 * Rows for the `demo` seed (deterministic: the same rows and IDs on every run) and `/__admin/generate` (the same
 * values for the same seed; random IDs, so that repeated calls never collide).
 * Every org has the application user the client credentials act as (an application user: accessmode 4,
 * applicationid = the client ID, as "Manage application users" describes). The demo org adds five users at
 * `@hubsync.sandbox` (the last one disabled), 25 accounts (owner, account number, website, industry, tier,
 * products, revenue, employees; a few with a parent account) and 20 contacts (two for each of the first ten
 * accounts). Timestamps are spread over the 30 days before the sandbox clock's now, all strictly in the past.
 */
import { createHash } from 'node:crypto';
import { Prng } from '../salesforce/prng';
import { SANDBOX_CLIENT_ID } from './auth';
import { dvDateTime, newGuid, type Org, type Scalar } from './org';
import { PRODUCT_OPTIONS, TIER_OPTIONS } from './schema';

export const SANDBOX_APP_USER_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const DAY_MS = 86_400_000;

/** A GUID derived from a name, so demo IDs are the same on every run. */
export function stableGuid(name: string): string {
  const h = createHash('sha1').update(`hubsync-dynamics:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const DEMO_USERS = [
  { first: 'Ada', last: 'Lovelace', title: 'Head of Customer Success' },
  { first: 'Grace', last: 'Hopper', title: 'Account Manager' },
  { first: 'Alan', last: 'Turing', title: 'Account Manager' },
  { first: 'Katherine', last: 'Johnson', title: 'CSM' },
  { first: 'Edsger', last: 'Dijkstra', title: 'CSM (left)', disabled: true },
];

const FIRST = ['Contoso', 'Fabrikam', 'Northwind', 'Adventure', 'Litware', 'Tailspin', 'Wingtip', 'Proseware', 'Alpine', 'Coho', 'Fourth', 'Blue Yonder'];
const SECOND = ['Labs', 'Systems', 'Holdings', 'Analytics', 'Logistics', 'Health', 'Foods', 'Energy', 'Media', 'Robotics'];
const GIVEN = ['Alex', 'Sam', 'Robin', 'Kim', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Jamie', 'Riley', 'Avery', 'Quinn'];
const FAMILY = ['Smith', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Silva', 'Novak', 'Tanaka', 'Kowalski', 'Jensen'];
const JOBS = ['CEO', 'CTO', 'Head of Customer Success', 'Operations Lead', 'VP Sales'];
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** The application user, present in every org. */
export function seedApplicationUser(org: Org, at: string): void {
  org.insert('systemuser', SANDBOX_APP_USER_ID, { firstname: '#', lastname: 'hubsync-sandbox', domainname: `${SANDBOX_CLIENT_ID}@hubsync.sandbox`, internalemailaddress: null, applicationid: SANDBOX_CLIENT_ID, accessmode: 4, isdisabled: false, title: null }, {}, { at, by: SANDBOX_APP_USER_ID });
}

/** A timestamp `i` of `n` steps through the 30 days before now (at least a minute before now). */
function spread(nowMs: number, i: number, n: number): string {
  const start = nowMs - 30 * DAY_MS;
  const span = 30 * DAY_MS - 60_000;
  return dvDateTime(start + Math.floor(((i + 1) / (n + 1)) * span));
}

export interface GenerateSpec {
  count: number;
  seed?: number | undefined;
  values?: Record<string, Scalar> | undefined;
}

/** Values of the i-th generated account. */
function accountValues(rng: Prng, i: number, prefix: string): Record<string, Scalar> {
  const name = `${rng.pick(FIRST)} ${rng.pick(SECOND)} ${i + 1}`;
  const products = PRODUCT_OPTIONS.filter(() => rng.int(0, 2) === 0).slice(0, 3);
  return {
    name,
    accountnumber: `${prefix}${1001 + i}`,
    websiteurl: `https://${slug(name)}.example.com`,
    telephone1: `+1 555 ${String(rng.int(100, 999))} ${String(rng.int(1000, 9999))}`,
    industrycode: rng.int(1, 33),
    hubsync_tier: (rng.pick(TIER_OPTIONS)).value,
    hubsync_products: (products.length ? products : [rng.pick(PRODUCT_OPTIONS)]).map((o) => o.value).join(','),
    revenue: rng.int(1, 500) * 10_000,
    numberofemployees: rng.int(5, 5000),
    description: null,
  };
}

/** Adds `count` accounts owned by the enabled users (or the application user); returns their IDs. */
export function generateAccounts(org: Org, spec: GenerateSpec, idFor?: (i: number) => string): string[] {
  const rng = new Prng(spec.seed ?? 1);
  const now = org.clock.nowMs();
  const owners = [...org.store('systemuser').rows.values()].filter((u) => u.values['isdisabled'] !== true && u.values['accessmode'] !== 4).map((u) => u.id);
  if (!owners.length) owners.push(org.appUserId);
  // Generated account numbers are unique across calls: prefixed by the org version they start at.
  const prefix = idFor ? 'A-' : `G${org.version}-`;
  const ids: string[] = [];
  for (let i = 0; i < spec.count; i++) {
    const id = idFor ? idFor(i) : newGuid();
    const values = { ...accountValues(rng, i, prefix), ...spec.values };
    org.insert('account', id, values, { ownerid: { id: rng.pick(owners), table: 'systemuser' } }, { at: spread(now, i, spec.count) });
    ids.push(id);
  }
  return ids;
}

/** The demo org on top of an empty one (see the header). */
export function seedDemo(org: Org): void {
  const now = org.clock.nowMs();
  const early = new Date(now - 60 * DAY_MS).toISOString();
  DEMO_USERS.forEach((u, i) => {
    const email = `${slug(u.first)}@hubsync.sandbox`;
    org.insert('systemuser', stableGuid(`user:${i}`), { firstname: u.first, lastname: u.last, internalemailaddress: email, domainname: email, title: u.title, isdisabled: Boolean(u.disabled), accessmode: 0, applicationid: null }, {}, { at: early, by: SANDBOX_APP_USER_ID });
  });
  const accounts = generateAccounts(org, { count: 25, seed: 1 }, (i) => stableGuid(`account:${i}`));
  // Accounts 21-25 are subsidiaries of accounts 1-5.
  for (let i = 20; i < 25; i++) {
    const row = org.store('account').rows.get(accounts[i] as string);
    if (row) org.update('account', row, {}, { parentaccountid: { id: accounts[i - 20] as string, table: 'account' } }, { at: spread(now, 37 + i, 62) });
  }
  const rng = new Prng(2);
  for (let i = 0; i < 20; i++) {
    const account = org.store('account').rows.get(accounts[Math.floor(i / 2)] as string);
    if (!account) continue;
    const first = rng.pick(GIVEN);
    const last = rng.pick(FAMILY);
    const domain = String(account.values['websiteurl'] ?? 'https://example.com').replace(/^https:\/\//, '');
    org.insert(
      'contact',
      stableGuid(`contact:${i}`),
      { firstname: first, lastname: last, emailaddress1: `${slug(first)}.${slug(last)}@${domain}`, telephone1: `+1 555 ${String(rng.int(100, 999))} ${String(rng.int(1000, 9999))}`, jobtitle: rng.pick(JOBS) },
      { parentcustomerid: { id: account.id, table: 'account' }, ownerid: account.lookups['ownerid'] ?? { id: org.appUserId, table: 'systemuser' } },
      { at: spread(now, 30 + i, 60) },
    );
  }
}
