/**
 * The admin API under `/__admin` (no auth, loopback clients only; not part of HubSpot's surface): health,
 * reset, seeding, custom properties, owners, the request log (the Salesforce sandbox's generic RequestLog),
 * OAuth token lifetime, rate limits and fault injection. JSON in and out; errors `{error, issues?}` with 400.
 */
import { z } from 'zod';
import { type RequestLog } from '../salesforce/request-log';
import { HubSpotError } from './errors';
import { type FaultInjector } from './faults';
import { jsonBody, ok, RouteTable, type HsRequest, type HsResponse } from './http';
import { type RateLimiter } from './limits';
import { type OAuthTokens } from './oauth';
import { renderOwner } from './reference';
import { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID, type Portal } from './portal';
import { seedRecords } from './seed';
import { knownObjectType } from './types';

/** An object type as the API paths take it (companies, company, 0-2, contacts, …); companies when absent. */
const objectType = z
  .string()
  .default('companies')
  .refine((t) => knownObjectType(t) !== undefined, 'companies or contacts');

const Schemas = {
  reset: z.object({ seed: z.enum(['demo', 'none']).optional() }),
  seed: z.object({ objectType, count: z.number().int().positive().max(200_000), seed: z.number().int().optional(), properties: z.record(z.string(), z.string()).optional() }),
  owner: z.object({ email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'an email address'), firstName: z.string().optional(), lastName: z.string().optional() }),
  property: z.object({
    objectType,
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower case letters, digits and _'),
    label: z.string().optional(),
    type: z.enum(['string', 'number', 'date', 'datetime', 'enumeration', 'bool']),
    fieldType: z.string().optional(),
    options: z.array(z.union([z.string().min(1), z.object({ label: z.string(), value: z.string().min(1) })])).optional(),
    multiple: z.boolean().optional(),
    description: z.string().optional(),
    /** A unique identifier property, usable as `idProperty` of batch upsert. */
    hasUniqueValue: z.boolean().optional(),
  }),
  oauth: z.object({ accessTokenTtlSeconds: z.number().int().positive().max(86_400 * 365) }),
  rateLimits: z.object({
    secondly: z.number().int().positive().optional(),
    intervalMs: z.number().int().positive().max(86_400_000).optional(),
    daily: z.number().int().nonnegative().optional(),
    searchPerSecond: z.number().int().positive().optional(),
  }),
  fault: z.object({
    method: z.string().regex(/^[A-Za-z]+$/).optional(),
    path: z.string().min(1).optional(),
    status: z.number().int().min(100).max(599).optional(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    latencyMs: z.number().int().nonnegative().max(600_000).optional(),
    count: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
  }),
};

