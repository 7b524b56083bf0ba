/**
 * What the write-back tests share: an accounts-inbound mapping whose attributes carry the test file's own
 * prefix (test files run in parallel on one hub database, and attribute definitions are global), the import
 * that creates the attributes and their sources, and a worker that runs for the whole file.
 */
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import type { Pool } from '../../activities/hub/store';
import type { HubsyncClient } from '../../client/hubsync-client';
import type { HubsyncWorker } from '../../workers/worker';
import { testSecretBox } from './salesforce';
import { createFileWorker } from './test-env';

/**
 * The accounts-inbound template with every attribute label prefixed ("Tier" → "<prefix> Tier", key
 * `<prefix>_tier`), the account name also kept as `<prefix> Account Key` to match accounts across connections,
 * and `extra` rows appended.
 */
export function prefixedAccountsConfig(prefix: string, extra: Array<{ crmField: string; hubField: string; hubFieldType: string }> = []): JobConfig {
  const config = configFromTemplate('accounts-inbound');
  config.mapping = [
    ...config.mapping.map((r) => (r.key || r.hubField === 'Account Name' ? r : { ...r, hubField: `${prefix} ${r.hubField}` })),
    { crmField: 'Name', crmFieldType: 'text', hubField: `${prefix} Account Key`, hubFieldType: 'text', key: false },
    ...extra.map((e) => ({ ...e, crmFieldType: '', key: false })),
  ];
  config.matchAccountsBy = `${prefix} Account Key`;
  return config;
}

/** A HubSpot or Dataverse accounts-inbound template with its attribute labels prefixed the same way, and `extra` rows appended. */
export function prefixedCrmAccountsConfig(crm: 'hubspot' | 'dynamics', prefix: string, extra: Array<{ crmField: string; hubField: string; hubFieldType: string }> = []): JobConfig {
  const config = configFromTemplate('accounts-inbound', crm);
  config.mapping = [
    ...config.mapping.map((r) => (r.key || r.hubField === 'Account Name' ? r : { ...r, hubField: `${prefix} ${r.hubField}` })),
    ...extra.map((e) => ({ ...e, crmFieldType: '', key: false })),
  ];
  return config;
}

export const prefixedHubSpotAccountsConfig = (prefix: string, extra: Array<{ crmField: string; hubField: string; hubFieldType: string }> = []): JobConfig => prefixedCrmAccountsConfig('hubspot', prefix, extra);

/** Creates the accounts-inbound job of a connection and runs it once (a worker must poll the file's queue). */
export async function importAccounts(pool: Pool, hubsync: HubsyncClient, connectionId: string, config: JobConfig): Promise<void> {
  const jobId = `${connectionId}-accounts`;
  await createValidatedJob(pool, testSecretBox, { id: jobId, connectionId, config });
  await hubsync.runJob(jobId, 'full');
}

/** A real hubsync worker on the file's task queue, running until stop(). */
export async function startFileWorker(pool: Pool): Promise<{ worker: HubsyncWorker; stop(): Promise<void> }> {
  const worker = await createFileWorker(pool, { secretBox: () => testSecretBox });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

/** The hub account linked to a CRM record on a connection. */
export async function hubAccountOf(pool: Pool, connectionId: string, crmId: string): Promise<number> {
  const { rows } = await pool.query<{ hub_id: string }>(`SELECT hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' AND crm_id = $2`, [connectionId, crmId]);
  if (!rows[0]) throw new Error(`no hub account linked to ${connectionId}:${crmId}`);
  return Number(rows[0].hub_id);
}

/** Requests the sandbox logged, by method and path glob. */
export async function loggedRequests(admin: (method: string, path: string) => Promise<unknown>, method: string, path: string): Promise<Array<{ method: string; path: string; status: number }>> {
  const answer = (await admin('GET', `/__admin/requests?method=${method}&path=${encodeURIComponent(path)}`)) as { requests: Array<{ method: string; path: string; status: number }> };
  return answer.requests;
}
