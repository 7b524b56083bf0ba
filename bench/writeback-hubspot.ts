/**
 * The HubSpot side of bench/writeback.ts: a HubSpot sandbox seeded with the demo portal (in its own process,
 * bench/inbound-sandbox.ts with BENCH_SANDBOX_KIND=hubspot), a custom number property `health_score` on
 * companies, a hubsync connection with the private-app token, and its accounts-inbound job from the HubSpot
 * template plus `health_score` → "Health Score": the same hub attribute as Salesforce's Health_Score__c, so
 * write-back is switched on for both at once. No matchAccountsBy: the 25 HubSpot companies become hub accounts
 * of their own, each with one source, so a write-back on one of them is a write-back to HubSpot alone.
 *
 * The floor's CRM half for HubSpot: the calls a plain write-back makes there (activities/crm/hubspot/session.ts,
 * readForWrite then updateIfUnchanged), sent directly with @hubspot/api-client on a company the hub does not
 * hold: GET the company with the ID, the stamp and the property; GET its stamp again (HubSpot has no
 * conditional update, so the connector reads it once more right before writing); PATCH the property.
 */
import { Client } from '@hubspot/api-client';
import { addConnection } from '../activities/hub/connections';
import type { SecretBox } from '../activities/hub/secrets';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate } from '../activities/mapping/job-config';
import type { Sandbox } from './processes';

export const HUBSPOT_CONNECTION_ID = 'bench-hubspot';
export const HUBSPOT_ACCOUNTS_JOB = 'bench-hubspot-accounts-inbound';
/** The company property written back: a number, as Health_Score__c is on Salesforce. */
const HEALTH_SCORE = 'health_score';
const STAMP = 'hs_lastmodifieddate';
/** What the connector's readForWrite asks for a write-back of health_score: the ID, the stamp, the property. */
const READ_PROPERTIES = ['hs_object_id', STAMP, HEALTH_SCORE];

/** @hubspot/api-client on the sandbox with its private-app token, as the connector builds its own (no client retries). */
export function hubspotClient(sandbox: Sandbox): Client {
  if (!sandbox.accessToken) throw new Error('the HubSpot sandbox process gave no access token');
  return new Client({ accessToken: sandbox.accessToken, basePath: sandbox.url });
}

/** Not measured: the property, the connection and the accounts-inbound job (run it to import the companies). */
export async function setUpHubSpot(pool: Pool, box: SecretBox, sandbox: Sandbox): Promise<void> {
  await sandbox.admin('POST', '/__admin/properties', { name: HEALTH_SCORE, label: 'Health Score', type: 'number' });
  await addConnection(pool, box, { id: HUBSPOT_CONNECTION_ID, kind: 'hubspot', baseUrl: sandbox.url, accessToken: sandbox.accessToken });
  const config = configFromTemplate('accounts-inbound', 'hubspot');
  config.mapping.push({ crmField: HEALTH_SCORE, crmFieldType: 'number', hubField: 'Health Score', hubFieldType: 'number', key: false });
  await createValidatedJob(pool, box, { id: HUBSPOT_ACCOUNTS_JOB, connectionId: HUBSPOT_CONNECTION_ID, config });
}

/**
 * The floor's own company, created after the import so the hub never holds it, and (iii) of the floor on it:
 * GET, GET, PATCH as a write-back sends them; the time of the three.
 */
export async function hubspotFloor(client: Client): Promise<{ id: string; once: () => Promise<number> }> {
  const { id } = await client.crm.companies.basicApi.create({ properties: { name: 'Bench floor company', [HEALTH_SCORE]: '50' }, associations: [] });
  let value = 50;
  const once = async () => {
    value = (value + 1) % 1000;
    const started = performance.now();
    const read = await client.crm.objects.basicApi.getById('companies', id, READ_PROPERTIES);
    const check = await client.crm.objects.basicApi.getById('companies', id, [STAMP]);
    if (check.properties[STAMP] !== read.properties[STAMP]) throw new Error(`the floor company ${id} changed between the two reads`);
    await client.crm.objects.basicApi.update('companies', id, { properties: { [HEALTH_SCORE]: String(value) } });
    return performance.now() - started;
  };
  return { id, once };
}

/** The health_score of each company, as HubSpot holds it (one batch read of at most 100). */
export async function hubspotHealthScores(client: Client, ids: string[]): Promise<Map<string, number | null>> {
  const answer = await client.crm.companies.batchApi.read({ inputs: ids.map((id) => ({ id })), properties: [HEALTH_SCORE], propertiesWithHistory: [] });
  return new Map(
    answer.results.map((r) => {
      const v = r.properties[HEALTH_SCORE];
      return [String(r.id), v === null || v === undefined || v === '' ? null : Number(v)];
    }),
  );
}
