/**
 * Writing one page of an inbound run (P1): the page's plan (page-plan.ts) written — hub records, record links,
 * parked and rejected records, deletions, the job's cursor and the page's result — in one transaction. The
 * activity and the benchmark baseline both call this; Temporal only adds durability around it. Records
 * deleted in the CRM come with `deleted` set and are deleted in the hub (T19).
 */
import type { PoolClient } from 'pg';
import type { SyncCursor } from '../../kernel/cursors';
import { JOB_KIND_INFO, type HubEntity } from '../../kernel/job-kinds';
import { addStats, emptyStats, type RunStats } from '../../kernel/stats';
import type { CrmRecord } from '../crm/connector';
import { forgetKept, keepRejected, park } from '../hub/outcomes';
import { advanceCursor, committedPage, recordPage } from '../hub/runs';
import { withTransaction, type Pool } from '../hub/store';
import { ENTITY_TABLE } from '../hub/sync-lookups';
import type { HubValue } from '../mapping/engine';
import { attributeKey, findHubField, type HubFieldType } from '../mapping/hub-fields';
import type { JobConfig } from '../mapping/job-config';
import { planInboundPage, type InboundJob, type PlannedRecord } from './page-plan';

export interface PageOutcome {
  stats: RunStats;
  nextCursor: SyncCursor;
}

const count = (bucket: Record<string, number>, key: string) => {
  bucket[key] = (bucket[key] ?? 0) + 1;
};

/** Columns of the entity table that the job's mapping fills (only these are written on update). */
function mappedColumns(config: JobConfig, entity: HubEntity): Array<{ column: string; type: HubFieldType }> {
  const out: Array<{ column: string; type: HubFieldType }> = [];
  for (const row of config.mapping) {
    const field = findHubField(entity, row.hubField);
    if (field?.column && !out.some((c) => c.column === field.column)) out.push({ column: field.column, type: field.type });
  }
  return out;
}

const SQL_TYPE: Record<HubFieldType, string> = {
  text: 'text',
  user: 'text',
  single_select: 'text',
  participants: 'text',
  date: 'date',
  datetime: 'timestamptz',
  number: 'numeric',
  boolean: 'boolean',
  // Multi-select values are stored joined ("a;b"), as the CRM writes them.
  multi_select: 'text',
};

/**
 * Writes one page; with `advanceCursor`, the job's cursor moves to `nextCursor` (the connector's cursor after the
 * page). `pageNo` identifies the page within the run: if it was committed already (a retried activity), its
 * stored outcome is returned and nothing is written twice.
 */
export async function writeInboundPage(
  pool: Pool,
  job: InboundJob,
  run: { runId: number | null; pageNo: number; statsBefore: RunStats; advanceCursor: boolean },
  records: CrmRecord[],
  nextCursor: SyncCursor,
): Promise<PageOutcome> {
  const { config } = job;
  const entity = JOB_KIND_INFO[config.kind].entity;

  if (run.runId !== null) {
    const done = await committedPage(pool, run.runId, run.pageNo);
    if (done) return done;
  }

  const stats = emptyStats();
  stats.pages = 1;
  stats.read = records.length;
  const deletedIds = records.filter((r) => r.deleted).map((r) => r.id);
  const planned = await planInboundPage(pool, job, records.filter((r) => !r.deleted));

  await withTransaction(pool, async (client) => {
    // The touchpoints' participants are written with them: the hub's participant trigger must not stamp them
    // again as a hub change (db/migrations/1732180000004_outbound.sql).
    await client.query("SELECT set_config('hubsync.writer', 'inbound', true)");
    const toWrite = planned.filter((p) => p.decision.action === 'create' || p.decision.action === 'update');
    const written = entity === 'account' ? await writeAccounts(client, job, toWrite) : await writeActivities(client, job, entity, toWrite);
    for (const p of planned) {
      const d = p.decision;
      if (d.action === 'create') stats.created++;
      else if (d.action === 'update') stats.updated++;
      else if (d.action === 'unchanged') stats.unchanged++;
      else if (d.action === 'skip') count(stats.skipped, d.code);
      else count(stats.rejected, d.code);
    }
    await writeLinks(client, job, entity, written);
    await recordOutcomes(client, job, run.runId, planned, written.map((w) => w.crmId));
    stats.deleted = await deleteInHub(client, job, entity, deletedIds);
    if (records.length > 0 && run.advanceCursor) await advanceCursor(client, job.jobId, nextCursor);
    if (run.runId !== null) await recordPage(client, run.runId, { job, pageNo: run.pageNo, nextCursor, stats, runStats: addStats(run.statsBefore, stats) });
  });
  return { stats, nextCursor };
}

