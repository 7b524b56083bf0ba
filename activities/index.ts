/**
 * All activities, built by one factory from their dependencies (the worker builds the deps). Workflows
 * import this module as a type only: `proxyActivities<ReturnType<typeof createActivities>>()`.
 */
import { Context } from '@temporalio/activity';
import type { ProbeInput, ProbeResult } from '../kernel/runs';
import { sessionCache } from './sessions';
import type { SecretBox } from './hub/secrets';
import type { Pool } from './hub/store';
import { createInboundRunActivities } from './jobs/inbound-run';
import { createOutboundRunActivities } from './jobs/outbound-run';
import { createRunActivities } from './jobs/run';
import { createWriteBackActivities } from './writeback/apply';

export interface ActivityDeps {
  pool: Pool;
  /** The key for connection secrets; resolved on first use, so a worker without one still serves probes. */
  secretBox: () => SecretBox;
  /** Records per CRM page (default: the CRM's maximum). */
  pageSize?: number;
}

export function createActivities(deps: ActivityDeps) {
  const session = sessionCache(deps.pool, deps.secretBox);
  return {
    ...createRunActivities({ pool: deps.pool, session }),
    ...createWriteBackActivities({ pool: deps.pool, session }),
    ...createInboundRunActivities({ pool: deps.pool, session, ...(deps.pageSize ? { pageSize: deps.pageSize } : {}) }),
    ...createOutboundRunActivities({ pool: deps.pool, session, ...(deps.pageSize ? { pageSize: deps.pageSize } : {}) }),
    /** Writes (idempotently: upsert by probe ID) the probe row and returns what the database recorded. */
    async recordProbe(input: ProbeInput): Promise<ProbeResult> {
      const identity = Context.current().info.taskQueue + '@' + (process.env['HOSTNAME'] ?? 'local') + ':' + process.pid;
      const { rows } = await deps.pool.query<{ recorded_at: string; worker_identity: string }>(
        `INSERT INTO worker_probes (probe_id, requested_by, worker_identity)
         VALUES ($1, $2, $3)
         ON CONFLICT (probe_id) DO UPDATE SET worker_identity = EXCLUDED.worker_identity
         RETURNING recorded_at, worker_identity`,
        [input.probeId, input.requestedBy, identity],
      );
      const row = rows[0];
      if (!row) throw new Error(`worker_probes upsert for ${input.probeId} returned no row`);
      return { probeId: input.probeId, workerIdentity: row.worker_identity, recordedAt: row.recorded_at };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
