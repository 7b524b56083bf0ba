/**
 * The admin API under `/__admin` (no auth, loopback clients only; not part of HubSpot's surface): health,
 * reset, seeding, custom properties, the request log (the Salesforce sandbox's generic RequestLog). JSON in and out; errors `{error, issues?}` with 400.
 */
import { z } from 'zod';
import { type RequestLog } from '../salesforce/request-log';
import { HubSpotError } from './errors';
import { jsonBody, ok, RouteTable, type HsRequest, type HsResponse } from './http';
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
  url: () => string;
  /** Empties the portal and seeds it as `startHubSpotSandbox({seed})` does. */
  reset: (seed: 'demo' | 'none') => void;
}

export function buildAdminRoutes(ctx: AdminContext): RouteTable {
  const { portal } = ctx;
  return new RouteTable()
    .on('GET', '/__admin/health', () => ok({ ok: true, url: ctx.url(), portalId: SANDBOX_PORTAL_ID, records: { companies: portal.list(false).length, archivedCompanies: portal.list(true).length, owners: portal.owners.length, properties: portal.properties.size } }))
    .on('GET', '/__admin/credentials', () => ok({ accessToken: SANDBOX_ACCESS_TOKEN, portalId: SANDBOX_PORTAL_ID, basePath: ctx.url() }))
    .on('POST', '/__admin/reset', (req) => {
      const { seed } = parse(Schemas.reset, req);
      ctx.reset(seed ?? 'none');
      ctx.log.clear();
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