/**
 * Deletions a connector reports apart from its pages (HubSpot's archived records, T19): deleted in the hub
 * like the deleted records of a page, in one transaction with the page's row, and, with `checkedAt`, the
 * time the next incremental run asks from. Idempotent by `pageNo` like a page.
 */
export async function writeInboundDeletions(
  pool: Pool,
  job: InboundJob,
  run: { runId: number; pageNo: number; statsBefore: RunStats },
  crmIds: string[],
  checkedAt: string | null,
): Promise<RunStats> {
  const done = await committedPage(pool, run.runId, run.pageNo);
  if (done) return done.stats;
  const entity = JOB_KIND_INFO[job.config.kind].entity;
  const stats = emptyStats();
  await withTransaction(pool, async (client) => {
    stats.deleted = await deleteInHub(client, job, entity, crmIds);
    if (checkedAt !== null) {
      await client.query(
        `INSERT INTO sync_cursors (job_id, deletions_checked_at) VALUES ($1, $2)
         ON CONFLICT (job_id) DO UPDATE SET deletions_checked_at = EXCLUDED.deletions_checked_at, updated_at = now()`,
        [job.jobId, checkedAt],
      );
    }
    await recordPage(client, run.runId, { job, pageNo: run.pageNo, nextCursor: { modifiedAt: null, lastId: null }, stats, runStats: addStats(run.statsBefore, stats) });
  });
  return stats;
}

interface Written {
  crmId: string;
  hubId: number;
  hubUpdatedAt: string;
  crmModifiedAt: string | null;
  hash: string;
}

/** Batch upsert of tasks / touchpoints by external ID (T13), through unnest arrays (one statement). */
async function writeActivities(client: PoolClient, job: InboundJob, entity: HubEntity, rows: PlannedRecord[]): Promise<Written[]> {
  if (rows.length === 0) return [];
  const table = ENTITY_TABLE[entity];
  const columns = mappedColumns(job.config, entity);
  const params: unknown[] = [rows.map((r) => r.parentAccountId ?? null), rows.map((r) => r.mapped.externalId), rows.map((r) => JSON.stringify(r.mapped.custom))];
  const selects = ['$1::bigint[]', '$2::text[]', '$3::jsonb[]'];
  for (const { column, type } of columns) {
    params.push(rows.map((r) => toSql(r.mapped.columns[column], type)));
    selects.push(`$${params.length}::${SQL_TYPE[type]}[]`);
  }
  const names = ['account_id', 'external_id', 'custom_fields', ...columns.map((c) => c.column)];
  const updates = names.filter((n) => n !== 'external_id' && n !== 'account_id').map((n) => `${n} = EXCLUDED.${n}`);
  const { rows: out } = await client.query<{ id: number; external_id: string; updated_at: string }>(
    `INSERT INTO ${table} (${names.join(', ')})
     SELECT * FROM unnest(${selects.join(', ')})
     ON CONFLICT (external_id) DO UPDATE SET ${updates.join(', ')}, updated_at = now(), deleted_at = NULL
     RETURNING id, external_id, updated_at`,
    params,
  );
  const byExternal = new Map(out.map((r) => [r.external_id, r]));
  const written = rows.map((r) => {
    const row = byExternal.get(r.mapped.externalId)!;
    return { crmId: r.mapped.crmId, hubId: row.id, hubUpdatedAt: row.updated_at, crmModifiedAt: r.mapped.crmModifiedAt, hash: r.mapped.hash };
  });
  if (entity === 'touchpoint') await writeParticipants(client, job, rows, written);
  return written;
}

function toSql(value: HubValue | undefined, type: HubFieldType): unknown {
  if (value === undefined) return null;
  if (type === 'multi_select' && Array.isArray(value)) return value.join(';');
  return value;
}

