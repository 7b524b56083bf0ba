/**
 * The record endpoints: sObject rows (create 201, retrieve, update 204, delete 204; the conditional request
 * headers and Account ETags of conditional.ts on retrieve and update), rows by external ID
 * (upsert 201/200/204/300, retrieve, delete) and sObject Collections (create, update, upsert, delete,
 * retrieve: 200 with per-record results in request order, `statusCode` errors, allOrNone, 200 records).
 */
import { etagHeaders, evaluatePreconditions, rejectInvalidConditionalHeaders, validatorsOf } from './conditional';
import { type FaultInjector } from './faults';
import { createRecord, deleteRecord, parseInput, updateRecord, type DmlContext } from './dml';
import { isPlainObject, json, noContent, notModified, parseJsonBody, type ApiRequest, type ApiResponse, type Router } from './http';
import { keyPrefixOf, normalizeId } from './ids';
import { SalesforceError, type FieldValue, type StoredRecord } from './model';
import { type FieldDef, type ObjectDef } from './schema';
import { type Store } from './store';
import { coerceInput, outputValue, RecordError } from './values';

/** sObject Collections: "The list can contain up to 200 objects." */
export const COLLECTION_LIMIT = 200;
/** sObject Collections retrieve: up to 2,000 IDs. */
const RETRIEVE_LIMIT = 2000;
const ROLLED_BACK = 'Record rolled back because not all records were valid and the request was using AllOrNone header';

interface CollectionError {
  statusCode: string;
  message: string;
  fields: string[];
}

interface SaveResult {
  id?: string;
  success: boolean;
  errors: CollectionError[];
  created?: boolean;
}

export interface SObjectDeps {
  store: Store;
  faults: FaultInjector;
}

function versionNumber(version: string): number {
  return Number.parseFloat(version);
}

function dmlContext(deps: SObjectDeps, req: ApiRequest<unknown>): DmlContext {
  return { store: deps.store, faults: deps.faults, userId: req.userId };
}

export function requireObject(store: Store, name: string): ObjectDef {
  const object = store.schema.get(name);
  if (!object) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
  return object;
}

function sobjectUrl(version: string, record: StoredRecord): string {
  return `/services/data/v${version}/sobjects/${record.type}/${record.id}`;
}

/** A record as the REST API returns it: `attributes` first, then the fields in describe order. */
export function recordJson(store: Store, record: StoredRecord, version: string, fields?: FieldDef[]): Record<string, unknown> {
  const object = store.schema.require(record.type);
  const out: Record<string, unknown> = { attributes: { type: object.name, url: sobjectUrl(version, record) } };
  for (const f of fields ?? object.fields) out[f.name] = outputValue(f, record.fields[f.name]);
  return out;
}

function parseFieldList(store: Store, object: ObjectDef, list: string | null | undefined): FieldDef[] | undefined {
  if (!list) return undefined;
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((name) => {
      const f = store.schema.field(object, name);
      if (!f) {
        throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
      }
      return f;
    });
}

/** A single-record write in its own transaction (a delete cascades; nothing half-applied survives an error). */
function atomic<T>(store: Store, body: () => T): T {
  store.begin();
  try {
    const result = body();
    store.commit();
    return result;
  } catch (err) {
    store.rollback();
    throw err;
  }
}

/**
 * The record at /sobjects/{type}/{id}. Salesforce reads a segment that is not an ID of this object as an
 * external ID field name, hence its 404 "Provided external ID field does not exist or is not accessible".
 */
function recordAt(store: Store, object: ObjectDef, rawId: string, forWrite: boolean): StoredRecord {
  const id = normalizeId(rawId);
  if (!id || keyPrefixOf(id) !== object.keyPrefix) {
    throw new SalesforceError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${rawId}`);
  }
  const record = store.getRecord(id);
  if (!record) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
  if (record.isDeleted) {
    if (forWrite) throw new RecordError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
    throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }
  return record;
}

function externalIdField(store: Store, object: ObjectDef, name: string): FieldDef {
  const f = store.schema.field(object, name);
  if (!f || !(f.externalId || f.idLookup)) throw new SalesforceError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${name}`);
  return f;
}

