/**
 * The demo `npm start` sets up on the local Salesforce sandbox, so a newcomer sees jobs work end to end:
 * a `demo` connection and all six job kinds from their templates (touchpoints with participants; outbound keyed
 * on the org's External ID field, so creates are exactly-once), enabled and scheduled every 15 minutes, and one
 * run of each when it is created. Once the accounts are in, write-back is switched on for three attributes
 * (DEMO_WRITE_BACK), and the hub gets a few tasks, touchpoints and campaign touches of its own, as the hub's
 * application would create them, for the outbound jobs to send. The HubSpot sandbox's companies and the
 * Dataverse sandbox's accounts come in through `demo-hubspot` and `demo-dynamics` connections, one of each
 * linked to the same Salesforce account (W5 across the three CRMs). Existing connections and jobs are kept as
 * they are (a second start reuses them).
 */
import { addConnection, listConnections } from '../activities/hub/connections';
import { listJobs, setJobEnabled } from '../activities/hub/jobs';
import type { SecretBox } from '../activities/hub/secrets';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../activities/mapping/job-config';
import { JOB_KIND_INFO, type JobKind } from '../kernel/job-kinds';
import type { DynamicsSandboxHandle } from '../sandbox/dynamics';
import type { HubSpotSandboxHandle } from '../sandbox/hubspot';
import type { SalesforceSandboxHandle } from '../sandbox/salesforce';
import type { JobRunResult } from '../kernel/runs';
import { totalOf } from '../kernel/stats';
import { START_CURSOR } from '../kernel/cursors';
import { openSession } from '../activities/sessions';
import type { HubsyncClient } from './hubsync-client';

export const DEMO_CONNECTION = 'demo';
/** The local HubSpot sandbox's demo portal: its companies become hub accounts too. */
export const DEMO_HUBSPOT_CONNECTION = 'demo-hubspot';
export const DEMO_HUBSPOT_JOB = `${DEMO_HUBSPOT_CONNECTION}-accounts-inbound`;
/** The local Dataverse sandbox's demo environment: its accounts become hub accounts too. */
export const DEMO_DYNAMICS_CONNECTION = 'demo-dynamics';
export const DEMO_DYNAMICS_JOB = `${DEMO_DYNAMICS_CONNECTION}-accounts-inbound`;
export const DEMO_SCHEDULE = { every: '15m' } as const;

const DEMO_KINDS: JobKind[] = ['accounts-inbound', 'tasks-inbound', 'touchpoints-inbound', 'tasks-outbound', 'touchpoints-outbound', 'campaign-touch-outbound'];

/** The demo org's External ID field on Task and Event (sandbox/salesforce/demo-data.ts). */
const DEMO_EXTERNAL_ID_FIELD = 'Hubsync_External_Id__c';

export const demoJobId = (kind: JobKind) => `${DEMO_CONNECTION}-${kind}`;

function demoConfig(kind: JobKind): JobConfig {
  const config = { ...configFromTemplate(kind), schedule: DEMO_SCHEDULE };
  if (kind === 'touchpoints-inbound' || kind === 'touchpoints-outbound') {
    // Participants come from and go to the Event's WhoId (T23); the integration guide recommends this mapping.
    config.mapping = [...config.mapping, { crmField: 'WhoId', crmFieldType: 'reference', hubField: 'Participants', hubFieldType: 'participants', key: false }];
  }
  if (JOB_KIND_INFO[kind].direction === 'outbound') {
    // Keyed on an External ID field: hubsync writes the hub record's key there and creates by upsert, exactly once.
    config.mapping = config.mapping.map((r) => (r.key && r.hubField !== 'Account Id' ? { ...r, crmField: DEMO_EXTERNAL_ID_FIELD } : r));
  }
  return config;
}

/**
 * Hub records for the outbound jobs, on the first three demo accounts, owned by each account's Success
 * Manager (a CRM user, so the owner resolves): what a customer-success team would have entered in the hub.
 */
async function createDemoHubRecords(deps: DemoDeps): Promise<void> {
  const { pool, hubsync, log } = deps;
  const { rows } = await pool.query<{ id: number; name: string; email: string }>(
    `SELECT a.id, a.name, u.email FROM record_links l
       JOIN accounts a ON a.id = l.hub_id
       JOIN account_assignments s ON s.account_id = a.id AND s.connection_id = l.connection_id
       JOIN hub_users u ON u.id = s.user_id
      WHERE l.connection_id = $1 AND l.hub_type = 'account' ORDER BY a.name LIMIT 3`,
    [DEMO_CONNECTION],
  );
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString();
  for (const [i, a] of rows.entries()) {
    await hubsync.createHubRecord('task', { accountId: a.id, title: `Prepare renewal plan for ${a.name}`, status: 'Not Started', priority: 'High', dueDate: day(7 + i).slice(0, 10), assigneeEmail: a.email });
    await hubsync.createHubRecord('touchpoint', { accountId: a.id, subject: `Quarterly business review with ${a.name}`, content: 'Adoption, open tickets, next steps.', touchpointDate: day(-1 - i), creatorEmail: a.email });
    await hubsync.createHubRecord('campaign_touch', { accountId: a.id, campaignName: 'Winter onboarding', campaignKind: i === 0 ? 'one_time' : 'ongoing', recipientCount: 5 + i, senderEmail: a.email, startDate: day(-2), createdByEmail: a.email });
  }
  log(`Demo: created ${rows.length * 3} hub records (tasks, touchpoints, campaign touches) for the outbound jobs; change them with \`npx hubsync hub task list\` and friends.`);
}