/** T23/T27: the participants of each written touchpoint are replaced by the CRM's current ones. */
async function writeParticipants(client: PoolClient, job: InboundJob, rows: PlannedRecord[], written: Written[]): Promise<void> {
  const withParticipants = rows.map((r, i) => ({ r, w: written[i]! })).filter(({ r }) => r.mapped.participants !== undefined);
  if (withParticipants.length === 0) return;
  await client.query('DELETE FROM touchpoint_participants WHERE touchpoint_id = ANY($1)', [withParticipants.map(({ w }) => w.hubId)]);
  const flat = withParticipants.flatMap(({ r, w }) => (r.mapped.participants ?? []).map((p) => ({ id: w.hubId, p })));
  if (flat.length === 0) return;
  await client.query(
    `INSERT INTO touchpoint_participants (touchpoint_id, participant_key, name, email, connection_id, crm_contact_id)
     SELECT t, k, n, e, $5, c FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $6::text[]) AS u(t, k, n, e, c)
     ON CONFLICT DO NOTHING`,
    [flat.map((f) => f.id), flat.map((f) => f.p.crmContactId.toLowerCase()), flat.map((f) => f.p.name), flat.map((f) => f.p.email), job.connectionId, flat.map((f) => f.p.crmContactId)],
  );
}

/** Accounts (T1): the account row, then its attribute values and assignments with their source field. */
async function writeAccounts(client: PoolClient, job: InboundJob, rows: PlannedRecord[]): Promise<Written[]> {
  const written: Written[] = [];
  // Each attribute's definition and source, and each hub user, is ensured once per page, not once per record.
  const attributes = new Map<string, Promise<number>>();
  const users = new Map<string, Promise<number>>();
  const attributeOf = (label: string, type: HubFieldType, crmField: string) => {
    const key = `${label}\n${type}\n${crmField}`;
    let id = attributes.get(key);
    if (!id) attributes.set(key, (id = ensureAttribute(client, job, label, type, crmField)));
    return id;
  };
  const userOf = (email: string) => {
    let id = users.get(email.toLowerCase());
    if (!id) users.set(email.toLowerCase(), (id = ensureHubUser(client, email)));
    return id;
  };
  for (const r of rows) {
    const name = String(r.mapped.columns['name'] ?? '');
    const d = r.decision;
    const result =
      d.action === 'update' && d.hubId !== undefined
        ? await client.query<{ id: number; updated_at: string }>('UPDATE accounts SET name = $2, updated_at = now() WHERE id = $1 RETURNING id, updated_at', [d.hubId, name])
        : await client.query<{ id: number; updated_at: string }>('INSERT INTO accounts (name) VALUES ($1) RETURNING id, updated_at', [name]);
    const row = result.rows[0]!;
    written.push({ crmId: r.mapped.crmId, hubId: row.id, hubUpdatedAt: row.updated_at, crmModifiedAt: r.mapped.crmModifiedAt, hash: r.mapped.hash });
    for (const attribute of r.mapped.attributes) {
      const attributeId = await attributeOf(attribute.name, attribute.type, attribute.crmField);
      if (attribute.type === 'user') {
        const email = typeof attribute.value === 'string' ? attribute.value : null;
        const userId = email ? await userOf(email) : null;
        await client.query(
          `INSERT INTO account_assignments (account_id, attribute_id, user_id, connection_id, crm_field, crm_value, crm_modified_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT ON CONSTRAINT account_assignments_one_per_source
           DO UPDATE SET user_id = EXCLUDED.user_id, crm_value = EXCLUDED.crm_value, crm_modified_at = EXCLUDED.crm_modified_at, updated_at = now()`,
          [row.id, attributeId, userId, job.connectionId, attribute.crmField, JSON.stringify(attribute.value), r.mapped.crmModifiedAt],
        );
      } else {
        await client.query(
          `INSERT INTO attribute_values (account_id, attribute_id, connection_id, crm_field, value, crm_value, crm_modified_at)
           VALUES ($1, $2, $3, $4, $5, $5, $6)
           ON CONFLICT ON CONSTRAINT attribute_values_one_per_source
           DO UPDATE SET value = EXCLUDED.value, crm_value = EXCLUDED.crm_value, crm_field = EXCLUDED.crm_field, crm_modified_at = EXCLUDED.crm_modified_at, updated_at = now()`,
          [row.id, attributeId, job.connectionId, attribute.crmField, JSON.stringify(attribute.value), r.mapped.crmModifiedAt],
        );
      }
    }
  }
  return written;
}

