/**
 * The Web API's routes under `/api/data/v9.2/`: the service document, `WhoAmI`, `EntityDefinitions…`,
 * `$batch`, and the entity sets (list, retrieve, create, update/upsert, delete). An unknown first segment is
 * Dataverse's 404 "Resource not found for the segment …" ("Compose HTTP requests and handle errors"); entity
 * set names are case-sensitive (`/Account` is unknown).
 */
import { executeBatch } from './batch';
import { methodNotAllowed, segmentNotFound } from './errors';
import { ok, parsePath, parsePrefer, renderFailure, type DvRequest, type DvResponse } from './http';
import { metadataRequest } from './metadata';
import { countRows, listRows, retrieveRow, type ApiContext } from './query';
import { tableBySet, TABLES } from './schema';
import { createEntity, deleteEntity, patchEntity } from './writes';

/** The organization's ID and business unit in WhoAmI [infer: fixed values]. */
export const SANDBOX_ORGANIZATION_ID = '3a1b5c7d-9e0f-4a2b-8c4d-6e8f0a2b4c6d';
export const SANDBOX_BUSINESS_UNIT_ID = '0c2d4e6f-8a0b-4c1d-9e2f-3a4b5c6d7e8f';

export async function handleApi(ctx: ApiContext, req: DvRequest): Promise<DvResponse> {
  const prefer = parsePrefer(req.headers['prefer']);
  if (req.path === '') {
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    return ok({ '@odata.context': `${ctx.base()}$metadata`, value: [...TABLES.map((t) => ({ name: t.entitySetName, kind: 'EntitySet', url: t.entitySetName })), { name: 'EntityDefinitions', kind: 'EntitySet', url: 'EntityDefinitions' }] });
  }
  if (req.path === '$batch') {
    if (req.method !== 'POST') throw methodNotAllowed(req.method);
    return executeBatch(ctx.org, ctx.base(), req.headers['content-type'], req.body, req.headers['prefer'], (inner) => {
      const q = inner.target.indexOf('?');
      const path = q < 0 ? inner.target : inner.target.slice(0, q);
      const rawQuery = q < 0 ? '' : inner.target.slice(q + 1);
      const headers: Record<string, string | undefined> = { ...inner.headers };
      let decoded = path;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        // kept as sent
      }
      return handleApi(ctx, { method: inner.method, path: decoded, rawQuery, query: new URLSearchParams(rawQuery), headers, body: inner.body }).catch(renderFailure);
    });
  }
  const segments = parsePath(req.path);
  const first = segments[0];
  if (!first) throw segmentNotFound(req.path);
  if (first.name === 'WhoAmI' || first.name === 'WhoAmI()') {
    return ok({ '@odata.context': `${ctx.base()}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`, BusinessUnitId: SANDBOX_BUSINESS_UNIT_ID, UserId: ctx.org.appUserId, OrganizationId: SANDBOX_ORGANIZATION_ID });
  }
  if (first.name === 'EntityDefinitions') {
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    return metadataRequest(ctx, segments, req);
  }
  const table = tableBySet(first.name);
  if (!table) throw segmentNotFound(first.name);
  const store = ctx.org.store(table.logicalName);
  if (segments.length === 2 && segments[1]?.name === '$count' && !first.key && req.method === 'GET') return countRows(store, req);
  if (segments.length > 1) throw segmentNotFound(segments[1]?.name ?? '');
  const key = first.key;
  switch (req.method) {
    case 'GET':
      return key ? retrieveRow(ctx, store, key, req, prefer) : listRows(ctx, store, req, prefer);
    case 'POST':
      if (key) throw methodNotAllowed(req.method);
      return createEntity(ctx, store, req, prefer);
    case 'PATCH':
      if (!key) throw methodNotAllowed(req.method);
      return patchEntity(ctx, store, key, req, prefer);
    case 'DELETE':
      if (!key) throw methodNotAllowed(req.method);
      return deleteEntity(ctx, store, key, req);
    default:
      throw methodNotAllowed(req.method);
  }
}