function matchesByExternalId(store: Store, object: ObjectDef, f: FieldDef, value: FieldValue): StoredRecord[] {
  if (f.name === 'Id') {
    const record = typeof value === 'string' ? store.getRecord(value) : undefined;
    return record && !record.isDeleted && record.type === object.name ? [record] : [];
  }
  return store.findByField(object, f, value);
}

/** 300 Multiple Choices: "a list of the records that matched". jsforce raises MULTIPLE_CHOICES. */
function multipleChoices(version: string, records: StoredRecord[]): ApiResponse {
  return json(300, records.map((r) => sobjectUrl(version, r)));
}

function recordBody(req: ApiRequest<unknown>): Record<string, unknown> {
  const body = parseJsonBody(req.body);
  if (!isPlainObject(body)) throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'Cannot deserialize instance of SObject from START_ARRAY value [ or request may be missing a required field');
  return body;
}

function toCollectionError(err: SalesforceError): CollectionError {
  return { statusCode: err.errorCode, message: err.message, fields: err.fields };
}

function failure(err: SalesforceError, id: string | undefined, upsert: boolean): SaveResult {
  const result: SaveResult = id ? { id, success: false, errors: [toCollectionError(err)] } : { success: false, errors: [toCollectionError(err)] };
  if (upsert) result.created = false;
  return result;
}

/**
 * Runs per-record work in one transaction. Without allOrNone each record stands alone (200 even when some
 * fail); with allOrNone any failure rolls everything back and the good records report
 * ALL_OR_NONE_OPERATION_ROLLED_BACK.
 */
function runCollection<I>(store: Store, items: I[], allOrNone: boolean, idOf: (item: I) => string | undefined, upsert: boolean, each: (item: I) => SaveResult): SaveResult[] {
  store.begin();
  let results: SaveResult[];
  try {
    results = items.map((item) => {
      try {
        return each(item);
      } catch (err) {
        if (err instanceof SalesforceError) return failure(err, idOf(item), upsert);
        throw err;
      }
    });
  } catch (err) {
    store.rollback();
    throw err;
  }
  if (allOrNone && results.some((r) => !r.success)) {
    store.rollback();
    const rolledBack = new RecordError(400, 'ALL_OR_NONE_OPERATION_ROLLED_BACK', ROLLED_BACK, []);
    // Rolled-back creates have no ID to report; updates and deletes keep theirs.
    return results.map((r, i) => {
      if (!r.success) return r;
      const item = items[i];
      const id = upsert ? (r.created === false ? r.id : undefined) : item === undefined ? undefined : idOf(item);
      return failure(rolledBack, id, upsert);
    });
  }
  store.commit();
  return results;
}

