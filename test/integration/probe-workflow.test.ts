// P1/P4 foundation: a real workflow on the Temporal dev server, executed by a real hubsync worker, whose
// activity writes to the real PostgreSQL.
import { HubsyncClient } from '../../client/hubsync-client';
import { makeProbeWorkflowId } from '../../kernel/ids';
import { testPool, testStack, withWorker } from '../support/test-env';

describe('probe workflow (worker + Temporal + PostgreSQL end to end)', () => {
  const pool = testPool();
  afterAll(() => pool.end());

  it('runs on the worker and its activity writes the probe row', async () => {
    const client = await HubsyncClient.connect({ temporalAddress: testStack.temporalAddress, databaseUrl: testStack.databaseUrl });
    try {
      // The default task queue: no other test file polls it, and the probe runs where the product runs it.
      const result = await withWorker(pool, () => client.probe({ requestedBy: 'jest' }), { taskQueue: 'hubsync' });

      const { rows } = await pool.query('SELECT requested_by, worker_identity, recorded_at FROM worker_probes WHERE probe_id = $1', [result.probeId]);
      expect(rows).toHaveLength(1);
      expect(rows[0].requested_by).toBe('jest');
      expect(rows[0].worker_identity).toBe(result.workerIdentity);
      expect(rows[0].recorded_at).toBe(result.recordedAt);

      const description = await client.temporal.workflow.getHandle(makeProbeWorkflowId(result.probeId)).describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.taskQueue).toBe('hubsync');
    } finally {
      await client.close();
    }
  });

  it('fails the probe when no worker polls the task queue, instead of hanging', async () => {
    const client = await HubsyncClient.connect({ temporalAddress: testStack.temporalAddress, databaseUrl: testStack.databaseUrl });
    try {
      await expect(client.probe({ requestedBy: 'jest', timeoutMs: 2000 })).rejects.toThrow(/timed out|Workflow execution/i);
    } finally {
      await client.close();
    }
  });
});
