// `hubsync worker` (the production worker process): polls the task queue, runs workflows, and shuts
// down cleanly on SIGTERM.
import { HubsyncClient } from '../../client/hubsync-client';
import { CliProcess, runCli } from '../support/cli';
import { fileTaskQueue, testStack } from '../support/test-env';

describe('hubsync worker process', () => {
  it('refuses to start without TEMPORAL_ADDRESS and DATABASE_URL', async () => {
    const result = await runCli(['worker'], { TEMPORAL_ADDRESS: '', DATABASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs TEMPORAL_ADDRESS and DATABASE_URL/);
  });

  it('executes workflows and exits 0 on SIGTERM', async () => {
    const taskQueue = fileTaskQueue();
    const worker = new CliProcess(['worker'], { TEMPORAL_ADDRESS: testStack.temporalAddress, DATABASE_URL: testStack.databaseUrl, HUBSYNC_TASK_QUEUE: taskQueue });
    try {
      await worker.waitFor(`polls task queue "${taskQueue}"`, 60000);
      const client = await HubsyncClient.connect({ temporalAddress: testStack.temporalAddress, databaseUrl: testStack.databaseUrl, taskQueue });
      try {
        const result = await client.probe({ requestedBy: 'worker-process test' });
        expect(result.workerIdentity).toMatch(new RegExp(`:${worker.child.pid}$`));
      } finally {
        await client.close();
      }
      worker.child.kill('SIGTERM');
      await expect(worker.exited(30000)).resolves.toBe(0);
      expect(worker.output).toContain('Worker stopped.');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});
