/**
 * What another Node service imports to use hubsync (P4): the typed client, and the shapes of its write-back
 * call and errors. `import { HubsyncClient } from 'hubsync/client'` (or this path in a monorepo).
 */
export { HubsyncClient, type HubsyncClientOptions, type HubsyncClientDeps, type JobRunHandle, type ScheduleRequest } from './hubsync-client';
export { WriteBackRefusedError } from '../activities/writeback/prepare';
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
