/**
 * The typed client service code uses: one Temporal connection and one hub store pool. Later capabilities
 * (run job, schedules, write-back) are methods here, each starting the workflow with its definitions.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createPool, type Pool } from '../activities/hub/store';
import { makeProbeWorkflowId, TASK_QUEUE, type ProbeResult } from '../workflows/definitions';
import type { probeWorkflow } from '../workflows';

export interface HubsyncClientOptions {
  temporalAddress: string;
  namespace?: string;
  databaseUrl: string;
}

export class HubsyncClient {
  private constructor(
    readonly temporal: Client,
    private readonly connection: Connection,
    readonly pool: Pool,
  ) {}

  static async connect(opts: HubsyncClientOptions): Promise<HubsyncClient> {
    const connection = await Connection.connect({ address: opts.temporalAddress, connectTimeout: 5000 });
    const temporal = new Client({ connection, namespace: opts.namespace ?? 'default' });
    return new HubsyncClient(temporal, connection, createPool(opts.databaseUrl, { max: 4, applicationName: 'hubsync-client' }));
  }

  /**
   * Runs the end-to-end probe workflow: Temporal dispatches it to a worker, whose activity writes a row
   * in the hub store. Resolves with what the worker recorded; rejects if no worker answers in time.
   */
  async probe(opts: { requestedBy: string; timeoutMs?: number }): Promise<ProbeResult> {
    const probeId = randomUUID();
    const handle = await this.temporal.workflow.start<typeof probeWorkflow>('probeWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: makeProbeWorkflowId(probeId),
      args: [{ probeId, requestedBy: opts.requestedBy }],
      workflowExecutionTimeout: `${Math.ceil((opts.timeoutMs ?? 20000) / 1000)} seconds`,
    });
    return handle.result();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.connection.close(), this.pool.end()]);
  }
}
