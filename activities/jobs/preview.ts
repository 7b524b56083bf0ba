/**
 * "Load preview" (T9): the first source records of a job mapped to their target shape, each with what a
 * run would do to it and why, decided by the same functions the runs use (decide.ts).
 */
import { toCrmError } from '../crm/salesforce/client';
import { decideInbound, decideOutbound, type Decision } from '../mapping/decide';
import { campaignTouchSubject, fieldTypes, inboundSelectFields, mapInbound, mapOutbound, type CrmRecord } from '../mapping/engine';
import { andConditions } from '../mapping/filter';
import { JOB_KIND_INFO } from '../mapping/job-kinds';
import { crmParentsOf, findInboundExisting, loadOutboundRecords, matchParents, outboundLinks } from '../hub/sync-lookups';
import type { JobRecord } from '../hub/jobs';
import type { Pool } from '../hub/store';
import type { SalesforceSession } from './salesforce-session';
import { validateJob, type JobValidation } from './validate-job';

export const PREVIEW_SIZE = 10;

export interface PreviewRow {
  /** CRM record Id (inbound) or hub record ID (outbound). */
  source: string;
  /** The record as the target will receive it. */
  target: Record<string, unknown>;
  decision: Decision;
}

export interface JobPreview {
  validation: JobValidation;
  rows: PreviewRow[];
}

export async function previewJob(pool: Pool, job: JobRecord, session: SalesforceSession, now: Date = new Date()): Promise<JobPreview> {
  const validation = await validateJob(job, session);
  if (!validation.ok) return { validation, rows: [] };
  const info = JOB_KIND_INFO[job.kind];
  const rows = info.direction === 'inbound' ? await previewInbound(pool, job, session) : await previewOutbound(pool, job, session, now);
  return { validation, rows };
}

async function previewInbound(pool: Pool, job: JobRecord, session: SalesforceSession): Promise<PreviewRow[]> {
  const { config } = job;
  const entity = JOB_KIND_INFO[job.kind].entity;
  const where = andConditions([config.filter]);
  const soql = `SELECT ${inboundSelectFields(config).join(', ')} FROM ${config.crmObject}${where ? ` WHERE ${where}` : ''} ORDER BY SystemModstamp, Id LIMIT ${PREVIEW_SIZE}`;
  let records: CrmRecord[];
  try {
    records = (await session.conn.query<CrmRecord>(soql)).records;
  } catch (err) {
    throw toCrmError(err, `preview of job '${job.id}'`);
  }
  const mapped = records.map((r) => mapInbound(config, r));
  const parents = config.parentObject
    ? await matchParents(pool, job.connectionId, config.parentObject, mapped.map((m) => m.mapped.parentCrmId).filter((id): id is string => Boolean(id)))
    : new Map<string, number>();
  const existing = await findInboundExisting(pool, entity, job.connectionId, config.crmObject, mapped.map((m) => m.mapped));
  return mapped.map(({ mapped: m, problems }) => ({
    source: m.crmId,
    target: { externalId: m.externalId, parentCrmId: m.parentCrmId, ...m.columns, ...m.custom, ...Object.fromEntries(m.attributes.map((a) => [a.name, a.value])), ...(m.participants ? { participants: m.participants } : {}) },
    decision: decideInbound(config, m, problems, {
      parentAccountId: m.parentCrmId ? parents.get(m.parentCrmId) : undefined,
      existing: existing.get(m.externalId),
    }),
  }));
}

async function previewOutbound(pool: Pool, job: JobRecord, session: SalesforceSession, now: Date): Promise<PreviewRow[]> {
  const { config } = job;
  const entity = JOB_KIND_INFO[job.kind].entity;
  if (entity === 'account') return [];
  const crmTypes = fieldTypes(await session.describe(config.crmObject));
  const records = await loadOutboundRecords(pool, entity, config.hubFilter, { limit: PREVIEW_SIZE });
  if (entity === 'campaign_touch') {
    for (const r of records) {
      r.columns['subject'] = campaignTouchSubject({
        campaign_kind: String(r.columns['campaign_kind']),
        campaign_name: String(r.columns['campaign_name']),
        recipient_count: Number(r.columns['recipient_count']),
        sender_email: String(r.columns['sender_email']),
      });
    }
  }
  const parents = await crmParentsOf(pool, job.connectionId, config.parentObject ?? 'Account', records.map((r) => r.accountId));
  const links = await outboundLinks(pool, entity, job.connectionId, config.crmObject, records.map((r) => r.id));
  return records.map((record) => {
    const mapped = mapOutbound(config, record, crmTypes);
    const crmParentId = parents.get(record.accountId);
    const link = links.get(record.id);
    const decision = decideOutbound(config, record, mapped, { crmParentId, link, now });
    const target: Record<string, unknown> = { ...mapped.fields };
    if (mapped.ownerField) target[mapped.ownerField] = mapped.ownerEmail ? `<User with Email ${mapped.ownerEmail}>` : null;
    // T16: a created Task/Event points WhatId at the CRM account; an update never changes WhatId.
    if (decision.action === 'create' && crmParentId) target['WhatId'] = crmParentId;
    return { source: String(record.id), target, decision };
  });
}