class AdminError extends Error {
  constructor(
    message: string,
    readonly issues?: unknown,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, req: HsRequest): T {
  const body = req.body.length ? jsonBody(req) : {};
  const result = schema.safeParse(body);
  if (!result.success) throw new AdminError('invalid request body', result.error.issues);
  return result.data;
}

export function renderAdminFailure(err: unknown): HsResponse | undefined {
  if (err instanceof AdminError) return { status: 400, body: { error: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
  if (err instanceof HubSpotError) return { status: err.status, body: { error: err.message } };
  return undefined;
}

export interface AdminContext {
  portal: Portal;
  log: RequestLog;
  tokens: OAuthTokens;
  limits: RateLimiter;
  faults: FaultInjector;
  url: () => string;
  /** Empties the portal and seeds it as `startHubSpotSandbox({seed})` does. */
  reset: (seed: 'demo' | 'none') => void;
}

export function buildAdminRoutes(ctx: AdminContext): RouteTable {
  const { portal, tokens, limits, faults } = ctx;
  const { companies, contacts } = portal;
  const records = () => ({
    companies: companies.count(false),
    archivedCompanies: companies.count(true),
    contacts: contacts.count(false),
    archivedContacts: contacts.count(true),
    associations: [...portal.associations.all()].length,
    owners: portal.owners.length,
    properties: companies.properties.size,
    contactProperties: contacts.properties.size,
  });
  return new RouteTable()
    .on('GET', '/__admin/health', () => ok({ ok: true, url: ctx.url(), portalId: SANDBOX_PORTAL_ID, records: records() }))
    .on('GET', '/__admin/credentials', () => {
      const { clientId, clientSecret, refreshToken } = tokens.status();
      return ok({ accessToken: SANDBOX_ACCESS_TOKEN, portalId: SANDBOX_PORTAL_ID, basePath: ctx.url(), oauth: { clientId, clientSecret, refreshToken } });
    })
    .on('POST', '/__admin/reset', (req) => {
      const { seed } = parse(Schemas.reset, req);
      ctx.reset(seed ?? 'none');
      ctx.log.clear();
      tokens.reset();
      limits.reset();
      faults.clear();
      return ok({ ok: true });
    })
    .on('GET', '/__admin/oauth', () => ok(tokens.status()))
    .on('POST', '/__admin/oauth/expire', () => ok({ expired: tokens.expireAll() }))
    .on('POST', '/__admin/oauth', (req) => {
      tokens.configure(parse(Schemas.oauth, req).accessTokenTtlSeconds);
      return ok(tokens.status());
    })
    .on('GET', '/__admin/rate-limits', () => ok(limits.status()))
    .on('POST', '/__admin/rate-limits', (req) => {
      const spec = parse(Schemas.rateLimits, req);
      limits.configure(Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));
      return ok(limits.status());
    })
    .on('GET', '/__admin/faults', () => ok({ faults: faults.list() }))
    .on('POST', '/__admin/faults', (req) => ok(faults.add(parse(Schemas.fault, req))))
    .on('DELETE', '/__admin/faults', () => {
      faults.clear();
      return ok({ ok: true });
    })
    .on('DELETE', '/__admin/faults/{id}', (req) => {
      if (!faults.remove(req.params['id'] ?? '')) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `no fault ${req.params['id'] ?? ''}`);
      return ok({ ok: true });
    })
    .on('POST', '/__admin/seed', (req) => {
      const spec = parse(Schemas.seed, req);
      const store = portal.store(spec.objectType);
      const issues = store.checkProperties(spec.properties ?? {});
      if (issues.length) throw new AdminError('invalid properties', issues);
      if (store.type.uniqueKey && spec.properties?.[store.type.uniqueKey]) throw new AdminError(`${store.type.uniqueKey} is unique: it cannot be the same for every record`);
      const ids = seedRecords(store, portal, spec);
      return ok({ objectType: store.type.name, created: ids.length, firstId: ids[0], lastId: ids[ids.length - 1] });
    })
    .on('POST', '/__admin/properties', (req) => {
      const spec = parse(Schemas.property, req);
      const store = portal.store(spec.objectType);
      if (store.properties.get(spec.name)?.hubspotDefined) throw new AdminError(`${spec.name} is a HubSpot default property`);
      if (spec.type === 'enumeration' && !spec.options?.length) throw new AdminError('an enumeration needs options');
      return ok(store.renderProperty(store.defineProperty(spec)));
    })
    .on('POST', '/__admin/owners', (req) => {
      const spec = parse(Schemas.owner, req);
      if (portal.owners.some((o) => !o.archived && o.email.toLowerCase() === spec.email.toLowerCase())) throw new AdminError(`an active owner has the email ${spec.email}`);
      return ok(renderOwner(portal.addOwner(spec)));
    })
    .on('DELETE', '/__admin/owners/{id}', (req) => {
      const owner = portal.owners.find((o) => o.id === req.params['id'] && !o.archived);
      if (!owner) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `no active owner ${req.params['id'] ?? ''}`);
      return ok(renderOwner(portal.archiveOwner(owner)));
    })
    .on('GET', '/__admin/requests', (req) => {
      // `path` is a glob (`*/search`); `since` an ISO timestamp.
      return ok({ requests: ctx.log.list({ method: req.query.get('method') ?? undefined, path: req.query.get('path') ?? undefined, since: req.query.get('since') ?? undefined }) });
    })
    .on('DELETE', '/__admin/requests', () => {
      ctx.log.clear();
      return ok({ ok: true });
    });
}
