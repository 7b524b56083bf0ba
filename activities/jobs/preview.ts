/**
 * "Load preview" (T9): the first source records of a job mapped to their target shape, each with what a
 * run would do to it and why, decided by the same functions the runs use (decide.ts).
 */
import { START_CURSOR } from '../../kernel/cursors';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';
import type { CrmSession } from '../crm/connector';
import type { JobRecord } from '../hub/jobs';
import type { Pool } from '../hub/store';
import { crmParentsOf, loadOutboundRecords, outboundLinks } from '../hub/sync-lookups';
import { decideOutbound, type Decision } from '../mapping/decide';
import { campaignTouchSubject, fieldTypes, inboundReadSpec, mapOutbound } from '../mapping/engine';
import { planInboundPage } from './page-plan';
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

export async function previewJob(pool: Pool, job: JobRecord, session: CrmSession, now: Date = new Date()): Promise<JobPreview> {
  const validation = await validateJob(job, session);
  if (!validation.ok) return { validation, rows: [] };
  const info = JOB_KIND_INFO[job.kind];
  const rows = info.direction === 'inbound' ? await previewInbound(pool, job, session) : await previewOutbound(pool, job, session, now);
  return { validation, rows };
}

async function previewInbound(pool: Pool, job: JobRecord, session: CrmSession): Promise<PreviewRow[]> {
  const records = await session.readPage(inboundReadSpec(job.config), START_CURSOR, { pageSize: PREVIEW_SIZE, includeDeleted: false });
  const planned = await planInboundPage(pool, { jobId: job.id, connectionId: job.connectionId, config: job.config }, records);
  return planned.map(({ mapped: m, decision }) => ({
    source: m.crmId,
    target: { externalId: m.externalId, parentCrmId: m.parentCrmId, ...m.columns, ...m.custom, ...Object.fromEntries(m.attributes.map((a) => [a.name, a.value])), ...(m.participants ? { participants: m.participants } : {}) },
    decision,
  }));
}

async function previewOutbound(pool: Pool, job: JobRecord, session: CrmSession, now: Date): Promise<PreviewRow[]> {
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