/**
 * Write-back the demo switches on once its accounts are imported (W1, W2): a text attribute, a multi-select
 * picklist, and the Success Manager account assignment (Owner.Email, re-pointed; Owner.Name and Owner.Phone
 * are refreshed by micro-sync, W11).
 */
export const DEMO_WRITE_BACK = ['account_notes', 'products', 'success_manager'] as const;

async function enableDemoWriteBack(deps: DemoDeps): Promise<void> {
  const { pool, hubsync, log } = deps;
  for (const key of DEMO_WRITE_BACK) await hubsync.setAttributeWriteBack(key, { on: true });
  // The example names the account with the most sources (one in each CRM, when the demos linked them).
  const { rows } = await pool.query<{ crm_id: string; name: string }>(
    `SELECT l.crm_id, a.name FROM record_links l JOIN accounts a ON a.id = l.hub_id
      WHERE l.connection_id = $1 AND l.hub_type = 'account'
      ORDER BY (SELECT count(*) FROM record_links h WHERE h.hub_type = 'account' AND h.hub_id = a.id) DESC, a.name LIMIT 1`,
    [DEMO_CONNECTION],
  );
  log(`Demo: write-back is on for ${DEMO_WRITE_BACK.join(', ')}.`);
  const example = rows[0];
  if (example) {
    log(`Demo: try it on ${example.name}: npx hubsync writeback ${DEMO_CONNECTION}:${example.crm_id} --set account_notes="Renewal call booked" --set products=Analytics --set products=Engage`);
  }
}

export interface DemoDeps {
  pool: Pool;
  secretBox: SecretBox;
  hubsync: HubsyncClient;
  sandbox: SalesforceSandboxHandle;
  hubspot: HubSpotSandboxHandle;
  dynamics: DynamicsSandboxHandle;
  log: (line: string) => void;
}

/** An accounts-inbound demo on another CRM's sandbox, the same hub attributes as Salesforce's. */
interface CrmDemo {
  name: string;
  connectionId: string;
  jobId: string;
  /** The table or object its accounts are read from (the first one is linked by hand). */
  object: string;
  connection(deps: DemoDeps): Record<string, unknown>;
  config(): JobConfig;
}

/** A CRM's accounts template plus its tier and products, mapped to the hub's Tier and Products. */
function demoAccountsConfig(crm: 'hubspot' | 'dynamics', tier: string, products: string): JobConfig {
  const config = { ...configFromTemplate('accounts-inbound', crm), schedule: DEMO_SCHEDULE };
  config.mapping = [
    ...config.mapping,
    { crmField: tier, crmFieldType: 'choice', hubField: 'Tier', hubFieldType: 'single_select', key: false },
    { crmField: products, crmFieldType: 'multi-select choice', hubField: 'Products', hubFieldType: 'multi_select', key: false },
  ];
  return config;
}

const CRM_DEMOS: CrmDemo[] = [
  {
    name: 'HubSpot',
    connectionId: DEMO_HUBSPOT_CONNECTION,
    jobId: DEMO_HUBSPOT_JOB,
    object: 'companies',
    connection: (deps) => ({ kind: 'hubspot', baseUrl: deps.hubspot.url, accessToken: deps.hubspot.accessToken }),
    config: () => demoAccountsConfig('hubspot', 'tier', 'products'),
  },
  {
    name: 'Dataverse',
    connectionId: DEMO_DYNAMICS_CONNECTION,
    jobId: DEMO_DYNAMICS_JOB,
    object: 'accounts',
    connection: ({ dynamics: d }) => ({ kind: 'dynamics', baseUrl: d.url, tenantId: d.tenantId, clientId: d.clientId, clientSecret: d.clientSecret, tokenUrl: d.tokenUrl }),
    config: () => demoAccountsConfig('dynamics', 'hubsync_tier', 'hubsync_products'),
  },
];

/**
 * Another CRM's side of the demo (W5 across CRMs): its first account is linked by hand to the first Salesforce
 * demo account (the one the write-back example names) before its accounts are imported, so that account has a
 * source in each CRM and one write-back of `products` writes all of them.
 */
