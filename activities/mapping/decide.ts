/**
 * What happens to one record in a run, decided by pure functions that preview and the job runs share
 * (T9: preview's reasons are the job's reasons). The order of the rules is the order in which
 * "why didn't record X sync?" (T30) reports them.
 */
import { inboundRejection, type HubRecordForOutbound, type InboundMapProblem, type InboundMapped, type OutboundMapped } from './engine';
import { DEFAULT_UPDATE_WINDOW_DAYS, type JobConfig } from './job-config';
import { JOB_KIND_INFO } from '../../kernel/job-kinds';

export type SkipCode = 'NO_PARENT' | 'PARENT_NOT_MATCHED' | 'HUB_NEWER' | 'OUTSIDE_WINDOW' | 'NO_CRM_PARENT' | 'CREATE_DISABLED' | 'CRM_NEWER' | 'CRM_DELETED';

export type Decision =
  | { action: 'create' }
  | { action: 'update'; hubId?: number; crmId?: string }
  | { action: 'unchanged' }
  | { action: 'skip'; code: SkipCode; reason: string }
  | { action: 'reject'; code: string; reason: string };

/** The hub's side of an inbound record: the existing hub record and its sync link, if any. */
export interface InboundExisting {
  hubId: number;
  /** Hub account of the existing task/touchpoint (T12 compares it with the incoming parent). */
  accountId: number | null;
  /** Last change in the hub (ISO). */
  updatedAt: string;
  link?: {
    lastInboundHash: string | null;
    /** hub updated_at when hubsync last synced the record. */
    hubModifiedAt: string | null;
    /** CRM modification stamp when hubsync last synced (read or wrote) the record. */
    crmModifiedAt: string | null;
  };
}

export interface InboundContext {
  /** Hub account matched to the record's parent CRM account; undefined when not matched (yet). */
  parentAccountId: number | undefined;
  existing: InboundExisting | undefined;
}

const later = (a: string | null | undefined, b: string | null | undefined) => Boolean(a && (!b || Date.parse(a) > Date.parse(b)));

export function decideInbound(config: JobConfig, mapped: InboundMapped, problems: InboundMapProblem[], ctx: InboundContext): Decision {
  if (problems.length > 0) return { action: 'reject', code: 'INVALID_VALUE', reason: problems.map((p) => `row ${p.row}: ${p.message}`).join('; ') };
  const rejection = inboundRejection(config, mapped);
  if (rejection) return { action: 'reject', ...rejection };

  const isAccount = JOB_KIND_INFO[config.kind].entity === 'account';
  if (!isAccount) {
    if (!mapped.parentCrmId) return { action: 'skip', code: 'NO_PARENT', reason: `the record has no parent ${config.parentObject ?? 'account'} (its parent key field is empty)` };
    if (ctx.parentAccountId === undefined) {
      return { action: 'skip', code: 'PARENT_NOT_MATCHED', reason: `parent ${config.parentObject ?? 'account'} ${mapped.parentCrmId} is not matched to a hub account yet; the record is imported once the accounts job brings it (T11, T26)` };
    }
  }
  const existing = ctx.existing;
  if (!existing) return { action: 'create' };
  if (!isAccount && existing.accountId !== null && existing.accountId !== ctx.parentAccountId) {
    return { action: 'reject', code: 'PARENT_CHANGED', reason: `the record moved to another parent account in the CRM (hub account ${existing.accountId} → ${ctx.parentAccountId}); changing a record's parent account is not allowed (T12)` };
  }
  const link = existing.link;
  // T29: a record hubsync has already seen at this modification stamp (a page-boundary repeat, or the
  // echo of hubsync's own outbound write) is not a new change.
  if (link && mapped.crmModifiedAt && link.crmModifiedAt && !later(mapped.crmModifiedAt, link.crmModifiedAt)) return { action: 'unchanged' };
  if (link && link.lastInboundHash === mapped.hash) return { action: 'unchanged' };
  // A link set by hand (`hubsync account link`) has never synced: its first import brings the CRM's values.
  if (link && link.lastInboundHash === null && link.hubModifiedAt === null) return { action: 'update', hubId: existing.hubId };
  // T18: both sides changed since the last sync and the hub's change is the later one: the hub wins.
  const hubChanged = !link || later(existing.updatedAt, link.hubModifiedAt);
  if (hubChanged && link && later(existing.updatedAt, mapped.crmModifiedAt)) {
    return { action: 'skip', code: 'HUB_NEWER', reason: `the hub changed this record at ${existing.updatedAt}, after the CRM did (${mapped.crmModifiedAt}); the hub version wins and goes out with the outbound job (T18)` };
  }
  return { action: 'update', hubId: existing.hubId };
}