function exceeded(): SalesforceError {
  return new SalesforceError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`);
}

function collectionBody(req: ApiRequest<unknown>): { allOrNone: boolean; records: Record<string, unknown>[] } {
  const body = parseJsonBody(req.body);
  if (!isPlainObject(body) || !Array.isArray(body['records'])) {
    throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'The request body must be an object with a records array');
  }
  const records = body['records'];
  if (records.length > COLLECTION_LIMIT) throw exceeded();
  if (!records.every(isPlainObject)) throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'Each element of records must be an sObject');
  return { allOrNone: body['allOrNone'] === true, records };
}

function typeOfCollectionRecord(store: Store, record: Record<string, unknown>): ObjectDef {
  const attributes = record['attributes'];
  const type = isPlainObject(attributes) ? attributes['type'] : undefined;
  if (typeof type !== 'string') throw new SalesforceError(400, 'INVALID_TYPE', 'Each record in records must have attributes with its sObject type');
  const object = store.schema.get(type);
  if (!object) throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
  return object;
}

export function registerSObjectRoutes(router: Router, deps: SObjectDeps): void {
  const { store } = deps;
  const base = '/services/data/:version' as const;

  router.add('POST', `${base}/sobjects/:type`, (req) => {
    const object = requireObject(store, req.params.type);
    // A malformed conditional header on a POST is a 400 (conditional.ts); a create has no current
    // version to hold a well-formed one against.
    rejectInvalidConditionalHeaders(req.headers, object);
    const parsed = parseInput(store, object, recordBody(req));
    const record = atomic(store, () => createRecord(dmlContext(deps, req), parsed));
    return json(201, { id: record.id, success: true, errors: [] });
  });

  // GET and HEAD: an Account answers with its ETag; If-Match/If-None-Match/If-Modified-Since/
  // If-Unmodified-Since may turn the answer into 304 or 412 (conditional.ts). Preconditions are weighed only
  // once the request is otherwise good (a bad field list stays a 400), as RFC 7232 section 5 has it.
  router.add('GET', `${base}/sobjects/:type/:id`, (req) => {
    const object = requireObject(store, req.params.type);
    const record = recordAt(store, object, req.params.id, false);
    const fields = parseFieldList(store, object, req.query.get('fields'));
    const current = validatorsOf(object, record);
    const headers = current.etag === undefined ? undefined : { ETag: current.etag };
    if (evaluatePreconditions(req.method, req.headers, current) === 'not-modified') return notModified(headers);
    return json(200, recordJson(store, record, req.apiVersion, fields), headers);
  });

  // PATCH: malformed conditional headers are a 400 before anything else; a failed precondition is a 412 and
  // nothing is written. The check and the write run in one synchronous step, so no other request can slip in
  // between them (a latency fault delays the request before this handler runs, not inside it). An Account
  // answers with the ETag of its new version.
  router.add('PATCH', `${base}/sobjects/:type/:id`, (req) => {
    const object = requireObject(store, req.params.type);
    rejectInvalidConditionalHeaders(req.headers, object);
    const record = recordAt(store, object, req.params.id, true);
    const parsed = parseInput(store, object, recordBody(req));
    evaluatePreconditions(req.method, req.headers, validatorsOf(object, record));
    const updated = atomic(store, () => updateRecord(dmlContext(deps, req), record, parsed));
    return noContent(etagHeaders(object, updated));
  });

  // DELETE ignores the conditional headers: Salesforce's guide says DELETE isn't supported with them
  // (see conditional.ts).
  router.add('DELETE', `${base}/sobjects/:type/:id`, (req) => {
    const object = requireObject(store, req.params.type);
    const record = recordAt(store, object, req.params.id, true);
    atomic(store, () => deleteRecord(dmlContext(deps, req), record));
    return noContent();
  });

  // "In API version 37.0 and later, you can ... create a record by POSTing to /sobjects/SObjectName/Id."
  router.add('POST', `${base}/sobjects/:type/:field`, (req) => {
    const object = requireObject(store, req.params.type);
    if (req.params.field.toLowerCase() !== 'id') throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    rejectInvalidConditionalHeaders(req.headers, object);
    const parsed = parseInput(store, object, recordBody(req));
    const record = atomic(store, () => createRecord(dmlContext(deps, req), parsed, 'upsert'));
    return json(201, { id: record.id, success: true, errors: [], created: true });
  });

  /** The record a `:type/:field/:value` path names: 300 with the matches when several do, 404 when none. */
  const byExternalId = (req: ApiRequest<{ type: string; field: string; value: string }>) => {
    const object = requireObject(store, req.params.type);
    const f = externalIdField(store, object, req.params.field);
    const matches = matchesByExternalId(store, object, f, coerceInput(f, req.params.value));
    if (matches.length > 1) return { response: multipleChoices(req.apiVersion, matches) };
    const record = matches[0];
    if (!record) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return { object, record };
  };

  router.add('GET', `${base}/sobjects/:type/:field/:value`, (req) => {
    const found = byExternalId(req);
    if ('response' in found) return found.response;
    return json(200, recordJson(store, found.record, req.apiVersion, parseFieldList(store, found.object, req.query.get('fields'))));
  });

  router.add('DELETE', `${base}/sobjects/:type/:field/:value`, (req) => {
    const found = byExternalId(req);
    if ('response' in found) return found.response;
    atomic(store, () => deleteRecord(dmlContext(deps, req), found.record));
    return noContent();
  });

  router.add('PATCH', `${base}/sobjects/:type/:field/:value`, (req) => {
    const object = requireObject(store, req.params.type);
    const f = externalIdField(store, object, req.params.field);
    const value = coerceInput(f, req.params.value);
    const parsed = parseInput(store, object, recordBody(req));
    const inBody = parsed.values.get(f.name);
    if (inBody && String(inBody.value).toLowerCase() !== String(value).toLowerCase()) {
      throw new SalesforceError(400, 'INVALID_FIELD', `The ${f.name} value in the request body does not match the value in the URL`);
    }
    const matches = matchesByExternalId(store, object, f, value);
    if (matches.length > 1) return multipleChoices(req.apiVersion, matches);
    const ctx = dmlContext(deps, req);
    const existing = matches[0];
    const withCreated = versionNumber(req.apiVersion) >= 46;
    if (!existing) {
      if (f.name === 'Id') throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
      parsed.values.set(f.name, { field: f, value });
      const record = atomic(store, () => createRecord(ctx, parsed, 'upsert'));
      // "The created parameter is present in the response in API version 46.0 and later."
      return json(201, withCreated ? { id: record.id, success: true, errors: [], created: true } : { id: record.id, success: true, errors: [] });
    }
    parsed.values.delete(f.name);
    atomic(store, () => updateRecord(ctx, existing, parsed, 'upsert'));
    // 46.0 and later answer an update with 200 and created:false; earlier versions with 204.
    return withCreated ? json(200, { id: existing.id, success: true, errors: [], created: false }) : noContent();
  });

  router.add('POST', `${base}/composite/sobjects`, (req) => {
    const { allOrNone, records } = collectionBody(req);
    const parsed = records.map((r) => parseInput(store, typeOfCollectionRecord(store, r), r));
    const ctx = dmlContext(deps, req);
    return json(200, runCollection(store, parsed, allOrNone, () => undefined, false, (p) => ({ id: createRecord(ctx, p).id, success: true, errors: [] })));
  });

  router.add('PATCH', `${base}/composite/sobjects`, (req) => {
    const { allOrNone, records } = collectionBody(req);
    const parsed = records.map((r) => parseInput(store, typeOfCollectionRecord(store, r), r));
    const ctx = dmlContext(deps, req);
    const idOf = (p: (typeof parsed)[number]) => (p.id ? (normalizeId(p.id) ?? p.id) : undefined);
    return json(
      200,
      runCollection(store, parsed, allOrNone, idOf, false, (p) => {
        if (!p.id) throw new RecordError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', []);
        const existing = collectionRecord(store, p.object, p.id);
        updateRecord(ctx, existing, { ...p, id: undefined });
        return { id: existing.id, success: true, errors: [] };
      }),
    );
  });

  router.add('DELETE', `${base}/composite/sobjects`, (req) => {
    const ids = (req.query.get('ids') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) throw new SalesforceError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
    if (ids.length > COLLECTION_LIMIT) throw exceeded();
    const allOrNone = req.query.get('allOrNone') === 'true';
    const ctx = dmlContext(deps, req);
    return json(
      200,
      runCollection(store, ids, allOrNone, (raw) => normalizeId(raw) ?? raw, false, (raw) => {
        const id = normalizeId(raw);
        const object = id ? store.schema.byKeyPrefix(keyPrefixOf(id)) : undefined;
        if (!id || !object) throw new RecordError(400, 'MALFORMED_ID', `malformed id ${raw}`, []);
        deleteRecord(ctx, collectionRecord(store, object, id));
        return { id, success: true, errors: [] };
      }),
    );
  });

  router.add('PATCH', `${base}/composite/sobjects/:type/:field`, (req) => {
    const object = requireObject(store, req.params.type);
    const f = externalIdField(store, object, req.params.field);
    const { allOrNone, records } = collectionBody(req);
    const parsed = records.map((r) => {
      const type = typeOfCollectionRecord(store, r);
      if (type.name !== object.name) throw new SalesforceError(400, 'INVALID_TYPE', `The list can contain objects only of type ${object.name}`);
      return parseInput(store, object, r);
    });
    const key = (p: (typeof parsed)[number]) => {
      const v = f.name === 'Id' ? (p.id ?? null) : (p.values.get(f.name)?.value ?? null);
      return v === null ? null : f.caseSensitive ? String(v) : String(v).toLowerCase();
    };
    const seen = new Map<string, number>();
    for (const p of parsed) {
      const k = key(p);
      if (k !== null) seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    const ctx = dmlContext(deps, req);
    const withCreated = versionNumber(req.apiVersion) >= 46;
    const results = runCollection(store, parsed, allOrNone, () => undefined, withCreated, (p) => {
      const k = key(p);
      const value = f.name === 'Id' ? (p.id ?? null) : (p.values.get(f.name)?.value ?? null);
      if (k === null || value === null) {
        if (f.name !== 'Id') throw new RecordError(400, 'MISSING_ARGUMENT', `${f.name} not specified`, []);
        return { id: createRecord(ctx, { ...p, id: undefined }, 'upsert').id, success: true, errors: [], created: true };
      }
      if ((seen.get(k) ?? 0) > 1) throw new RecordError(400, 'DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(value)}`, [f.name]);
      const matches = matchesByExternalId(store, object, f, value);
      if (matches.length > 1) {
        throw new RecordError(300, 'DUPLICATE_EXTERNAL_ID', `${f.name} duplicates value on records with ids: ${matches.map((m) => m.id).join(', ')}`, []);
      }
      const existing = matches[0];
      if (!existing) {
        if (f.name === 'Id') throw new RecordError(404, 'NOT_FOUND', 'The requested resource does not exist', []);
        return { id: createRecord(ctx, p, 'upsert').id, success: true, errors: [], created: true };
      }
      const values = new Map(p.values);
      values.delete(f.name);
      updateRecord(ctx, existing, { ...p, values, id: undefined }, 'upsert');
      return { id: existing.id, success: true, errors: [], created: false };
    });
    return json(200, withCreated ? results : results.map(({ created: _created, ...rest }) => rest));
  });

  const retrieveMany = (req: ApiRequest<{ version: string; type: string }>, ids: unknown, fieldList: unknown): ApiResponse => {
    const object = requireObject(store, req.params.type);
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'ids must be a list of record IDs');
    if (ids.length > RETRIEVE_LIMIT) throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${RETRIEVE_LIMIT} records into this call`);
    if (!Array.isArray(fieldList) || fieldList.length === 0) throw new SalesforceError(400, 'MISSING_ARGUMENT', 'fields is required');
    const fields = parseFieldList(store, object, fieldList.map(String).join(','));
    return json(
      200,
      ids.map((raw: string) => {
        const id = normalizeId(raw);
        if (!id) throw new SalesforceError(400, 'MALFORMED_ID', `malformed id ${raw}`);
        const record = store.getRecord(id);
        return record && !record.isDeleted && record.type === object.name ? recordJson(store, record, req.apiVersion, fields) : null;
      }),
    );
  };

  router.add('POST', `${base}/composite/sobjects/:type`, (req) => {
    const body = parseJsonBody(req.body);
    if (!isPlainObject(body)) throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'The request body must be an object with ids and fields');
    return retrieveMany(req, body['ids'], body['fields']);
  });

  router.add('GET', `${base}/composite/sobjects/:type`, (req) =>
    retrieveMany(req, (req.query.get('ids') ?? '').split(',').filter((s) => s !== ''), (req.query.get('fields') ?? '').split(',').filter((s) => s !== '')),
  );
}

/** A record addressed inside a collection: unknown and deleted IDs are both "entity is deleted" there. */
function collectionRecord(store: Store, object: ObjectDef, rawId: string): StoredRecord {
  const id = normalizeId(rawId);
  if (!id || keyPrefixOf(id) !== object.keyPrefix) throw new RecordError(400, 'MALFORMED_ID', `malformed id ${rawId}`, []);
  const record = store.getRecord(id);
  if (!record || record.isDeleted) throw new RecordError(400, 'ENTITY_IS_DELETED', 'entity is deleted', []);
  return record;
}
