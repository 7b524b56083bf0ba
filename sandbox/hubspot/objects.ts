/**
 * CRM objects API for companies (`/crm/v3/objects/companies`): basic get/list/create/update/archive and the
 * batch endpoints, with the success codes @hubspot/api-client 13.x accepts (its generated BasicApi/BatchApi:
 * create 201, update 200, archive 204; batch create 201, batch read/update/upsert 200 or 207, batch archive 204).
 */
import { objectNotFound, validationError, type ErrorDetail } from './errors';
import { created, flag, jsonBody, noContent, ok, type HsRequest, type RouteTable } from './http';
import { propertyValues, type Company, type Portal } from './portal';

const BASE = '/crm/v3/objects/companies';
/** List pages: 10 by default, at most 100 (CRM objects API reference, `limit` of GET /crm/v3/objects/{type}); larger values are capped [infer]. */
const LIST_DEFAULT = 10;
const LIST_MAX = 100;
/** Batch endpoints take at most 100 inputs (HubSpot batch docs; client issue trackers). */
export const BATCH_MAX = 100;
/** Batch reads asking for property histories take at most 50 (error text quoted in activepieces/activepieces#9359). */
const HISTORY_BATCH_MAX = 50;

function requestedProperties(query: URLSearchParams): string[] | undefined {
  // Repeated keys (`properties=a&properties=b`, as the client sends them); comma lists are accepted too.
  const names = query.getAll('properties').flatMap((p) => p.split(',')).filter(Boolean);
  return names.length ? names : undefined;
}

function inputs(body: Record<string, unknown>): Record<string, unknown>[] {
  const list = body['inputs'];
  if (!Array.isArray(list)) throw validationError('Invalid input JSON: "inputs" must be an array');
  if (list.length > BATCH_MAX) throw validationError(`The maximum number of inputs supported in a batch request is ${BATCH_MAX}. Please reduce the number of items and try again`);
  return list.map((i) => (typeof i === 'object' && i !== null ? (i as Record<string, unknown>) : {}));
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** Duplicate IDs fail the whole batch [HubSpot's batch update/read behaviour as reported by users; infer wording]. */
function assertUnique(ids: string[]): void {
  const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (dupes.length) throw validationError(`Duplicate IDs found in batch input: [${dupes.join(', ')}]. IDs must be unique`);
}

/** The 207 body's entry for IDs that do not exist (HubSpot's batch read: OBJECT_NOT_FOUND with `context.ids`). */
function notFoundError(ids: string[], verb: string): Record<string, unknown> {
  return { status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not ${verb} some COMPANY objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids }, errors: [] as ErrorDetail[], links: {} };
}

function batchResponse(startedAt: string, results: Record<string, unknown>[], errors: Record<string, unknown>[], okStatus: number) {
  const body = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString(), ...(errors.length ? { numErrors: errors.length, errors } : {}) };
  return { status: errors.length ? 207 : okStatus, body };
}

