/**
 * What another Node service imports to use hubsync (P4): the typed client, and the shapes of its write-back
 * and hub-record calls and errors. `import { HubsyncClient } from 'hubsync/client'` (or this path in a monorepo).
 */
export { HubsyncClient, type HubsyncClientOptions, type HubsyncClientDeps, type JobRunHandle, type ScheduleRequest } from './hubsync-client';
export { WriteBackRefusedError } from '../activities/writeback/prepare';
export type { ExplainAnswer, Explanation, InboundExplanation } from '../activities/jobs/explain';
export type { FieldChange, NextRun, OutboundExplainAnswer, OutboundExplanation } from '../activities/jobs/explain-outbound';
export {
  CAMPAIGN_KINDS,
  HUB_RECORD_ENTITIES,
  HubRecordNotFoundError,
  HubRecordRefusedError,
  type CampaignKind,
  type CampaignTouchInput,
  type CampaignTouchRecord,
  type HubRecordEntity,
  type HubRecordInputs,
  type HubRecordListOptions,
  type HubRecordParticipant,
  type HubRecordPatch,
  type HubRecordProblem,
  type HubRecords,
  type ParticipantInput,
  type TaskInput,
  type TaskRecord,
  type TouchpointInput,
  type TouchpointRecord,
} from '../activities/hub/records';
export {
  WRITE_BACK_ORIGINS,
  WRITE_BACK_BUDGET_MS,
  type MicroSyncRefresh,
  type ReferenceMode,
  type WriteBackOrigin,
  type WriteBackOutcome,
  type WriteBackRequest,
  type WriteBackSourceOutcome,
  type WriteBackStatus,
  type WriteBackValue,
} from '../kernel/writeback';
export { HubsyncError, type ErrorKind } from '../kernel/errors';
