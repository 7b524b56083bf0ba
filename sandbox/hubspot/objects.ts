/**
 * CRM objects API (`/crm/v3/objects/{objectType}`, companies and contacts alike): basic get/list/create/
 * update/archive and the batch endpoints, with the success codes @hubspot/api-client 13.x accepts (its
 * generated BasicApi/BatchApi: create 201, update 200, archive 204; batch create 201, batch read/update/upsert
 * 200 or 207, batch archive 204), and the inline `associations` of get and list.
 */
import { associationsOnCreate } from './associations';
import { objectNotFound, validationError, type ErrorDetail } from './errors';
import { created, flag, jsonBody, noContent, okResults, okText, type HsRequest, type RouteTable } from './http';
import { ReadAhead, type ListPage } from './read-ahead';
import { propertyValues, type CrmRecord, type ObjectStore, type Portal, type Renderer } from './portal';
import { knownObjectType, type ObjectTypeSpec } from './types';

const BASE = '/crm/v3/objects/{objectType}';
/** List pages: 10 by default, at most 100 (CRM objects API reference, `limit` of GET /crm/v3/objects/{type}); larger values are capped [infer]. */
const LIST_DEFAULT = 10;
const LIST_MAX = 100;
/** Batch endpoints take at most 100 inputs (HubSpot batch docs; client issue trackers). */
export const BATCH_MAX = 100;
/** Batch reads asking for property histories take at most 50 (error text quoted in activepieces/activepieces#9359). */
const HISTORY_BATCH_MAX = 50;

/** Repeated keys (`properties=a&properties=b`, as the client sends them); comma lists are accepted too. */
function queryList(query: URLSearchParams, name: string): string[] | undefined {
  const names = query.getAll(name).flatMap((p) => p.split(',')).filter(Boolean);
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
function notFoundError(type: ObjectTypeSpec, ids: string[], verb: string): Record<string, unknown> {
  return { status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not ${verb} some ${type.upper} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids }, errors: [] as ErrorDetail[], links: {} };
}

function batchResponse(startedAt: string, results: Record<string, unknown>[], errors: Record<string, unknown>[], okStatus: number) {
  const body = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString(), ...(errors.length ? { numErrors: errors.length, errors } : {}) };
  return { status: errors.length ? 207 : okStatus, body };
}

/** `idProperty` (a unique property instead of the record ID): hs_object_id, the type's key or a hasUniqueValue property. */
function idProperty(store: ObjectStore, value: string | null | undefined): string {
  const name = value || 'hs_object_id';
  // [infer] wording; HubSpot rejects an idProperty that is not a unique identifier property.
  if (name !== 'hs_object_id' && !store.isIdProperty(name)) throw validationError(`Invalid idProperty: ${name} is not a unique identifier property of ${store.type.upper} objects`);
  return name;
}