async function setUpCrmDemo(deps: DemoDeps, demo: CrmDemo, account: number | undefined): Promise<void> {
  const { pool, secretBox, hubsync, log } = deps;
  const session = await openSession(pool, secretBox, demo.connectionId);
  const first = (await session.readPage({ object: demo.object, paths: [] }, START_CURSOR, { pageSize: 1, includeDeleted: false })).records[0]?.id;
  if (account !== undefined && first) {
    await hubsync.linkAccount({ account, connectionId: demo.connectionId, crmId: first });
    log(`Demo: linked ${demo.name} ${demo.object} ${first} to hub account ${account} (\`hubsync account show ${account}\`).`);
  }
  log(`Demo: ${demo.jobId} run done (${(await hubsync.runJob(demo.jobId, 'incremental')).stats.created} created).`);
}

/**
 * Creates what is missing; each job it creates is enabled, scheduled and run once (accounts first: tasks and
 * touchpoints need their parents matched). Jobs that exist already are left as the user left them, so a
 * second start neither re-enables a disabled demo job nor runs it again.
 */
export async function setUpDemo(deps: DemoDeps): Promise<{ jobs: string[]; created: string[]; firstRuns: Promise<void> }> {
  const { pool, secretBox, hubsync, sandbox, log } = deps;
  const connections = await listConnections(pool);
  if (!connections.some((c) => c.id === DEMO_CONNECTION)) {
    const c = sandbox.credentials;
    await addConnection(pool, secretBox, { id: DEMO_CONNECTION, kind: 'salesforce', baseUrl: sandbox.url, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken });
    log(`Demo: added connection '${DEMO_CONNECTION}' to the Salesforce sandbox.`);
  }
  const existing = new Set((await listJobs(pool)).map((j) => j.id));
  const crmDemosCreated: CrmDemo[] = [];
  for (const demo of CRM_DEMOS) {
    if (!connections.some((c) => c.id === demo.connectionId)) {
      await addConnection(pool, secretBox, { id: demo.connectionId, ...demo.connection(deps) });
      log(`Demo: added connection '${demo.connectionId}' to the ${demo.name} sandbox.`);
    }
    if (existing.has(demo.jobId)) continue;
    await createValidatedJob(pool, secretBox, { id: demo.jobId, connectionId: demo.connectionId, config: demo.config() });
    await setJobEnabled(pool, demo.jobId, true);
    await hubsync.schedule(demo.jobId, DEMO_SCHEDULE);
    crmDemosCreated.push(demo);
    log(`Demo: created job '${demo.jobId}' from the ${demo.name} accounts-inbound template, scheduled every ${DEMO_SCHEDULE.every}.`);
  }
  const created: JobKind[] = [];
  for (const kind of DEMO_KINDS) {
    const id = demoJobId(kind);
    if (existing.has(id)) continue;
    await createValidatedJob(pool, secretBox, { id, connectionId: DEMO_CONNECTION, config: demoConfig(kind) });
    await setJobEnabled(pool, id, true);
    await hubsync.schedule(id, DEMO_SCHEDULE);
    created.push(kind);
    log(`Demo: created job '${id}' from the ${kind} template, scheduled every ${DEMO_SCHEDULE.every}.`);
  }
  const describe = (kind: JobKind, r: JobRunResult) =>
    `Demo: ${demoJobId(kind)} run ${r.runId} done (${r.stats.created} created, ${r.stats.updated} updated, ${totalOf(r.stats.skipped)} skipped, ${totalOf(r.stats.rejected)} rejected).`;
  // Accounts first (the others need their parents matched), then the inbound jobs, then the outbound ones, which
  // send the hub's own records (and recognise what inbound just brought as no change of the hub's).
  const run = async (kinds: JobKind[]) => {
    await Promise.all(kinds.map(async (kind) => log(describe(kind, await hubsync.runJob(demoJobId(kind), 'incremental')))));
  };
  const firstRuns = (async () => {
    if (created.includes('accounts-inbound')) await run(['accounts-inbound']);
    // Chosen once: a linked import brings the other CRM's account name, which changes the order by name.
    const { rows } = await pool.query<{ id: number }>(
      `SELECT a.id FROM record_links l JOIN accounts a ON a.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'account' ORDER BY a.name LIMIT 1`,
      [DEMO_CONNECTION],
    );
    for (const demo of crmDemosCreated) await setUpCrmDemo(deps, demo, rows[0]?.id);
    if (created.includes('accounts-inbound')) await enableDemoWriteBack(deps);
    await run(created.filter((k) => k !== 'accounts-inbound' && JOB_KIND_INFO[k].direction === 'inbound'));
    const outbound = created.filter((k) => JOB_KIND_INFO[k].direction === 'outbound');
    if (outbound.length) await createDemoHubRecords(deps);
    await run(outbound);
  })();
  return { jobs: [...DEMO_KINDS.map(demoJobId), ...CRM_DEMOS.map((d) => d.jobId)], created: [...created.map(demoJobId), ...crmDemosCreated.map((d) => d.jobId)], firstRuns };
}
