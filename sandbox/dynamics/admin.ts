/**
 * The admin API under `/__admin` (no auth, loopback clients only; not part of Dataverse's surface): health,
 * reset, the clock, token lifetime, service protection limits, change tracking settings, fault injection, the
 * request log, rows of any table written "in the CRM" (bypassing the Web API, at a given time), bulk account
 * generation and persistence. JSON in and out; errors `{error, issues?}` with 400/404.
 */
import { z } from 'zod';
import type { EntraTokens } from './auth';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_TENANT_ID } from './auth';
import type { FaultInjector } from './faults';
import type { DvResponse } from './http';
import type { ServiceProtection } from './limits';
import { dvDateTime, newGuid, type LookupValue, type Row, type Scalar } from './org';
import type { ApiContext } from './query';
import { renderRow } from './render';
import type { RequestLog } from './request-log';
import { isLookup, tableByAnyName, type TableDef } from './schema';
import { generateAccounts } from './seed';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Schemas = {
  reset: z.object({ seed: z.enum(['demo', 'none']).optional() }),
  clock: z.object({ now: z.string().optional(), advanceSeconds: z.number().optional(), frozen: z.boolean().optional() }),
  tokens: z.object({ accessTokenTtlSeconds: z.number().int().positive().max(86_400 * 365) }),
  limits: z.object({ maxRequests: z.number().int().positive().optional(), maxExecutionMs: z.number().positive().optional(), windowMs: z.number().int().positive().optional(), maxConcurrent: z.number().int().positive().optional() }),
  changeTracking: z.object({ table: z.string().optional(), enabled: z.boolean().optional(), retentionDays: z.number().positive().optional() }),
  fault: z.object({
    method: z.string().regex(/^[A-Za-z]+$/).optional(),
    path: z.string().min(1).optional(),
    status: z.number().int().min(100).max(599).optional(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    latencyMs: z.number().int().nonnegative().max(600_000).optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    count: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
  }),
  insert: z.object({ id: z.string().uuid().optional(), values: z.record(z.string(), scalar).default({}), at: z.string().optional() }),
  update: z.object({ values: z.record(z.string(), scalar).default({}), at: z.string().optional() }),
  generate: z.object({ table: z.string().default('account'), count: z.number().int().positive().max(200_000), seed: z.number().int().optional(), values: z.record(z.string(), scalar).optional() }),
};

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: unknown,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: string): T {
  let value: unknown = {};
  if (body.trim() !== '') {
    try {
      value = JSON.parse(body);
    } catch {
      throw new AdminError(400, 'invalid JSON');
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new AdminError(400, 'invalid request body', result.error.issues);
  return result.data;
}

export interface AdminContext {
  api: ApiContext;
  log: RequestLog;
  tokens: EntraTokens;
  limits: ServiceProtection;
  faults: FaultInjector;
  url: () => string;
  reset: (seed: 'demo' | 'none') => void;
  persist: () => Promise<void>;
  retention: { days: number };
}

const json = (body: unknown, status = 200): DvResponse => ({ status, body, headers: { 'Content-Type': 'application/json; charset=utf-8' } });

/** Admin values in Web API property names (`name`, `_ownerid_value`) → columns and lookups. */
function toColumns(ctx: AdminContext, table: TableDef, values: Record<string, Scalar>): { values: Record<string, Scalar>; lookups: Record<string, LookupValue | null> } {
  const out: { values: Record<string, Scalar>; lookups: Record<string, LookupValue | null> } = { values: {}, lookups: {} };
  for (const [key, value] of Object.entries(values)) {
    const lookup = /^_(.+)_value$/.exec(key);
    const column = table.byName.get(lookup ? (lookup[1] ?? '') : key);
    if (!column || column.webApi === false || isLookup(column) !== Boolean(lookup)) throw new AdminError(400, `${table.logicalName} has no property ${key}`);
    if (lookup) {
      if (value === null) {
        out.lookups[column.name] = null;
        continue;
      }
      const id = String(value).toLowerCase();
      const target = (column.targets ?? []).find((t) => ctx.api.org.tables.get(t)?.rows.has(id));
      if (!target) throw new AdminError(400, `${key}: no ${(column.targets ?? []).join(' or ')} ${id}`);
      out.lookups[column.name] = { id, table: target };
      continue;
    }
    out.values[column.name] = column.type === 'DateTime' && typeof value === 'string' ? dvDateTime(value) : value;
  }
  return out;
}

export function buildAdminRoutes(ctx: AdminContext): (method: string, url: URL, body: string) => Promise<DvResponse> {
  const { api, tokens, limits, faults } = ctx;
  const org = api.org;
  const clockJson = () => ({ now: org.clock.now().toISOString(), offsetMs: org.clock.offset, frozen: org.clock.frozen });
  const tableOf = (name: string) => {
    const t = tableByAnyName(name);
    if (!t) throw new AdminError(404, `no table ${name} (account, contact or systemuser)`);
    return t;
  };
  const rowOf = (t: TableDef, id: string): Row => {
    const row = org.store(t.logicalName).rows.get(id.toLowerCase());
    if (!row) throw new AdminError(404, `no ${t.logicalName} ${id}`);
    return row;
  };
  const render = (t: TableDef, row: Row) => renderRow(org, { table: t, select: undefined, expand: [], annotate: () => false }, row);
  const counts = () => Object.fromEntries([...org.tables].map(([name, s]) => [name, s.rows.size]));

  const routes: { method: string; pattern: RegExp; run: (m: RegExpExecArray, url: URL, body: string) => DvResponse | Promise<DvResponse> }[] = [
    { method: 'GET', pattern: /^\/__admin\/health$/, run: () => json({ ok: true, url: ctx.url(), tenantId: SANDBOX_TENANT_ID, clientId: SANDBOX_CLIENT_ID, rows: counts(), version: org.version, clock: clockJson() }) },
    {
      method: 'GET',
      pattern: /^\/__admin\/credentials$/,
      run: () => json({ url: ctx.url(), tokenUrl: `${ctx.url()}/${SANDBOX_TENANT_ID}/oauth2/v2.0/token`, tenantId: SANDBOX_TENANT_ID, clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET, scope: `${ctx.url()}/.default`, applicationUserId: org.appUserId }),
    },
    {
      method: 'POST',
      pattern: /^\/__admin\/reset$/,
      run: (_m, _u, body) => {
        const { seed } = parse(Schemas.reset, body);
        ctx.reset(seed ?? 'none');
        ctx.log.clear();
        limits.reset();
        faults.clear();
        return json({ ok: true, rows: counts() });
      },
    },
    { method: 'GET', pattern: /^\/__admin\/clock$/, run: () => json(clockJson()) },
    {
      method: 'POST',
      pattern: /^\/__admin\/clock$/,
      run: (_m, _u, body) => {
        const spec = parse(Schemas.clock, body);
        if (spec.frozen !== undefined) org.clock.freeze(spec.frozen);
        if (spec.now !== undefined) {
          const at = Date.parse(spec.now);
          if (Number.isNaN(at)) throw new AdminError(400, `now: not a date: ${spec.now}`);
          org.clock.set(new Date(at));
        }
        if (spec.advanceSeconds !== undefined) org.clock.advance(spec.advanceSeconds * 1000);
        return json(clockJson());
      },
    },
    { method: 'GET', pattern: /^\/__admin\/tokens$/, run: () => json(tokens.status()) },
    {
      method: 'POST',
      pattern: /^\/__admin\/tokens$/,
      run: (_m, _u, body) => {
        tokens.configure(parse(Schemas.tokens, body).accessTokenTtlSeconds);
        return json(tokens.status());
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/__admin\/tokens$/,
      run: () => {
        tokens.revokeAll();
        return json(tokens.status());
      },
    },
    { method: 'GET', pattern: /^\/__admin\/limits$/, run: () => json(limits.status()) },
    {
      method: 'POST',
      pattern: /^\/__admin\/limits$/,
      run: (_m, _u, body) => {
        const spec = parse(Schemas.limits, body);
        limits.configure(Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));
        return json(limits.status());
      },
    },
    { method: 'GET', pattern: /^\/__admin\/change-tracking$/, run: () => json({ retentionDays: ctx.retention.days, tables: Object.fromEntries(org.changeTracking) }) },
    {
      method: 'POST',
      pattern: /^\/__admin\/change-tracking$/,
      run: (_m, _u, body) => {
        const spec = parse(Schemas.changeTracking, body);
        if (spec.retentionDays !== undefined) ctx.retention.days = spec.retentionDays;
        if (spec.table !== undefined) {
          if (spec.enabled === undefined) throw new AdminError(400, 'enabled: required with table');
          org.changeTracking.set(tableOf(spec.table).logicalName, spec.enabled);
        }
        return json({ retentionDays: ctx.retention.days, tables: Object.fromEntries(org.changeTracking) });
      },
    },
    { method: 'GET', pattern: /^\/__admin\/faults$/, run: () => json({ faults: faults.list() }) },
    { method: 'POST', pattern: /^\/__admin\/faults$/, run: (_m, _u, body) => json(faults.add(parse(Schemas.fault, body))) },
    {
      method: 'DELETE',
      pattern: /^\/__admin\/faults$/,
      run: () => {
        faults.clear();
        return json({ ok: true });
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/__admin\/faults\/([^/]+)$/,
      run: (m) => {
        if (!faults.remove(m[1] ?? '')) throw new AdminError(404, `no fault ${m[1] ?? ''}`);
        return json({ ok: true });
      },
    },
    { method: 'GET', pattern: /^\/__admin\/requests$/, run: (_m, url) => json({ requests: ctx.log.list({ method: url.searchParams.get('method') ?? undefined, path: url.searchParams.get('path') ?? undefined, since: url.searchParams.get('since') ?? undefined }) }) },
    {
      method: 'DELETE',
      pattern: /^\/__admin\/requests$/,
      run: () => {
        ctx.log.clear();
        return json({ ok: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/__admin\/rows\/([^/]+)$/,
      run: (m) => {
        const t = tableOf(m[1] ?? '');
        return json({ table: t.logicalName, rows: [...org.store(t.logicalName).rows.values()].map((r) => render(t, r)) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/__admin\/rows\/([^/]+)\/([^/]+)$/,
      run: (m) => {
        const t = tableOf(m[1] ?? '');
        return json(render(t, rowOf(t, m[2] ?? '')));
      },
    },
    {
      method: 'POST',
      pattern: /^\/__admin\/rows\/([^/]+)$/,
      run: (m, _u, body) => {
        const t = tableOf(m[1] ?? '');
        const spec = parse(Schemas.insert, body);
        const id = (spec.id ?? newGuid()).toLowerCase();
        if (org.store(t.logicalName).rows.has(id)) throw new AdminError(400, `${t.logicalName} ${id} exists`);
        const { values, lookups } = toColumns(ctx, t, spec.values);
        const set: Record<string, LookupValue> = {};
        for (const [k, v] of Object.entries(lookups)) if (v) set[k] = v;
        return json(render(t, org.insert(t.logicalName, id, values, set, spec.at ? { at: spec.at } : {})));
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/__admin\/rows\/([^/]+)\/([^/]+)$/,
      run: (m, _u, body) => {
        const t = tableOf(m[1] ?? '');
        const spec = parse(Schemas.update, body);
        const { values, lookups } = toColumns(ctx, t, spec.values);
        return json(render(t, org.update(t.logicalName, rowOf(t, m[2] ?? ''), values, lookups, spec.at ? { at: spec.at } : {})));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/__admin\/rows\/([^/]+)\/([^/]+)$/,
      run: (m, url) => {
        const t = tableOf(m[1] ?? '');
        const row = rowOf(t, m[2] ?? '');
        org.remove(t.logicalName, row, url.searchParams.get('at') ?? undefined);
        return json({ ok: true, id: row.id, version: org.version });
      },
    },
    {
      method: 'POST',
      pattern: /^\/__admin\/generate$/,
      run: (_m, _u, body) => {
        const spec = parse(Schemas.generate, body);
        if (tableOf(spec.table).logicalName !== 'account') throw new AdminError(400, 'generate makes accounts only');
        const started = performance.now();
        const ids = generateAccounts(org, { count: spec.count, seed: spec.seed, values: spec.values });
        return json({ table: 'account', created: ids.length, firstId: ids[0], lastId: ids[ids.length - 1], ms: Math.round(performance.now() - started) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/__admin\/persist$/,
      run: async () => {
        await ctx.persist();
        return json({ ok: true });
      },
    },
  ];

  return async (method, url, body) => {
    try {
      let pathMatched = false;
      for (const route of routes) {
        const m = route.pattern.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (route.method === method) return await route.run(m, url, body);
      }
      return json({ error: pathMatched ? `HTTP ${method} is not supported here` : `no admin route ${url.pathname}` }, pathMatched ? 405 : 404);
    } catch (err) {
      if (err instanceof AdminError) return json({ error: err.message, ...(err.issues ? { issues: err.issues } : {}) }, err.status);
      if (err instanceof Error && 'status' in err && typeof (err as { status: unknown }).status === 'number') return json({ error: err.message }, (err as unknown as { status: number }).status);
      throw err;
    }
  };
}