export function addObjectRoutes(routes: RouteTable, portal: Portal): void {
  const byId = (req: HsRequest, store: ObjectStore, archived = false): CrmRecord => {
    const id = req.params['objectId'] ?? '';
    const by = idProperty(store, req.query.get('idProperty'));
    const record = by === 'hs_object_id' ? store.find(id, archived) : archived ? undefined : store.findBy(by, id);
    if (!record) throw objectNotFound();
    return record;
  };
  /** The record renderer of a read, with the inline `associations` it asks for (types the sandbox has; others are ignored). */
  const readRenderer = (req: HsRequest, store: ObjectStore): Renderer => {
    const render = store.renderer(queryList(req.query, 'properties'));
    const toTypes = (queryList(req.query, 'associations') ?? []).flatMap((a) => knownObjectType(a) ?? []);
    if (!toTypes.length) return render;
    return (record) => {
      const associations = portal.associations.inline(store.type, record.id, toTypes);
      return associations ? `${render(record).slice(0, -1)},"associations":${JSON.stringify(associations)}}` : render(record);
    };
  };
  const writeValues = (store: ObjectStore, input: Record<string, unknown>, claimed?: Set<string>) => {
    const values = propertyValues(input['properties']);
    store.assertWritable(values, undefined, claimed);
    return { values, associate: associationsOnCreate(portal, store.type, input['associations']) };
  };
  const createOne = (store: ObjectStore, plan: ReturnType<typeof writeValues>) => {
    const record = store.create(plan.values);
    plan.associate?.(record.id);
    return store.render(record, Object.keys(plan.values));
  };

  const readAhead = new ReadAhead(() => portal.changes.version);

  routes
    .on('GET', BASE, (req) => {
      const store = portal.store(req.params['objectType']);
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? LIST_DEFAULT) || LIST_DEFAULT, 1), LIST_MAX);
      const archived = flag(req.query, 'archived');
      // `after` is the ID of the first record of the next page (opaque to callers).
      const listPage = (after: string | undefined): ListPage => {
        const { records, next } = store.page(archived, after, limit);
        const paging = next ? { paging: { next: { after: next.id, link: `/crm/v3/objects/${store.type.name}?after=${next.id}&limit=${limit}` } } } : {};
        return { response: okResults(records.map(readRenderer(req, store)), { after: paging }), next: next?.id };
      };
      const key = (after: string | undefined) => JSON.stringify([store.type.name, archived, after ?? '', limit, req.query.getAll('properties'), req.query.getAll('associations')]);
      const after = req.query.get('after') ?? undefined;
      const page = readAhead.take(key(after)) ?? listPage(after);
      const { next } = page;
      if (next !== undefined) readAhead.prepare(key(next), () => listPage(next));
      return page.response;
    })
    .on('POST', BASE, (req) => {
      const store = portal.store(req.params['objectType']);
      return created(createOne(store, writeValues(store, jsonBody(req))));
    })
    .on('GET', `${BASE}/{objectId}`, (req) => {
      const store = portal.store(req.params['objectType']);
      return okText(readRenderer(req, store)(byId(req, store, flag(req.query, 'archived'))));
    })
    .on('PATCH', `${BASE}/{objectId}`, (req) => {
      const store = portal.store(req.params['objectType']);
      const record = byId(req, store);
      const values = propertyValues(jsonBody(req)['properties']);
      store.assertWritable(values, record);
      return okText(store.renderer(Object.keys(values))(store.update(record, values)));
    })
    .on('DELETE', `${BASE}/{objectId}`, (req) => {
      const store = portal.store(req.params['objectType']);
      // Archiving an unknown or already archived ID still answers 204 [infer: HubSpot archive is idempotent].
      const record = store.find(req.params['objectId'] ?? '', false);
      if (record) store.archive(record);
      return noContent();
    })
    .on('POST', `${BASE}/batch/read`, (req) => {
      const store = portal.store(req.params['objectType']);
      const startedAt = new Date().toISOString();
      const body = jsonBody(req);
      const list = inputs(body);
      if ((stringList(body['propertiesWithHistory']) ?? []).length && list.length > HISTORY_BATCH_MAX) {
        throw validationError(`The maximum number of inputs supported in a batch request for property histories is ${HISTORY_BATCH_MAX}. Please reduce the number of items and try again`);
      }
      const by = idProperty(store, typeof body['idProperty'] === 'string' ? body['idProperty'] : undefined);
      const archived = flag(req.query, 'archived');
      const find = (id: string) => (by === 'hs_object_id' ? store.find(id, archived) : archived ? undefined : store.findBy(by, id));
      // Batch read returns each found record once; repeated IDs are not an error for reads [infer].
      const ids = [...new Set(list.map((i) => String(i['id'] ?? '')))];
      const found = ids.map(find).filter((c): c is CrmRecord => c !== undefined);
      const missing = ids.filter((id) => !find(id));
      const props = stringList(body['properties']);
      return batchResponse(startedAt, [...new Set(found)].map((r) => store.render(r, props)), missing.length ? [notFoundError(store.type, missing, 'get')] : [], 200);
    })
    .on('POST', `${BASE}/batch/create`, (req) => {
      const store = portal.store(req.params['objectType']);
      const startedAt = new Date().toISOString();
      // Invalid values (and a unique key twice, HubSpot's 409 CONFLICT, contract §2.3) fail the whole batch before anything is written.
      const claimed = new Set<string>();
      const plans = inputs(jsonBody(req)).map((i) => writeValues(store, i, claimed));
      return batchResponse(startedAt, plans.map((plan) => createOne(store, plan)), [], 201);
    })
    .on('POST', `${BASE}/batch/update`, (req) => {
      const store = portal.store(req.params['objectType']);
      const startedAt = new Date().toISOString();
      const body = jsonBody(req);
      const list = inputs(body).map((i) => ({ id: String(i['id'] ?? ''), by: idProperty(store, typeof i['idProperty'] === 'string' ? i['idProperty'] : undefined), values: propertyValues(i['properties']) }));
      assertUnique(list.map((i) => i.id));
      const claimed = new Set<string>();
      const targets = list.map((input) => ({ ...input, record: input.by === 'hs_object_id' ? store.find(input.id, false) : store.findBy(input.by, input.id) }));
      targets.forEach((t) => store.assertWritable(t.values, t.record, claimed));
      const results: Record<string, unknown>[] = [];
      const missing: string[] = [];
      for (const { id, record, values } of targets) {
        if (!record) missing.push(id);
        else results.push(store.render(store.update(record, values), Object.keys(values)));
      }
      // Unknown IDs: the others are updated, the answer is 207 with OBJECT_NOT_FOUND [infer, as batch read].
      return batchResponse(startedAt, results, missing.length ? [notFoundError(store.type, missing, 'update')] : [], 200);
    })
    .on('POST', `${BASE}/batch/archive`, (req) => {
      const store = portal.store(req.params['objectType']);
      for (const input of inputs(jsonBody(req))) {
        const record = store.find(String(input['id'] ?? ''), false);
        if (record) store.archive(record);
      }
      return noContent();
    })
    .on('POST', `${BASE}/batch/upsert`, (req) => {
      // Upsert by a unique property (CRM objects guide, "Upsert records"; client BatchApi.upsert accepts 200 or
      // 207): an input whose `id` matches a live record's `idProperty` value updates it, any other creates a
      // record with `idProperty` set to `id`; each result carries `new` (client SimplePublicUpsertObject).
      // Contacts may use `email` (the guide: "for contacts, you can use email as the idProperty").
      const store = portal.store(req.params['objectType']);
      const startedAt = new Date().toISOString();
      const list = inputs(jsonBody(req)).map((i) => ({ id: String(i['id'] ?? ''), idProperty: String(i['idProperty'] ?? ''), values: propertyValues(i['properties']) }));
      for (const input of list) {
        if (!store.isIdProperty(input.idProperty)) throw validationError(`Invalid idProperty: ${input.idProperty || '(missing)'} is not a unique identifier property of ${store.type.upper} objects`);
        if (!input.id) throw validationError('Invalid input: every upsert input needs an id');
      }
      // Repeated id values fail the whole batch, as in batch update [infer].
      assertUnique(list.map((i) => `${i.idProperty}=${i.id.toLowerCase()}`));
      const targets = list.map((input) => ({ values: { ...input.values, [input.idProperty]: input.id }, existing: store.findBy(input.idProperty, input.id) }));
      // Invalid values fail the whole batch before anything is written; the id value itself is checked too.
      const claimed = new Set<string>();
      targets.forEach((t) => store.assertWritable(t.values, t.existing, claimed));
      const results = targets.map(({ values, existing }) => {
        const record = existing ? store.update(existing, values) : store.create(values);
        return { ...store.render(record, Object.keys(values)), new: !existing };
      });
      return batchResponse(startedAt, results, [], 200);
    });
}
