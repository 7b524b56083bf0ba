/**
 * The admin API under `/__admin` (no auth, loopback clients only; not part of HubSpot's surface): health,
 * reset, seeding, custom properties, the request log (the Salesforce sandbox's generic RequestLog), OAuth
 * token lifetime, rate limits and fault injection. JSON in and out; errors `{error, issues?}` with 400.
 */
import { z } from 'zod';
import { type RequestLog } from '../salesforce/request-log';
import { HubSpotError } from './errors';
import { type FaultInjector } from './faults';
import { jsonBody, ok, RouteTable, type HsRequest, type HsResponse } from './http';
import { type RateLimiter } from './limits';
import { type OAuthTokens } from './oauth';
import { SANDBOX_ACCESS_TOKEN, SANDBOX_PORTAL_ID, type Portal } from './portal';
import { seedCompanies } from './seed';

const Schemas = {
  reset: z.object({ seed: z.enum(['demo', 'none']).optional() }),
  seed: z.object({ count: z.number().int().positive().max(200_000), seed: z.number().int().optional(), properties: z.record(z.string(), z.string()).optional() }),
  property: z.object({
    objectType: z.literal('companies').default('companies'),
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
  rateLimits: z.object({ secondly: z.number().int().positive().optional(), intervalMs: z.number().int().positive().max(86_400_000).optional(), daily: z.number().int().nonnegative().optional() }),
  fault: z.object({
    method: z.string().regex(/^[A-Za-z]+$/).optional(),
    path: z.string().min(1).optional(),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    count: z.number().int().positive().default(1),
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
  return new RouteTable()
    .on('GET', '/__admin/health', () => ok({ ok: true, url: ctx.url(), portalId: SANDBOX_PORTAL_ID, records: { companies: portal.list(false).length, archivedCompanies: portal.list(true).length, owners: portal.owners.length, properties: portal.properties.size } }))
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
      const issues = portal.checkProperties(spec.properties ?? {});
      if (issues.length) throw new AdminError('invalid properties', issues);
      const ids = seedCompanies(portal, spec);
      return ok({ created: ids.length, firstId: ids[0], lastId: ids[ids.length - 1] });
    })
    .on('POST', '/__admin/properties', (req) => {
      const spec = parse(Schemas.property, req);
      if (portal.properties.get(spec.name)?.hubspotDefined) throw new AdminError(`${spec.name} is a HubSpot default property`);
      if (spec.type === 'enumeration' && !spec.options?.length) throw new AdminError('an enumeration needs options');
      return ok(portal.renderProperty(portal.defineProperty(spec)));
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
