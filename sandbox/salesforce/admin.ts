/**
 * The admin API under `/__admin` (no auth, loopback only; not part of Salesforce's surface): health, reset,
 * seeding, custom schema, the request log, fault injection, API usage, sessions and the clock. Documented in
 * the README section "Salesforce sandbox". Errors answer `{error, issues?}` with 400.
 */
import { z } from 'zod';
import { describeObject } from './describe';
import { type FaultSpec } from './faults';
import { FORMULA_RETURN_TYPES, MAX_FORMULA_LENGTH } from './formula';
import { generateRecords } from './generate';
import { json, parseJsonBody, Router, type ApiResponse } from './http';
import { normalizeId } from './ids';
import { SalesforceError } from './model';
import { type SalesforceSandbox } from './sandbox';
import { CUSTOM_FIELD_TYPES } from './schema';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const trigger = { count: z.number().int().positive().optional(), rate: z.number().min(0).max(1).optional() };
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .optional();

const FieldSpec = z.object({
  name: z.string().min(1),
  type: z.enum(CUSTOM_FIELD_TYPES),
  label: z.string().optional(),
  length: z.number().int().positive().max(131072).optional(),
  precision: z.number().int().min(1).max(18).optional(),
  scale: z.number().int().min(0).max(17).optional(),
  values: z.array(z.string().min(1)).optional(),
  restricted: z.boolean().optional(),
  externalId: z.boolean().optional(),
  unique: z.boolean().optional(),
  caseSensitive: z.boolean().optional(),
  required: z.boolean().optional(),
  defaultValue: scalar.optional(),
  referenceTo: z.string().optional(),
  relationshipName: z.string().optional(),
  // Formula fields (type "formula"): checked and compiled by schema.ts, which names what is wrong.
  returnType: z.enum(FORMULA_RETURN_TYPES).optional(),
  formula: z.string().min(1).max(MAX_FORMULA_LENGTH).optional(),
  treatBlanksAs: z.enum(['blank', 'zero']).optional(),
});

const Schemas = {
  reset: z.object({ seed: z.enum(['demo', 'none']).optional() }),
  seed: z.union([
    z.object({ dataset: z.literal('demo') }),
    z.object({
      object: z.string().min(1),
      count: z.number().int().positive().max(5_000_000),
      fields: z.record(z.string(), z.unknown()).optional(),
      ownerIds: z.array(z.string()).optional(),
      whatIds: z.array(z.string()).optional(),
      whoIds: z.array(z.string()).optional(),
      startDate: z.string().optional(),
      endDate: z.string().optional(),
      externalIdField: z.string().optional(),
      externalIdPrefix: z.string().optional(),
      seed: z.number().int().optional(),
    }),
  ]),
  field: FieldSpec.extend({ object: z.string().min(1) }),
  object: z.object({
    name: z.string().min(1),
    label: z.string().optional(),
    labelPlural: z.string().optional(),
    nameFieldLabel: z.string().optional(),
    allowActivities: z.boolean().optional(),
    fields: z.array(FieldSpec).optional(),
  }),
  fault: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('http'), method, path: z.string().optional(), status: z.number().int().min(100).max(599), body: z.unknown().optional(), headers: z.record(z.string(), z.string()).optional(), ...trigger }),
    z.object({ kind: z.literal('latency'), method, path: z.string().optional(), latencyMs: z.number().int().min(0).max(600000), ...trigger }),
    z.object({ kind: z.literal('recordLock'), object: z.string().optional(), operations: z.array(z.enum(['create', 'update', 'upsert', 'delete'])).optional(), ...trigger }),
  ]),
  limits: z.object({ dailyApiLimit: z.number().int().positive().optional(), used: z.number().int().min(0).optional() }),
  clock: z.object({ now: z.string().optional(), advanceSeconds: z.number().optional(), frozen: z.boolean().optional() }),
};

function body<T>(schema: z.ZodType<T>, raw: Buffer): T {
  const parsed = raw.length === 0 ? {} : parseJsonBody(raw);
  return schema.parse(parsed);
}

function ids(list: string[] | undefined): string[] | undefined {
  return list?.map((raw) => {
    const id = normalizeId(raw);
    if (!id) throw new SalesforceError(400, 'MALFORMED_ID', `malformed id ${raw}`);
    return id;
  });
}

/** The object an admin call names: an unknown one is refused with its name (the REST API's own 404 names none). */
function knownObject(sandbox: SalesforceSandbox, name: string): string {
  const object = sandbox.store.schema.get(name);
  if (!object) throw new SalesforceError(404, 'NOT_FOUND', `no object ${name} in this org: name a standard object (Account, Task...) or add a custom one with POST /__admin/schema/objects`);
  return object.name;
}

