/**
 * The demo `npm start` sets up on the local Salesforce sandbox, so a newcomer sees jobs work end to end:
 * a `demo` connection, the three inbound jobs from their templates (touchpoints with participants),
 * enabled and scheduled every 15 minutes, and a first run of each (accounts first: tasks and touchpoints
 * need their parents matched). Existing connection and jobs are kept as they are (a second start reuses them).
 */
import { addConnection, listConnections } from '../activities/hub/connections';
import { listJobs, setJobEnabled } from '../activities/hub/jobs';
import type { SecretBox } from '../activities/hub/secrets';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../activities/mapping/job-config';
import type { JobKind } from '../kernel/job-kinds';
import type { SalesforceSandboxHandle } from '../sandbox/salesforce';
import type { HubsyncClient } from './hubsync-client';

export const DEMO_CONNECTION = 'demo';
export const DEMO_SCHEDULE = { every: '15m' } as const;

const DEMO_KINDS: JobKind[] = ['accounts-inbound', 'tasks-inbound', 'touchpoints-inbound'];

export const demoJobId = (kind: JobKind) => `${DEMO_CONNECTION}-${kind}`;

function demoConfig(kind: JobKind): JobConfig {
  const config = { ...configFromTemplate(kind), schedule: DEMO_SCHEDULE };
  if (kind === 'touchpoints-inbound') {
    // Participants come from the Event's WhoId (T23); seed 001 recommends this mapping.
    config.mapping = [...config.mapping, { crmField: 'WhoId', crmFieldType: 'reference', hubField: 'Participants', hubFieldType: 'participants', key: false }];
  }
  return config;
}

export interface DemoDeps {
  pool: Pool;
  secretBox: SecretBox;
  hubsync: HubsyncClient;
  sandbox: SalesforceSandboxHandle;
  log: (line: string) => void;
}

/** Creates what is missing, schedules the jobs, and returns a promise of the first runs (accounts, then the rest). */
export async function setUpDemo(deps: DemoDeps): Promise<{ jobs: string[]; firstRuns: Promise<void> }> {
  const { pool, secretBox, hubsync, sandbox, log } = deps;
  const connections = await listConnections(pool);
  if (!connections.some((c) => c.id === DEMO_CONNECTION)) {
    const c = sandbox.credentials;
    await addConnection(pool, secretBox, { id: DEMO_CONNECTION, kind: 'salesforce', baseUrl: sandbox.url, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken });
    log(`Demo: added connection '${DEMO_CONNECTION}' to the Salesforce sandbox.`);
  }
  const existing = new Set((await listJobs(pool)).map((j) => j.id));
  for (const kind of DEMO_KINDS) {
    const id = demoJobId(kind);
    if (!existing.has(id)) {
      await createValidatedJob(pool, secretBox, { id, connectionId: DEMO_CONNECTION, config: demoConfig(kind) });
      log(`Demo: created job '${id}' from the ${kind} template.`);
    }
    await setJobEnabled(pool, id, true);
    await hubsync.schedule(id, DEMO_SCHEDULE);
  }
  const jobs = DEMO_KINDS.map(demoJobId);
  const firstRuns = (async () => {
    const result = await hubsync.runJob(demoJobId('accounts-inbound'), 'incremental');
    log(`Demo: ${demoJobId('accounts-inbound')} run ${result.runId} done (${result.stats.created} created, ${result.stats.updated} updated).`);
    await Promise.all(
      DEMO_KINDS.slice(1).map(async (kind) => {
        const r = await hubsync.runJob(demoJobId(kind), 'incremental');
        log(`Demo: ${demoJobId(kind)} run ${r.runId} done (${r.stats.created} created, ${r.stats.updated} updated, ${Object.values(r.stats.skipped).reduce((a, b) => a + b, 0)} skipped, ${Object.values(r.stats.rejected).reduce((a, b) => a + b, 0)} rejected).`);
      }),
    );
  })();
  return { jobs, firstRuns };
}
