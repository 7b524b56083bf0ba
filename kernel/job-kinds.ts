/**
 * The six integration job kinds (T1-T6 in docs/features.md) and what each one moves: which hub entity, in which
 * direction, against which CRM object by default.
 */
export const JOB_KINDS = [
  'accounts-inbound',
  'tasks-inbound',
  'tasks-outbound',
  'touchpoints-inbound',
  'touchpoints-outbound',
  'campaign-touch-outbound',
] as const;

export type JobKind = (typeof JOB_KINDS)[number];
export type Direction = 'inbound' | 'outbound';
export type HubEntity = 'account' | 'task' | 'touchpoint' | 'campaign_touch';

export interface JobKindInfo {
  kind: JobKind;
  entity: HubEntity;
  direction: Direction;
  /** Default CRM object of the template (a custom object may replace it, T7). */
  crmObject: string;
  /** CRM object the parent key points at; null for accounts, which are the parents. */
  parentObject: string | null;
  feature: string;
}

export const JOB_KIND_INFO: Record<JobKind, JobKindInfo> = {
  'accounts-inbound': { kind: 'accounts-inbound', entity: 'account', direction: 'inbound', crmObject: 'Account', parentObject: null, feature: 'T1' },
  'tasks-inbound': { kind: 'tasks-inbound', entity: 'task', direction: 'inbound', crmObject: 'Task', parentObject: 'Account', feature: 'T2' },
  'tasks-outbound': { kind: 'tasks-outbound', entity: 'task', direction: 'outbound', crmObject: 'Task', parentObject: 'Account', feature: 'T3' },
  'touchpoints-inbound': { kind: 'touchpoints-inbound', entity: 'touchpoint', direction: 'inbound', crmObject: 'Event', parentObject: 'Account', feature: 'T4' },
  'touchpoints-outbound': { kind: 'touchpoints-outbound', entity: 'touchpoint', direction: 'outbound', crmObject: 'Event', parentObject: 'Account', feature: 'T5' },
  'campaign-touch-outbound': { kind: 'campaign-touch-outbound', entity: 'campaign_touch', direction: 'outbound', crmObject: 'Event', parentObject: 'Account', feature: 'T6' },
};

export function isJobKind(value: string): value is JobKind {
  return (JOB_KINDS as readonly string[]).includes(value);
}

/** The CRMs a connection can point at (W10). */
export const CONNECTION_KINDS = ['salesforce', 'hubspot', 'dynamics'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
