/**
 * Properties API for companies and contacts (`GET /crm/v3/properties/{objectType}[/{propertyName}]`, 200
 * `{results:[Property]}` and a Property; client CoreApi) and the Owners API (`GET /crm/v3/owners[/]` with
 * `email`, `after`, `limit` up to 500, `archived`; `GET /crm/v3/owners/{ownerId}`; client OwnersApi, PublicOwner
 * model).
 */
import { HubSpotError } from './errors';
import { flag, ok, type RouteTable } from './http';
import { type Owner, type Portal } from './portal';

const OWNERS_DEFAULT = 100;
const OWNERS_MAX = 500;

/** The Owners API's PublicOwner. */
export function renderOwner(o: Owner): Record<string, unknown> {
  return { id: o.id, email: o.email, type: 'PERSON', firstName: o.firstName, lastName: o.lastName, userId: o.userId, userIdIncludingInactive: o.userId, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived, teams: [] };
}

export function addReferenceRoutes(routes: RouteTable, portal: Portal): void {
  routes
    .on('GET', '/crm/v3/properties/{objectType}', (req) => {
      const store = portal.store(req.params['objectType']);
      // archived=true lists archived properties: the sandbox never archives one.
      return ok({ results: flag(req.query, 'archived') ? [] : [...store.properties.values()].map((p) => store.renderProperty(p)) });
    })
    .on('GET', '/crm/v3/properties/{objectType}/{propertyName}', (req) => {
      const store = portal.store(req.params['objectType']);
      const def = store.properties.get(req.params['propertyName'] ?? '');
      if (!def) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Property ${req.params['propertyName'] ?? ''} does not exist`);
      return ok(store.renderProperty(def));
    })
    .on('GET', '/crm/v3/owners', (req) => {
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? OWNERS_DEFAULT) || OWNERS_DEFAULT, 1), OWNERS_MAX);
      const email = req.query.get('email')?.toLowerCase();
      const archived = flag(req.query, 'archived');
      const all = portal.owners.filter((o) => o.archived === archived && (!email || o.email.toLowerCase() === email));
      const start = Number(req.query.get('after') ?? 0) || 0;
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : undefined;
      return ok({ results: page.map(renderOwner), ...(next ? { paging: { next: { after: next, link: `/crm/v3/owners/?after=${next}&limit=${limit}` } } } : {}) });
    })
    .on('GET', '/crm/v3/owners/{ownerId}', (req) => {
      const byUser = req.query.get('idProperty') === 'userId';
      const id = req.params['ownerId'] ?? '';
      const owner = portal.owners.find((o) => (byUser ? String(o.userId) : o.id) === id && o.archived === flag(req.query, 'archived'));
      if (!owner) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Owner ${id} not found`);
      return ok(renderOwner(owner));
    });
}