/** The attribute definition of a mapped account field, created on first import with its CRM source. */
async function ensureAttribute(client: PoolClient, job: InboundJob, label: string, type: HubFieldType, crmField: string): Promise<number> {
  const key = attributeKey(label);
  const kind = type === 'user' ? 'account_assignment' : 'attribute';
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO attribute_definitions (key, label, kind, value_type) VALUES ($1, $2, $3, $4)
     ON CONFLICT (key) DO UPDATE SET label = attribute_definitions.label RETURNING id`,
    [key, label, kind, type === 'participants' ? 'text' : type],
  );
  const attributeId = rows[0]!.id;
  await client.query(
    `INSERT INTO attribute_sources (attribute_id, connection_id, crm_object, crm_field) VALUES ($1, $2, $3, $4)
     ON CONFLICT (attribute_id, connection_id) DO UPDATE SET crm_object = EXCLUDED.crm_object, crm_field = EXCLUDED.crm_field,
       -- A source mapped from another field now: write-back's check of the old one no longer holds.
       crm_describe = CASE WHEN attribute_sources.crm_object = EXCLUDED.crm_object AND attribute_sources.crm_field = EXCLUDED.crm_field
                           THEN attribute_sources.crm_describe END`,
    [attributeId, job.connectionId, job.config.crmObject, crmField],
  );
  return attributeId;
}

async function ensureHubUser(client: PoolClient, email: string): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO hub_users (email) VALUES ($1) ON CONFLICT (lower(email)) DO UPDATE SET email = hub_users.email RETURNING id`,
    [email],
  );
  return rows[0]!.id;
}

async function writeLinks(client: PoolClient, job: InboundJob, entity: HubEntity, written: Written[]): Promise<void> {
  if (written.length === 0) return;
  await client.query(
    `INSERT INTO record_links (connection_id, crm_object, crm_id, hub_type, hub_id, crm_modified_at, hub_modified_at, last_inbound_hash, last_synced_at)
     SELECT $1, $2, c, $3, h, m::timestamptz, u::timestamptz, x, now()
       FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS t(c, h, m, u, x)
     ON CONFLICT (connection_id, crm_object, crm_id) DO UPDATE
       SET hub_id = EXCLUDED.hub_id, crm_modified_at = EXCLUDED.crm_modified_at, hub_modified_at = EXCLUDED.hub_modified_at,
           last_inbound_hash = EXCLUDED.last_inbound_hash, last_synced_at = now()`,
    [job.connectionId, job.config.crmObject, entity, written.map((w) => w.crmId), written.map((w) => w.hubId), written.map((w) => w.crmModifiedAt), written.map((w) => w.hubUpdatedAt), written.map((w) => w.hash)],
  );
}

/** Parked (T26) and rejected (T28) records: kept with their reason; cleared once written. */
async function recordOutcomes(client: PoolClient, job: InboundJob, runId: number | null, planned: PlannedRecord[], writtenIds: string[]): Promise<void> {
  await forgetKept(client, job.jobId, writtenIds);
  const isParked = (p: PlannedRecord) => p.decision.action === 'skip' && p.decision.code === 'PARENT_NOT_MATCHED';
  await park(client, job.jobId, 'PARENT_NOT_MATCHED', planned.filter(isParked).map((p) => ({ sourceId: p.mapped.crmId, parentCrmId: p.mapped.parentCrmId })));
  // A record that no longer has a parent at all is no longer waiting for one.
  const unparked = planned.filter((p) => !isParked(p) && p.decision.action !== 'create' && p.decision.action !== 'update');
  await forgetKept(client, job.jobId, unparked.map((p) => p.mapped.crmId), { parked: true });
  await keepRejected(client, job.jobId, runId, planned.flatMap((p) => (p.decision.action === 'reject' ? [{ sourceId: p.mapped.crmId, code: p.decision.code, reason: p.decision.reason }] : [])));
}

/** T19: CRM deletions remove the linked hub records (accounts only lose their link and CRM values). */
async function deleteInHub(client: PoolClient, job: InboundJob, entity: HubEntity, crmIds: string[]): Promise<number> {
  if (crmIds.length === 0) return 0;
  const { rows } = await client.query<{ hub_id: number }>(
    `DELETE FROM record_links WHERE connection_id = $1 AND crm_object = $2 AND crm_id = ANY($3) RETURNING hub_id`,
    [job.connectionId, job.config.crmObject, crmIds],
  );
  const hubIds = rows.map((r) => r.hub_id);
  await forgetKept(client, job.jobId, crmIds);
  if (hubIds.length === 0) return 0;
  if (entity === 'account') {
    await client.query('DELETE FROM attribute_values WHERE connection_id = $1 AND account_id = ANY($2)', [job.connectionId, hubIds]);
    await client.query('DELETE FROM account_assignments WHERE connection_id = $1 AND account_id = ANY($2)', [job.connectionId, hubIds]);
    return hubIds.length;
  }
  const deleted = await client.query(`DELETE FROM ${ENTITY_TABLE[entity]} WHERE id = ANY($1)`, [hubIds]);
  return deleted.rowCount ?? 0;
}
