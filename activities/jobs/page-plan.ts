/**
 * The plan for one page of inbound records, the same for a run and for preview (T9: what preview shows is
 * what a run does): map each record, match its parent account, find the hub record it already is, and decide.
 * One query per lookup per page.
 */
import type { CrmRecord } from '../crm/connector';
import { findInboundExisting, matchAccountsByAttribute, matchParents, matchValue } from '../hub/sync-lookups';
import type { Pool } from '../hub/store';
import { decideInbound, type Decision, type InboundExisting } from '../mapping/decide';
import { attributeKey } from '../mapping/hub-fields';
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
  const joinsAccount = await accountsToJoin(pool, job, mappedAll.map((m) => m.mapped).filter((m) => !existing.has(m.externalId)));
  return mappedAll.map(({ mapped, problems }) => {
    const parentAccountId = mapped.parentCrmId ? parents.get(mapped.parentCrmId) : undefined;
    const found = existing.get(mapped.externalId) ?? joinsAccount.get(mapped.externalId);
    return { mapped, parentAccountId, decision: decideInbound(config, mapped, problems, { parentAccountId, existing: found }) };
  });
}

/**
 * Accounts new to this connection that join an existing hub account by the job's matchAccountsBy value (W5):
 * external ID → that account. Only the first record of a page with a given value joins it.
 */
async function accountsToJoin(pool: Pool, job: InboundJob, unlinked: InboundMapped[]): Promise<Map<string, InboundExisting>> {
  const by = job.config.matchAccountsBy;
  if (!by || unlinked.length === 0) return new Map();
  const valueOf = (m: InboundMapped) => {
    const v = m.attributes.find((a) => a.name.toLowerCase() === by.toLowerCase())?.value;
    return typeof v === 'string' || typeof v === 'number' ? matchValue(String(v)) : undefined;
  };
  const values = [...new Set(unlinked.map(valueOf).filter((v): v is string => v !== undefined && v !== ''))];
  const matches = await matchAccountsByAttribute(pool, job.connectionId, attributeKey(by), values);
  const out = new Map<string, InboundExisting>();
  const taken = new Set<string>();
  for (const m of unlinked) {
    const value = valueOf(m);
    const match = value === undefined ? undefined : matches.get(value);
    if (match && value !== undefined && !taken.has(value)) {
      taken.add(value);
      out.set(m.externalId, match);
    }
  }
  return out;
}
