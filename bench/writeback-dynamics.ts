/**
 * The Dataverse side of bench/writeback.ts: a Dataverse sandbox seeded with the demo org (in its own process,
 * bench/inbound-sandbox.ts with BENCH_SANDBOX_KIND=dynamics), a hubsync connection with the sandbox's
 * client-credentials app, and its accounts-inbound job from the Dataverse template plus `numberofemployees` (a
 * whole number column of accounts) → "Health Score": the same hub attribute as Salesforce's Health_Score__c and
 * HubSpot's health_score, so write-back is switched on for all three at once. No matchAccountsBy: the 25
 * Dataverse accounts become hub accounts of their own, each with one source, so a write-back on one of them is
 * a write-back to Dataverse alone.
 *
 * The floor's CRM half for Dataverse: the calls a plain write-back makes there (activities/crm/dynamics/session.ts,
 * readForWrite then updateIfUnchanged), sent directly with dynamics-web-api on an account the hub does not
 * hold: GET the row with the ID, the stamp, the version and the column (what readForWrite selects); PATCH the
 * column with `If-Match: W/"<versionnumber>"` of that read.
 */
import { DynamicsWebApi } from 'dynamics-web-api';
import { addConnection } from '../activities/hub/connections';
import type { SecretBox } from '../activities/hub/secrets';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate } from '../activities/mapping/job-config';
import type { Sandbox } from './processes';

export const DYNAMICS_CONNECTION_ID = 'bench-dynamics';
export const DYNAMICS_ACCOUNTS_JOB = 'bench-dynamics-accounts-inbound';
/** The account column written back: a number, as Health_Score__c is on Salesforce. */
const HEALTH_SCORE = 'numberofemployees';
const ACCOUNTS = 'accounts';
const VERSION = 'versionnumber';
/** What the connector's readForWrite selects for a write-back of numberofemployees: the ID, the stamp, the version, the column. */
const READ_COLUMNS = ['accountid', 'modifiedon', VERSION, HEALTH_SCORE];
/** Take a new token this long before the one held expires (the connector's margin). */
const TOKEN_MARGIN_MS = 60_000;

function dataverseOf(sandbox: Sandbox): { tenantId: string; tokenUrl: string; scope: string } {
  if (!sandbox.dataverse) throw new Error('the Dataverse sandbox process gave no tenant or token endpoint');
  return sandbox.dataverse;
}

/**
 * dynamics-web-api on the sandbox with a client-credentials token of the same app, kept until a minute before it
 * expires, as the connector keeps its own (dynamics-web-api asks for a token before every request); a refused
 * update rejects instead of answering false, as the connector has it (propagateErrors).
 */
export function dynamicsClient(sandbox: Sandbox): DynamicsWebApi {
  const { tokenUrl, scope } = dataverseOf(sandbox);
  const { clientId, clientSecret } = sandbox.credentials;
  let held: { token: string; until: number } | undefined;
  const token = async () => {
    if (held && Date.now() < held.until) return held.token;
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }).toString(),
    });
    if (!res.ok) throw new Error(`the Dataverse sandbox's token endpoint: HTTP ${res.status} ${await res.text()}`);
    const answer = (await res.json()) as { access_token: string; expires_in: number };
    held = { token: answer.access_token, until: Date.now() + answer.expires_in * 1000 - TOKEN_MARGIN_MS };
    return held.token;
  };
  return new DynamicsWebApi({ serverUrl: sandbox.url, dataApi: { version: '9.2' }, onTokenRefresh: token, propagateErrors: true });
}

/** Not measured: the connection and the accounts-inbound job with numberofemployees → Health Score (run it to import the accounts). */
export async function setUpDynamics(pool: Pool, box: SecretBox, sandbox: Sandbox): Promise<void> {
  const { tenantId, tokenUrl } = dataverseOf(sandbox);
  const { clientId, clientSecret } = sandbox.credentials;
  await addConnection(pool, box, { id: DYNAMICS_CONNECTION_ID, kind: 'dynamics', baseUrl: sandbox.url, tenantId, clientId, clientSecret, tokenUrl });
  const config = configFromTemplate('accounts-inbound', 'dynamics');
  config.mapping.push({ crmField: HEALTH_SCORE, crmFieldType: 'integer', hubField: 'Health Score', hubFieldType: 'number', key: false });
  await createValidatedJob(pool, box, { id: DYNAMICS_ACCOUNTS_JOB, connectionId: DYNAMICS_CONNECTION_ID, config });
}

/**
 * The floor's own account, created after the import so the hub never holds it, and (iv) of the floor on it:
 * GET, then PATCH with If-Match on the version read, as a write-back sends them; the time of the two.
 */
export async function dynamicsFloor(client: DynamicsWebApi): Promise<{ id: string; once: () => Promise<number> }> {
  const id = String(await client.create<Record<string, unknown>, string>({ collection: ACCOUNTS, data: { name: 'Bench floor account', [HEALTH_SCORE]: 50 } })).toLowerCase();
  let value = 50;
  const once = async () => {
    value = (value + 1) % 1000;
    const started = performance.now();
    const read = await client.retrieve<Record<string, unknown>>({ collection: ACCOUNTS, key: id, select: READ_COLUMNS });
    const version = read[VERSION];
    if (version === undefined || version === null) throw new Error(`the floor account ${id} was read without its ${VERSION}`);
    // A 412 (the row changed between the read and the PATCH) rejects: propagateErrors.
    await client.update({ collection: ACCOUNTS, key: id, data: { [HEALTH_SCORE]: value }, ifmatch: `W/"${String(version)}"` });
    return performance.now() - started;
  };
  return { id, once };
}

/** The numberofemployees of each account, as Dataverse holds it (one read of at most 25 IDs, as the connector reads by ID). */
export async function dynamicsHealthScores(client: DynamicsWebApi, ids: string[]): Promise<Map<string, number | null>> {
  const answer = await client.retrieveMultiple<Record<string, unknown>>({ collection: ACCOUNTS, select: ['accountid', HEALTH_SCORE], filter: ids.map((id) => `accountid eq ${id}`).join(' or ') });
  return new Map(answer.value.map((r) => [String(r['accountid']).toLowerCase(), typeof r[HEALTH_SCORE] === 'number' ? r[HEALTH_SCORE] : null]));
}
