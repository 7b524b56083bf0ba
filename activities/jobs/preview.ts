/**
 * "Load preview" (T9): the first source records of a job mapped to their target shape, each with what a
 * run would do to it and why, decided by the same functions the runs use (decide.ts).
 */
import { START_CURSOR } from '../../kernel/cursors';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';
import type { CrmSession } from '../crm/connector';
import type { JobRecord } from '../hub/jobs';
import type { Pool } from '../hub/store';
import { readOutboundRecords } from '../hub/sync-lookups';
import type { Decision } from '../mapping/decide';
import { inboundReadSpec } from '../mapping/engine';
import { EmailLookupCache, planOutboundPage } from './outbound-page';
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
  const { records } = await session.readPage(inboundReadSpec(job.config), START_CURSOR, { pageSize: PREVIEW_SIZE, includeDeleted: false });
  const planned = await planInboundPage(pool, { jobId: job.id, connectionId: job.connectionId, config: job.config }, records);
  return planned.map(({ mapped: m, decision }) => ({
    source: m.crmId,
    target: { externalId: m.externalId, parentCrmId: m.parentCrmId, ...m.columns, ...m.custom, ...Object.fromEntries(m.attributes.map((a) => [a.name, a.value])), ...(m.participants ? { participants: m.participants } : {}) },
    decision,
  }));
}

/** Preview makes the same reads as a run (conflict stamps, owners, contacts), never a write. */
async function previewOutbound(pool: Pool, job: JobRecord, session: CrmSession, now: Date): Promise<PreviewRow[]> {
  const entity = JOB_KIND_INFO[job.kind].entity;
  if (entity === 'account') return [];
  const records = await readOutboundRecords(pool, entity, job.config.hubFilter, { order: 'recent', limit: PREVIEW_SIZE });
  const { planned } = await planOutboundPage({ pool, session, lookups: new EmailLookupCache() }, { jobId: job.id, connectionId: job.connectionId, config: job.config }, records, now);
  return planned.map((p) => ({ source: String(p.record.id), target: p.payload ?? p.mapped.fields, decision: p.decision }));
}