export function buildAdminRouter(sandbox: SalesforceSandbox, onPersist: () => Promise<boolean>): Router {
  const router = new Router();
  const counts = () => Object.fromEntries(['User', 'Account', 'Contact', 'Task', 'Event'].map((o) => [o, sandbox.store.count(o)]));
  const clockJson = () => ({ now: sandbox.clock.now().toISOString(), offsetMs: sandbox.clock.offset, frozen: sandbox.clock.frozen });
  const limitsJson = () => ({ dailyApiLimit: sandbox.usage.max, used: sandbox.usage.used(), remaining: Math.max(0, sandbox.usage.max - sandbox.usage.used()) });

  router.add('GET', '/__admin/health', () =>
    json(200, {
      ok: true,
      service: 'salesforce-sandbox',
      url: sandbox.baseUrl,
      orgId: sandbox.org.orgId,
      uptimeSeconds: Math.round((Date.now() - sandbox.startedAt) / 1000),
      records: counts(),
      openCursors: sandbox.cursors.size,
      persisted: sandbox.options.dataDir ?? null,
      clock: clockJson(),
    }),
  );

  router.add('GET', '/__admin/credentials', () =>
    json(200, { ...sandbox.credentials, instanceUrl: sandbox.baseUrl, loginUrl: sandbox.baseUrl, orgId: sandbox.org.orgId, userId: sandbox.org.adminUserId }),
  );

  router.add('POST', '/__admin/reset', (req) => {
    const { seed } = body(Schemas.reset, req.body);
    sandbox.reset(seed ?? sandbox.options.seed);
    return json(200, { ok: true, records: counts() });
  });

  router.add('POST', '/__admin/seed', (req) => {
    const spec = body(Schemas.seed, req.body);
    if ('dataset' in spec) return json(200, { dataset: 'demo', ...sandbox.seedDemo() });
    knownObject(sandbox, spec.object);
    const result = generateRecords(
      sandbox.store,
      { ...spec, ownerIds: ids(spec.ownerIds), whatIds: ids(spec.whatIds), whoIds: ids(spec.whoIds) },
      sandbox.org.adminUserId,
    );
    return json(200, result);
  });

  router.add('POST', '/__admin/schema/fields', (req) => {
    const { object, ...spec } = body(Schemas.field, req.body);
    knownObject(sandbox, object);
    const field = sandbox.store.addCustomField(object, spec);
    const described = describeObject(sandbox.store, sandbox.store.schema.require(object), '62.0');
    const fields = described['fields'];
    return json(201, Array.isArray(fields) ? fields.find((f: { name?: string }) => f.name === field.name) : field);
  });

  router.add('POST', '/__admin/schema/objects', (req) => {
    const spec = body(Schemas.object, req.body);
    const object = sandbox.store.addCustomObject(spec);
    return json(201, { name: object.name, keyPrefix: object.keyPrefix, fields: object.fields.map((f) => f.name) });
  });

  router.add('GET', '/__admin/requests', (req) => {
    const requests = sandbox.log.list({ method: req.query.get('method') ?? undefined, path: req.query.get('path') ?? undefined, since: req.query.get('since') ?? undefined });
    return json(200, { count: requests.length, counted: requests.filter((r) => r.counted).length, requests });
  });
  router.add('DELETE', '/__admin/requests', () => {
    sandbox.log.clear();
    return json(200, { ok: true });
  });

  router.add('GET', '/__admin/faults', () => json(200, { faults: sandbox.faults.list() }));
  router.add('POST', '/__admin/faults', (req) => {
    const spec: FaultSpec = body(Schemas.fault, req.body);
    return json(201, sandbox.faults.add(spec));
  });
  router.add('DELETE', '/__admin/faults', () => {
    sandbox.faults.clear();
    return json(200, { ok: true });
  });
  router.add('DELETE', '/__admin/faults/:id', (req) => json(sandbox.faults.remove(req.params.id) ? 200 : 404, { ok: true }));

  router.add('POST', '/__admin/tokens/expire', () => json(200, { expired: sandbox.tokens.expireAll() }));

  router.add('GET', '/__admin/limits', () => json(200, limitsJson()));
  router.add('POST', '/__admin/limits', (req) => {
    const spec = body(Schemas.limits, req.body);
    if (spec.dailyApiLimit !== undefined) sandbox.usage.max = spec.dailyApiLimit;
    if (spec.used !== undefined) sandbox.usage.setUsed(spec.used);
    return json(200, limitsJson());
  });

  router.add('GET', '/__admin/clock', () => json(200, clockJson()));
  router.add('POST', '/__admin/clock', (req) => {
    const spec = body(Schemas.clock, req.body);
    if (spec.frozen !== undefined) sandbox.clock.freeze(spec.frozen);
    if (spec.now !== undefined) {
      const at = Date.parse(spec.now);
      if (Number.isNaN(at)) throw new SalesforceError(400, 'INVALID_INPUT', `now is not a date: ${spec.now}`);
      sandbox.clock.set(new Date(at));
    }
    if (spec.advanceSeconds !== undefined) sandbox.clock.advance(spec.advanceSeconds * 1000);
    return json(200, clockJson());
  });

  router.add('POST', '/__admin/persist', async (): Promise<ApiResponse> => {
    if (!sandbox.options.dataDir) return json(400, { error: 'the sandbox was started without a data directory' });
    await onPersist();
    return json(200, { ok: true, dataDir: sandbox.options.dataDir });
  });

  return router;
}

/** Admin errors: `{error}` (and zod's issues), never Salesforce's array shape. */
export function renderAdminError(err: unknown): ApiResponse | undefined {
  if (err instanceof z.ZodError) return json(400, { error: 'invalid request body', issues: err.issues });
  if (err instanceof SalesforceError) return json(err.status >= 400 && err.status < 500 ? err.status : 400, { error: err.message, errorCode: err.errorCode });
  return undefined;
}