export function addObjectRoutes(routes: RouteTable, portal: Portal): void {
  const byId = (req: HsRequest, archived = false): Company => {
    const id = req.params['companyId'] ?? '';
    // idProperty (a unique property instead of the record ID) is not emulated in this increment.
    if (req.query.get('idProperty') && req.query.get('idProperty') !== 'hs_object_id') throw validationError('idProperty is not supported by the sandbox');
    const company = portal.find(id, archived);
    if (!company) throw objectNotFound();
    return company;
  };

  routes
    .on('GET', BASE, (req) => {
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? LIST_DEFAULT) || LIST_DEFAULT, 1), LIST_MAX);
      const all = portal.list(flag(req.query, 'archived'));
      // `after` is the ID of the first record of the next page (opaque to callers).
      const after = req.query.get('after');
      const start = after ? all.findIndex((c) => Number(c.id) >= Number(after)) : 0;
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const next = start < 0 ? undefined : all[start + limit];
      const props = requestedProperties(req.query);
      return ok({
        results: page.map((c) => portal.render(c, props)),
        ...(next ? { paging: { next: { after: next.id, link: `${BASE}?after=${next.id}&limit=${limit}` } } } : {}),
      });
    })
    .on('POST', BASE, (req) => {
      const values = propertyValues(jsonBody(req)['properties']);
      portal.assertWritable(values);
      return created(portal.render(portal.create(values), Object.keys(values)));
    })
    .on('GET', `${BASE}/{companyId}`, (req) => ok(portal.render(byId(req, flag(req.query, 'archived')), requestedProperties(req.query))))
    .on('PATCH', `${BASE}/{companyId}`, (req) => {
      const company = byId(req);
      const values = propertyValues(jsonBody(req)['properties']);
      portal.assertWritable(values);
      return ok(portal.render(portal.update(company, values), Object.keys(values)));
    })
    .on('DELETE', `${BASE}/{companyId}`, (req) => {
      // Archiving an unknown or already archived ID still answers 204 [infer: HubSpot archive is idempotent].
      const company = portal.find(req.params['companyId'] ?? '', false);
      if (company) portal.archive(company);
      return noContent();
    })
    .on('POST', `${BASE}/batch/read`, (req) => {
      const startedAt = new Date().toISOString();
      const body = jsonBody(req);
      const list = inputs(body);
      if ((stringList(body['propertiesWithHistory']) ?? []).length && list.length > HISTORY_BATCH_MAX) {
        throw validationError(`The maximum number of inputs supported in a batch request for property histories is ${HISTORY_BATCH_MAX}. Please reduce the number of items and try again`);
      }
      const ids = list.map((i) => String(i['id'] ?? ''));
      const archived = flag(req.query, 'archived');
      const props = stringList(body['properties']);
      // Batch read returns each found record once; repeated IDs are not an error for reads [infer].
      const found = [...new Set(ids)].map((id) => portal.find(id, archived)).filter((c): c is Company => c !== undefined);
      const missing = [...new Set(ids)].filter((id) => !portal.find(id, archived));
      return batchResponse(startedAt, found.map((c) => portal.render(c, props)), missing.length ? [notFoundError(missing, 'get')] : [], 200);
    })
    .on('POST', `${BASE}/batch/create`, (req) => {
      const startedAt = new Date().toISOString();
      const list = inputs(jsonBody(req)).map((i) => propertyValues(i['properties']));
      // Invalid values fail the whole batch before anything is written.
      list.forEach((values) => portal.assertWritable(values));
      return batchResponse(startedAt, list.map((values) => portal.render(portal.create(values), Object.keys(values))), [], 201);
    })
    .on('POST', `${BASE}/batch/update`, (req) => {
      const startedAt = new Date().toISOString();
      const list = inputs(jsonBody(req)).map((i) => ({ id: String(i['id'] ?? ''), values: propertyValues(i['properties']) }));
      assertUnique(list.map((i) => i.id));
      list.forEach((i) => portal.assertWritable(i.values));
      const results: Record<string, unknown>[] = [];
      const missing: string[] = [];
      for (const input of list) {
        const company = portal.find(input.id, false);
        if (!company) missing.push(input.id);
        else results.push(portal.render(portal.update(company, input.values), Object.keys(input.values)));
      }
      // Unknown IDs: the others are updated, the answer is 207 with OBJECT_NOT_FOUND [infer, as batch read].
      return batchResponse(startedAt, results, missing.length ? [notFoundError(missing, 'update')] : [], 200);
    })
    .on('POST', `${BASE}/batch/archive`, (req) => {
      for (const input of inputs(jsonBody(req))) {
        const company = portal.find(String(input['id'] ?? ''), false);
        if (company) portal.archive(company);
      }
      return noContent();
    })
    .on('POST', `${BASE}/batch/upsert`, (req) => {
      // Upsert by a unique property (CRM objects guide, "Upsert records"; client BatchApi.upsert accepts 200 or
      // 207): an input whose `id` matches a live record's `idProperty` value updates it, any other creates a
      // record with `idProperty` set to `id`; each result carries `new` (client SimplePublicUpsertObject).
      const startedAt = new Date().toISOString();
      const list = inputs(jsonBody(req)).map((i) => ({ id: String(i['id'] ?? ''), idProperty: String(i['idProperty'] ?? ''), values: propertyValues(i['properties']) }));
      for (const input of list) {
        const def = portal.properties.get(input.idProperty);
        // [infer] wording; HubSpot rejects an idProperty that is not a unique identifier property.
        if (!def || !def.hasUniqueValue) throw validationError(`Invalid idProperty: ${input.idProperty || '(missing)'} is not a unique identifier property of COMPANY objects`);
        if (!input.id) throw validationError('Invalid input: every upsert input needs an id');
      }
      // Repeated id values fail the whole batch, as in batch update [infer].
      assertUnique(list.map((i) => `${i.idProperty}=${i.id}`));
      // Invalid values fail the whole batch before anything is written; the id value itself is checked too.
      list.forEach((i) => portal.assertWritable({ ...i.values, [i.idProperty]: i.id }));
      const results = list.map((input) => {
        const values = { ...input.values, [input.idProperty]: input.id };
        const existing = portal.list(false).find((c) => c.values.get(input.idProperty) === input.id);
        const company = existing ? portal.update(existing, values) : portal.create(values);
        return { ...portal.render(company, Object.keys(values)), new: !existing };
      });
      return batchResponse(startedAt, results, [], 200);
    });
}