/** The sync link of a hub record in one connection and object, as outbound decisions need it. */
export interface OutboundLink {
  crmId: string;
  lastOutboundHash: string | null;
  /** The hub record's updated_at when hubsync last synced it (either direction). */
  hubModifiedAt: string | null;
  /** The CRM's SystemModstamp when hubsync last synced it; unknown while `stampPending`. */
  crmModifiedAt: string | null;
  /** hubsync wrote the record and has not read its new stamp back yet. */
  stampPending: boolean;
}

export interface OutboundContext {
  /** CRM ID of the record's parent account, from the accounts job's match; undefined when none. */
  crmParentId: string | undefined;
  /** The CRM record this hub record is linked to, if any. */
  link: OutboundLink | undefined;
  now: Date;
  /**
   * The linked CRM record as the page's conflict read found it (T18): its SystemModstamp, or `exists: false`
   * when it is gone. Undefined before that read (preview does not make it).
   */
  crm?: { exists: boolean; modifiedAt: string | null } | undefined;
}

export function decideOutbound(config: JobConfig, record: HubRecordForOutbound, mapped: OutboundMapped, ctx: OutboundContext): Decision {
  const windowDays = config.updateWindowDays ?? DEFAULT_UPDATE_WINDOW_DAYS;
  const windowStart = ctx.now.getTime() - windowDays * 86_400_000;
  if (Date.parse(record.updatedAt) < windowStart) {
    return { action: 'skip', code: 'OUTSIDE_WINDOW', reason: `last updated ${record.updatedAt}, before the job's ${windowDays}-day window (T15)` };
  }
  if (!ctx.crmParentId) {
    return { action: 'skip', code: 'NO_CRM_PARENT', reason: `hub account ${record.accountId} has no matched CRM account; records without a CRM parent are skipped and not counted (T11)` };
  }
  const link = ctx.link;
  if (link) {
    // T29: not changed in the hub since hubsync last synced it (in either direction): nothing new to send,
    // in particular not the echo of what the inbound job just wrote.
    if (link.hubModifiedAt && !later(record.updatedAt, link.hubModifiedAt)) return { action: 'unchanged' };
    if (link.lastOutboundHash === mapped.hash) return { action: 'unchanged' };
    if (ctx.crm && !ctx.crm.exists) {
      return { action: 'skip', code: 'CRM_DELETED', reason: `the linked CRM record ${link.crmId} no longer exists; the inbound job removes the hub record (T19)` };
    }
    // T18: both sides changed since the last sync and the CRM's change is the later one: the CRM wins.
    const crmChanged = ctx.crm && !link.stampPending && later(ctx.crm.modifiedAt, link.crmModifiedAt);
    if (crmChanged && !later(record.updatedAt, ctx.crm?.modifiedAt)) {
      return { action: 'skip', code: 'CRM_NEWER', reason: `the CRM changed this record at ${ctx.crm?.modifiedAt}, after the hub did (${record.updatedAt}); the CRM version wins and comes in with the inbound job (T18)` };
    }
    return { action: 'update', crmId: link.crmId };
  }
  if (config.allowCreate === false) return { action: 'skip', code: 'CREATE_DISABLED', reason: 'the record has no CRM counterpart and the job does not create new CRM records (T14)' };
  return { action: 'create' };
}
