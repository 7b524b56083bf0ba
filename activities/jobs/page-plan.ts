/**
 * The plan for one page of inbound records, the same for a run and for preview (T9: what preview shows is
 * what a run does): map each record, match its parent account, find the hub record it already is, and decide.
 * One query per lookup per page.
 */
import type { CrmRecord } from '../crm/connector';
import { findInboundExisting, matchParents } from '../hub/sync-lookups';
import type { Pool } from '../hub/store';
import { decideInbound, type Decision } from '../mapping/decide';
import { mapInbound, type InboundMapped } from '../mapping/engine';
import type { JobConfig } from '../mapping/job-config';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';

export interface InboundJob {
  jobId: string;
  connectionId: string;
  config: JobConfig;
}

export interface PlannedRecord {
  mapped: InboundMapped;
  decision: Decision;
  /** The hub account the record's parent is matched to; undefined when it is not (yet). */
  parentAccountId: number | undefined;
}

/** Plans the live (not deleted) records of a page. */
export async function planInboundPage(pool: Pool, job: InboundJob, records: CrmRecord[]): Promise<PlannedRecord[]> {
  const { config } = job;
  const entity = JOB_KIND_INFO[config.kind].entity;
  const mappedAll = records.map((r) => mapInbound(config, r));
  const parents = config.parentObject
    ? await matchParents(pool, job.connectionId, config.parentObject, mappedAll.map((m) => m.mapped.parentCrmId).filter((id): id is string => Boolean(id)))
    : new Map<string, number>();
  const existing = await findInboundExisting(pool, entity, job.connectionId, config.crmObject, mappedAll.map((m) => m.mapped));
  return mappedAll.map(({ mapped, problems }) => {
    const parentAccountId = mapped.parentCrmId ? parents.get(mapped.parentCrmId) : undefined;
    return { mapped, parentAccountId, decision: decideInbound(config, mapped, problems, { parentAccountId, existing: existing.get(mapped.externalId) }) };
  });
}
