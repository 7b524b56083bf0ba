/**
 * The kinds of chaos trial: each sets up its CRM sandbox and its hub (without faults), then starts the work
 * the faults and the crash are aimed at, reports its progress in units the crash plan counts (committed pages
 * of the run, completed write-backs), waits for it through worker deaths and outages, and finally checks the
 * result against the CRM sandbox's own data and the hub: every record once on each side, equal field by
 * field as the job maps it, the run's statistics exact and the run completed, or every write-back applied
 * once with its log consistent. A check returns the first thing that is wrong, named.
 */
import { setMaxListeners } from 'node:events';
import { Client as HubSpotClient } from '@hubspot/api-client';
import type { Connection as SfConnection } from 'jsforce';
import { WorkflowFailedError } from '@temporalio/client';
import { openSalesforce } from '../../activities/crm/salesforce/client';
import { addConnection } from '../../activities/hub/connections';
import type { Pool } from '../../activities/hub/store';
import { createValidatedJob } from '../../activities/jobs/configure';
import { configFromTemplate, type JobConfig } from '../../activities/mapping/job-config';
import { WriteBackRefusedError } from '../../activities/writeback/prepare';
import type { Sandbox } from '../../bench/processes';
import type { HubsyncClient } from '../../client/hubsync-client';
import type { JobRunResult } from '../../kernel/runs';
import { emptyStats, type RunStats } from '../../kernel/stats';
import type { WriteBackOutcome } from '../../kernel/writeback';
import { Prng } from '../../sandbox/salesforce/prng';
import type { Crm, TrialKind, TrialPlan } from './plan';
import type { ChaosStack, WorkerSupervisor } from './stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EXTERNAL_ID_FIELD = 'Hubsync_External_Id__c';
const PARENT_ACCOUNTS = 20;
const OWNER_EMAIL = 'chaos-owner@hubsync.test';
/** How long the work of a trial may take, crash and outage included, before the trial fails. */
export const WORK_DEADLINE_MS = 240_000;

/** What a trial runs with. */
export interface TrialContext {
  stack: ChaosStack;
  plan: TrialPlan;
  records: number;
  pool: Pool;
  hubsync: HubsyncClient;
  workers: WorkerSupervisor;
  /** Prefix of the trial's connection and job IDs (`t3`). */
  id: string;
  log: (line: string) => void;
}

/** The work of a trial, set up and ready to start. */
export interface Work {
  /** Progress units the whole work takes (pages, write-backs; an inbound run's deletions page included); the crash plan counts in these. */
  units: number;
  unitName: string;
  /** The CRMs whose sandboxes get the fault plan. */
  crms: Crm[];
  /** Units done so far; -1 before the work has begun (no run row yet). */
  progress(): Promise<number>;
  /** Starts the work and waits until it is done (or throws: the trial fails with that). */
  run(): Promise<void>;
  /** The first thing wrong after the work, or undefined when everything checks. */
  check(): Promise<string | undefined>;
}

// ----------------------------------------------------------------------------------------------- helpers

/** Retries `body` on any error (a restarting Temporal or PostgreSQL) until the deadline; then the last error. */
async function retrying<T>(deadline: number, body: () => Promise<T>, giveUp: (err: unknown) => boolean = () => false): Promise<T> {
  for (;;) {
    try {
      return await body();
    } catch (err) {
      if (giveUp(err) || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** `promise`, or a failure naming `what` once `deadline` (epoch ms) has passed. */
function byDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${Math.round(WORK_DEADLINE_MS / 1000)} s`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * `body`'s Temporal calls (a long poll for a result, write-backs) abandoned at `deadline`: nothing is left
 * polling or retrying once the trial has moved on (or the campaign has closed its connection).
 */
async function untilDeadline<T>(ctx: TrialContext, deadline: number, what: string, body: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  // The client adds a listener to the signal for every call made under it, and never removes them.
  setMaxListeners(0, abort.signal);
  try {
    return await byDeadline(ctx.stack.client.withAbortSignal(abort.signal, body), deadline, what);
  } finally {
    abort.abort();
  }
}

/** The first failed check of a list, in order: `[ok, what]` pairs built lazily. */
class Checks {
  private failed: string | undefined;

  expect(ok: boolean, what: () => string): this {
    if (!ok && this.failed === undefined) this.failed = what();
    return this;
  }

  get first(): string | undefined {
    return this.failed;
  }
}

const brief = (x: unknown) => {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
};

/** JSON with object keys sorted: jsonb does not keep the order they were written in. */
function canonical(x: unknown): string {
  return JSON.stringify(x ?? null, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Keys counted: those seen more than once, and the number of distinct ones. */
function duplicates(keys: string[]): { dupes: string[]; distinct: number } {
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return { dupes: [...seen].filter(([, n]) => n > 1).map(([k]) => k), distinct: seen.size };
}

/** Compares two maps of records key by key, field by field: the first difference, described. */
function firstDifference(what: string, crm: Map<string, Record<string, unknown>>, hub: Map<string, Record<string, unknown>>): string | undefined {
  for (const [key, c] of crm) {
    const h = hub.get(key);
    if (!h) return `${what} ${key} is in the CRM but not in the hub`;
    for (const [field, value] of Object.entries(c)) {
      if (!same(value, h[field])) return `${what} ${key}: ${field} is ${brief(value)} in the CRM, ${brief(h[field])} in the hub`;
    }
  }
  for (const key of hub.keys()) if (!crm.has(key)) return `${what} ${key} is in the hub but not in the CRM`;
  return undefined;
}

const lower = (v: unknown) => (typeof v === 'string' && v !== '' ? v.toLowerCase() : null);

function salesforceConnection(sandbox: Sandbox): Promise<SfConnection> {
  const c = sandbox.credentials;
  return openSalesforce({ id: 'chaos-check', baseUrl: sandbox.url, settings: { loginUrl: sandbox.url, clientId: c.clientId }, secrets: { clientSecret: c.clientSecret, refreshToken: c.refreshToken } });
}

async function sfQuery<T extends Record<string, unknown>>(conn: SfConnection, soql: string): Promise<T[]> {
  return (await conn.query<T>(soql, { autoFetch: true, maxFetch: 1_000_000 })).records;
}

async function addSalesforce(ctx: TrialContext, connectionId: string): Promise<void> {
  const sb = ctx.stack.sandboxes.salesforce;
  await addConnection(ctx.pool, ctx.stack.box, { id: connectionId, kind: 'salesforce', baseUrl: sb.url, ...sb.credentials });
}

async function addHubSpot(ctx: TrialContext, connectionId: string): Promise<void> {
  const sb = ctx.stack.sandboxes.hubspot;
  // OAuth, not the private app's token: an access token that expires is refreshed and the call replayed.
  await addConnection(ctx.pool, ctx.stack.box, { id: connectionId, kind: 'hubspot', baseUrl: sb.url, ...sb.credentials });
}

async function addDynamics(ctx: TrialContext, connectionId: string): Promise<void> {
  const sb = ctx.stack.sandboxes.dynamics;
  if (!sb.dataverse) throw new Error('the Dataverse sandbox gave no tenant or token endpoint');
  const { tenantId, tokenUrl } = sb.dataverse;
  await addConnection(ctx.pool, ctx.stack.box, { id: connectionId, kind: 'dynamics', baseUrl: sb.url, tenantId, tokenUrl, clientId: sb.credentials.clientId, clientSecret: sb.credentials.clientSecret });
}

/** The accounts-inbound template for a `seed: 'none'` Salesforce org (no custom fields): key, name, owner; plus `extra` rows. */
function salesforceAccountsConfig(extra: JobConfig['mapping'] = []): JobConfig {
  const config = configFromTemplate('accounts-inbound');
  config.mapping = [...config.mapping.filter((r) => ['Id', 'Name', 'Owner.Email'].includes(r.crmField)), ...extra];
  return config;
}

// ------------------------------------------------------------------------------------------------- runs

/** A run of one job under chaos: started, its pages counted, waited for, its statistics checked. */
class RunWork {
  private workflowId: string | undefined;
  result: JobRunResult | undefined;

  constructor(
    private readonly ctx: TrialContext,
    readonly jobId: string,
  ) {}

  async progress(): Promise<number> {
    if (!this.workflowId) return -1;
    const { rows } = await this.ctx.pool.query<{ pages: number | null }>(
      `SELECT (SELECT count(*)::int FROM job_run_pages p WHERE p.run_id = r.id) AS pages FROM job_runs r WHERE r.workflow_id = $1`,
      [this.workflowId],
    );
    return rows[0]?.pages ?? -1;
  }

  async run(): Promise<void> {
    const deadline = Date.now() + WORK_DEADLINE_MS;
    const handle = await retrying(deadline, () => this.ctx.hubsync.startRun(this.jobId, 'full'));
    this.workflowId = handle.workflowId;
    this.result = await untilDeadline(this.ctx, deadline, `run ${handle.workflowId}`, () =>
      retrying(
        deadline,
        () => this.ctx.stack.client.workflow.getHandle<() => Promise<JobRunResult>>(handle.workflowId).result(),
        (err) => err instanceof WorkflowFailedError,
      ),
    );
  }

  /** The run completed (Temporal and its job_runs row), once, with exactly `expected` statistics. */
  async check(expected: Partial<RunStats>): Promise<string | undefined> {
    const checks = new Checks();
    if (!this.workflowId || !this.result) return 'the run has no result';
    const description = await this.ctx.stack.client.workflow.getHandle(this.workflowId).describe();
    const { rows } = await this.ctx.pool.query<{ workflow_id: string; status: string; stats: RunStats }>('SELECT workflow_id, status, stats FROM job_runs WHERE job_id = $1', [this.jobId]);
    const stats = this.result.stats;
    const want: RunStats = { ...emptyStats(), ...expected, pages: stats.pages };
    checks
      .expect(description.status.name === 'COMPLETED', () => `workflow ${this.workflowId} is ${description.status.name}`)
      .expect(rows.length === 1, () => `${rows.length} job_runs rows for ${this.jobId}, expected 1`)
      .expect(rows[0]?.status === 'completed', () => `job_runs says ${rows[0]?.status ?? 'nothing'}`)
      .expect(same(stats, want), () => `run statistics ${brief(stats)}, expected ${brief(want)}`)
      .expect(same(rows[0]?.stats, stats), () => `job_runs.stats ${brief(rows[0]?.stats)} differ from the workflow's result ${brief(stats)}`);
    return checks.first;
  }
}

/** Runs `jobId` once, before the chaos (setup: no faults, no crash), and insists it created `created` records. */
async function setupRun(ctx: TrialContext, jobId: string, created: number): Promise<void> {
  const result = await byDeadline(ctx.hubsync.runJob(jobId, 'full'), Date.now() + WORK_DEADLINE_MS, `setup run of ${jobId}`);
  if (result.stats.created !== created) throw new Error(`setup: ${jobId} created ${result.stats.created}, expected ${created}`);
}

/** The hub's accounts linked to a connection: by CRM ID, with the name, their attributes and the success manager. */
async function hubAccounts(pool: Pool, connectionId: string): Promise<{ byCrmId: Map<string, { hubId: number; name: string; attrs: Record<string, unknown>; manager: string | null }>; links: string[]; hubIds: number[] }> {
  const { rows } = await pool.query<{ crm_id: string; hub_id: number; name: string; attrs: Record<string, unknown> | null; manager: string | null }>(
    `SELECT l.crm_id, l.hub_id, a.name,
            (SELECT json_object_agg(d.key, v.value) FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id
              WHERE v.account_id = a.id AND v.connection_id = $1) AS attrs,
            (SELECT lower(u.email) FROM account_assignments s JOIN hub_users u ON u.id = s.user_id
              WHERE s.account_id = a.id AND s.connection_id = $1) AS manager
       FROM record_links l JOIN accounts a ON a.id = l.hub_id
      WHERE l.connection_id = $1 AND l.hub_type = 'account'`,
    [connectionId],
  );
  return {
    byCrmId: new Map(rows.map((r) => [r.crm_id, { hubId: Number(r.hub_id), name: r.name, attrs: r.attrs ?? {}, manager: r.manager }])),
    links: rows.map((r) => r.crm_id),
    hubIds: rows.map((r) => Number(r.hub_id)),
  };
}

/** Every CRM record once in the hub's links, each linked to its own hub record, and as many as the CRM has. */
function checkLinks(checks: Checks, what: string, crmIds: string[], links: string[], hubIds: number[]): void {
  const crm = duplicates(crmIds);
  const linked = duplicates(links);
  const hub = duplicates(hubIds.map(String));
  checks
    .expect(crm.dupes.length === 0, () => `${what}: the CRM holds ${crm.dupes.length} key(s) twice, e.g. ${crm.dupes[0]}`)
    .expect(linked.dupes.length === 0, () => `${what}: ${linked.dupes.length} CRM record(s) linked twice, e.g. ${linked.dupes[0]}`)
    .expect(hub.dupes.length === 0, () => `${what}: ${hub.dupes.length} hub record(s) linked twice, e.g. ${hub.dupes[0]}`)
    .expect(crmIds.length === links.length, () => `${what}: ${crmIds.length} in the CRM, ${links.length} linked in the hub`);
}

// ------------------------------------------------------------------------------------- Salesforce inbound

async function salesforceReset(ctx: TrialContext, accounts: number): Promise<void> {
  const sb = ctx.stack.sandboxes.salesforce;
  await sb.admin('POST', '/__admin/reset', { seed: 'none' });
  if (accounts > 0) await sb.admin('POST', '/__admin/seed', { object: 'Account', count: accounts });
}

async function salesforceAccountsInbound(ctx: TrialContext): Promise<Work> {
  const n = ctx.records;
  const connectionId = `${ctx.id}-sf`;
  const jobId = `${ctx.id}-sf-accounts`;
  await salesforceReset(ctx, n);
  await addSalesforce(ctx, connectionId);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: jobId, connectionId, config: salesforceAccountsConfig() });
  const run = new RunWork(ctx, jobId);
  return {
    units: Math.ceil(n / 2000) + 1,
    unitName: 'pages',
    crms: ['salesforce'],
    progress: () => run.progress(),
    run: () => run.run(),
    async check() {
      const conn = await salesforceConnection(ctx.stack.sandboxes.salesforce);
      const crm = await sfQuery<{ Id: string; Name: string; Owner: { Email: string } | null }>(conn, 'SELECT Id, Name, Owner.Email FROM Account');
      const hub = await hubAccounts(ctx.pool, connectionId);
      const checks = new Checks();
      checkLinks(checks, 'accounts', crm.map((r) => r.Id), hub.links, hub.hubIds);
      const { rows } = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
      checks.expect(rows[0]?.n === n, () => `the hub has ${rows[0]?.n} accounts, expected ${n}`);
      const diff = firstDifference(
        'account',
        new Map(crm.map((r) => [r.Id, { name: r.Name, manager: lower(r.Owner?.Email) }])),
        new Map([...hub.byCrmId].map(([id, a]) => [id, { name: a.name, manager: a.manager }])),
      );
      checks.expect(diff === undefined, () => diff ?? '');
      return checks.first ?? (await run.check({ read: n, created: n }));
    },
  };
}

/** Parent accounts imported before the chaos: tasks and touchpoints need their account matched (T11). */
async function salesforceWithAccounts(ctx: TrialContext, connectionId: string): Promise<void> {
  await salesforceReset(ctx, PARENT_ACCOUNTS);
  await addSalesforce(ctx, connectionId);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: `${connectionId}-accounts`, connectionId, config: salesforceAccountsConfig() });
  await setupRun(ctx, `${connectionId}-accounts`, PARENT_ACCOUNTS);
}

/** The CRM account ID of each hub account linked to the connection. */
async function accountCrmIds(pool: Pool, connectionId: string): Promise<Map<number, string>> {
  const { rows } = await pool.query<{ hub_id: number; crm_id: string }>(`SELECT hub_id, crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account'`, [connectionId]);
  return new Map(rows.map((r) => [Number(r.hub_id), r.crm_id]));
}

async function salesforceActivitiesInbound(ctx: TrialContext, object: 'Task' | 'Event'): Promise<Work> {
  const n = ctx.records;
  const connectionId = `${ctx.id}-sf`;
  const kind = object === 'Task' ? 'tasks-inbound' : 'touchpoints-inbound';
  const jobId = `${ctx.id}-sf-${kind}`;
  await salesforceWithAccounts(ctx, connectionId);
  await ctx.stack.sandboxes.salesforce.admin('POST', '/__admin/seed', { object, count: n, seed: ctx.plan.seed });
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: jobId, connectionId, config: configFromTemplate(kind) });
  const run = new RunWork(ctx, jobId);
  return {
    units: Math.ceil(n / 2000) + 1,
    unitName: 'pages',
    crms: ['salesforce'],
    progress: () => run.progress(),
    run: () => run.run(),
    async check() {
      const conn = await salesforceConnection(ctx.stack.sandboxes.salesforce);
      const accounts = await accountCrmIds(ctx.pool, connectionId);
      const hubType = object === 'Task' ? 'task' : 'touchpoint';
      const checks = new Checks();
      let crm: Map<string, Record<string, unknown>>;
      let hub: Map<string, Record<string, unknown>>;
      let crmIds: string[];
      let hubRows: Array<{ crm_id: string; hub_id: number; external_id: string }>;
      if (object === 'Task') {
        const records = await sfQuery<{ Id: string; Subject: string; Description: string | null; Priority: string; Status: string; ActivityDate: string | null; AccountId: string; Owner: { Email: string } | null; CreatedBy: { Email: string } | null }>(
          conn,
          'SELECT Id, Subject, Description, Priority, Status, ActivityDate, AccountId, Owner.Email, CreatedBy.Email FROM Task',
        );
        crmIds = records.map((r) => r.Id);
        crm = new Map(records.map((r) => [r.Id.toLowerCase(), { title: r.Subject, description: r.Description, priority: r.Priority, status: r.Status, due: r.ActivityDate, account: r.AccountId, assignee: lower(r.Owner?.Email), assigner: lower(r.CreatedBy?.Email) }]));
        const { rows } = await ctx.pool.query<{ crm_id: string; hub_id: number; external_id: string; title: string; description: string | null; priority: string; status: string; due_date: string | null; account_id: number; assignee_email: string | null; assigner_email: string | null }>(
          `SELECT l.crm_id, l.hub_id, t.external_id, t.title, t.description, t.priority, t.status, t.due_date, t.account_id, t.assignee_email, t.assigner_email
             FROM record_links l JOIN tasks t ON t.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'task'`,
          [connectionId],
        );
        hubRows = rows;
        hub = new Map(rows.map((t) => [t.external_id, { title: t.title, description: t.description, priority: t.priority, status: t.status, due: t.due_date, account: accounts.get(Number(t.account_id)), assignee: lower(t.assignee_email), assigner: lower(t.assigner_email) }]));
      } else {
        const records = await sfQuery<{ Id: string; Subject: string; Description: string | null; ActivityDate: string | null; AccountId: string; CreatedBy: { Email: string } | null; LastModifiedBy: { Email: string } | null }>(
          conn,
          'SELECT Id, Subject, Description, ActivityDate, AccountId, CreatedBy.Email, LastModifiedBy.Email FROM Event',
        );
        crmIds = records.map((r) => r.Id);
        crm = new Map(records.map((r) => [r.Id.toLowerCase(), { subject: r.Subject, content: r.Description, date: r.ActivityDate, account: r.AccountId, creator: lower(r.CreatedBy?.Email), updater: lower(r.LastModifiedBy?.Email) }]));
        const { rows } = await ctx.pool.query<{ crm_id: string; hub_id: number; external_id: string; subject: string; content: string | null; touchpoint_date: string | null; account_id: number; creator_email: string | null; last_updater_email: string | null }>(
          `SELECT l.crm_id, l.hub_id, t.external_id, t.subject, t.content, t.touchpoint_date, t.account_id, t.creator_email, t.last_updater_email
             FROM record_links l JOIN touchpoints t ON t.id = l.hub_id WHERE l.connection_id = $1 AND l.hub_type = 'touchpoint'`,
          [connectionId],
        );
        hubRows = rows;
        hub = new Map(rows.map((t) => [t.external_id, { subject: t.subject, content: t.content, date: t.touchpoint_date?.slice(0, 10) ?? null, account: accounts.get(Number(t.account_id)), creator: lower(t.creator_email), updater: lower(t.last_updater_email) }]));
      }
      checkLinks(checks, `${hubType}s`, crmIds, hubRows.map((r) => r.crm_id), hubRows.map((r) => Number(r.hub_id)));
      const table = object === 'Task' ? 'tasks' : 'touchpoints';
      const { rows: counted } = await ctx.pool.query<{ n: number; keys: number }>(`SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS keys FROM ${table}`);
      checks.expect(counted[0]?.n === n && counted[0]?.keys === n, () => `the hub's ${table}: ${counted[0]?.n} rows, ${counted[0]?.keys} external IDs, expected ${n} of each`);
      const diff = firstDifference(hubType, crm, hub);
      checks.expect(diff === undefined, () => diff ?? '');
      return checks.first ?? (await run.check({ read: n, created: n }));
    },
  };
}

// ------------------------------------------------------------------------------------ Salesforce outbound

type OutboundKind = 'tasks-outbound' | 'touchpoints-outbound' | 'campaign-touch-outbound';

/** The hub's own records of an outbound kind, written as its application writes them: plain INSERTs. */
async function insertHubRecords(ctx: TrialContext, kind: OutboundKind, connectionId: string): Promise<void> {
  const accounts = `JOIN LATERAL (SELECT hub_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY hub_id OFFSET n % ${PARENT_ACCOUNTS} LIMIT 1) a ON true`;
  const sql: Record<OutboundKind, string> = {
    'tasks-outbound': `INSERT INTO tasks (account_id, title, description, status, priority, due_date, assignee_email)
      SELECT a.hub_id, 'Chaos task ' || n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'About task ' || n END,
             (ARRAY['Not Started', 'In Progress', 'Completed', 'Deferred'])[1 + n % 4], (ARRAY['High', 'Normal', 'Low'])[1 + n % 3],
             DATE '2026-01-01' + (n % 300), $3
        FROM generate_series(1, $2::int) AS n ${accounts}`,
    'touchpoints-outbound': `INSERT INTO touchpoints (account_id, subject, content, touchpoint_date, creator_email)
      SELECT a.hub_id, 'Chaos touchpoint ' || n, CASE WHEN n % 4 = 0 THEN NULL ELSE 'Notes of touchpoint ' || n END,
             TIMESTAMPTZ '2026-02-01T09:00:00Z' + make_interval(hours => n % 2000), $3
        FROM generate_series(1, $2::int) AS n ${accounts}`,
    'campaign-touch-outbound': `INSERT INTO campaign_touches (account_id, campaign_name, campaign_kind, recipient_count, sender_email, start_date, description, created_by_email)
      SELECT a.hub_id, 'Chaos campaign ' || n, CASE WHEN n % 2 = 0 THEN 'ongoing' ELSE 'one_time' END, n % 50, 'news@chaos.example',
             TIMESTAMPTZ '2026-03-01T08:00:00Z' + make_interval(days => n % 200), 'Campaign ' || n, $3
        FROM generate_series(1, $2::int) AS n ${accounts}`,
  };
  await ctx.pool.query(sql[kind], [connectionId, ctx.records, OWNER_EMAIL]);
}

async function salesforceOutbound(ctx: TrialContext, kind: OutboundKind): Promise<Work> {
  const n = ctx.records;
  const connectionId = `${ctx.id}-sf`;
  const jobId = `${ctx.id}-sf-${kind}`;
  const sb = ctx.stack.sandboxes.salesforce;
  await salesforceReset(ctx, PARENT_ACCOUNTS);
  for (const object of ['Task', 'Event']) await sb.admin('POST', '/__admin/schema/fields', { object, name: EXTERNAL_ID_FIELD, type: 'text', label: 'Hubsync External ID', length: 255, externalId: true, unique: true });
  const conn = await salesforceConnection(sb);
  const owner = await conn.sobject('User').create({ Username: OWNER_EMAIL, LastName: 'Chaos Owner', Email: OWNER_EMAIL });
  if (!owner.success) throw new Error(`setup: creating the owner User failed: ${JSON.stringify(owner)}`);
  await addSalesforce(ctx, connectionId);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: `${connectionId}-accounts`, connectionId, config: salesforceAccountsConfig() });
  await setupRun(ctx, `${connectionId}-accounts`, PARENT_ACCOUNTS);
  await insertHubRecords(ctx, kind, connectionId);
  const config = configFromTemplate(kind);
  // Keyed on an External ID field: creates are upserts, so a page retried after a crash creates nothing twice.
  const keyRow = kind === 'tasks-outbound' ? 'Task External Id' : 'Touchpoint External Id';
  config.mapping = config.mapping.map((r) => (r.key && r.hubField === keyRow ? { ...r, crmField: EXTERNAL_ID_FIELD } : r));
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: jobId, connectionId, config });
  const run = new RunWork(ctx, jobId);
  const prefix = kind === 'tasks-outbound' ? 'task' : kind === 'touchpoints-outbound' ? 'touchpoint' : 'campaign-touch';
  const hubType = prefix.replace('-', '_');
  return {
    units: Math.ceil(n / 200),
    unitName: 'pages',
    crms: ['salesforce'],
    progress: () => run.progress(),
    run: () => run.run(),
    async check() {
      const accounts = await accountCrmIds(ctx.pool, connectionId);
      const object = kind === 'tasks-outbound' ? 'Task' : 'Event';
      const fields = kind === 'tasks-outbound' ? 'Subject, Description, Priority, Status, ActivityDate' : kind === 'touchpoints-outbound' ? 'Subject, Description, ActivityDate, IsAllDayEvent' : 'Subject, Description, ActivityDate, IsAllDayEvent, Type';
      const records = await sfQuery<Record<string, unknown> & { Id: string }>(await salesforceConnection(sb), `SELECT Id, ${EXTERNAL_ID_FIELD}, OwnerId, WhatId, ${fields} FROM ${object}`);
      const { rows: links } = await ctx.pool.query<{ crm_id: string; hub_id: number }>(`SELECT crm_id, hub_id FROM record_links WHERE connection_id = $1 AND hub_type = $2`, [connectionId, hubType]);
      const checks = new Checks();
      checkLinks(checks, `${hubType}s`, records.map((r) => String(r[EXTERNAL_ID_FIELD])), links.map((l) => l.crm_id), links.map((l) => Number(l.hub_id)));
      const linkOf = new Map(links.map((l) => [Number(l.hub_id), l.crm_id]));
      const crm = new Map(
        records.map((r) => {
          const { Id, [EXTERNAL_ID_FIELD]: key, attributes: _attributes, ...rest } = r;
          return [String(key), { id: Id, ...rest }];
        }),
      );
      const common = (id: number, account: number) => ({ id: linkOf.get(id), OwnerId: owner.id, WhatId: accounts.get(Number(account)) });
      let hub: Map<string, Record<string, unknown>>;
      if (kind === 'tasks-outbound') {
        const { rows } = await ctx.pool.query<{ id: number; account_id: number; title: string; description: string | null; priority: string; status: string; due_date: string }>('SELECT id, account_id, title, description, priority, status, due_date FROM tasks');
        hub = new Map(rows.map((t) => [`task-${t.id}`, { ...common(Number(t.id), t.account_id), Subject: t.title, Description: t.description, Priority: t.priority, Status: t.status, ActivityDate: t.due_date }]));
      } else if (kind === 'touchpoints-outbound') {
        const { rows } = await ctx.pool.query<{ id: number; account_id: number; subject: string; content: string | null; touchpoint_date: string }>('SELECT id, account_id, subject, content, touchpoint_date FROM touchpoints');
        hub = new Map(rows.map((t) => [`touchpoint-${t.id}`, { ...common(Number(t.id), t.account_id), Subject: t.subject, Description: t.content, ActivityDate: t.touchpoint_date.slice(0, 10), IsAllDayEvent: true }]));
      } else {
        const { rows } = await ctx.pool.query<{ id: number; account_id: number; campaign_name: string; campaign_kind: string; recipient_count: number; sender_email: string; start_date: string; description: string }>(
          'SELECT id, account_id, campaign_name, campaign_kind, recipient_count, sender_email, start_date, description FROM campaign_touches',
        );
        hub = new Map(
          rows.map((t) => [
            `campaign-touch-${t.id}`,
            {
              ...common(Number(t.id), t.account_id),
              Subject: `${t.campaign_kind === 'ongoing' ? 'Ongoing' : 'One time'} campaign "${t.campaign_name}" was sent to ${t.recipient_count} users. From: ${t.sender_email}`,
              Description: t.description,
              ActivityDate: t.start_date.slice(0, 10),
              IsAllDayEvent: true,
              Type: 'Email',
            },
          ]),
        );
      }
      checks.expect(hub.size === n, () => `the hub has ${hub.size} records, expected ${n}`);
      const diff = firstDifference(prefix, crm, hub);
      checks.expect(diff === undefined, () => diff ?? '');
      return checks.first ?? (await run.check({ read: n, created: n }));
    },
  };
}

// ----------------------------------------------------------------------------------- HubSpot and Dataverse

function hubspotClient(sandbox: Sandbox): HubSpotClient {
  if (!sandbox.accessToken) throw new Error('the HubSpot sandbox gave no access token');
  return new HubSpotClient({ accessToken: sandbox.accessToken, basePath: sandbox.url });
}

async function hubspotAccountsInbound(ctx: TrialContext): Promise<Work> {
  const n = ctx.records;
  const connectionId = `${ctx.id}-hs`;
  const jobId = `${ctx.id}-hs-accounts`;
  const sb = ctx.stack.sandboxes.hubspot;
  await sb.admin('POST', '/__admin/reset', { seed: 'none' });
  await sb.admin('POST', '/__admin/seed', { count: n, seed: ctx.plan.seed });
  await addHubSpot(ctx, connectionId);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: jobId, connectionId, config: configFromTemplate('accounts-inbound', 'hubspot') });
  const run = new RunWork(ctx, jobId);
  return {
    units: Math.ceil(n / 100) + 1,
    unitName: 'pages',
    crms: ['hubspot'],
    progress: () => run.progress(),
    run: () => run.run(),
    async check() {
      const client = hubspotClient(sb);
      const companies = await client.crm.companies.getAll(100, undefined, ['name', 'domain', 'hubspot_owner_id']);
      const owners = new Map<string, string>();
      for (let after: string | undefined; ; ) {
        const page = await client.crm.owners.ownersApi.getPage(undefined, after, 500);
        for (const o of page.results) owners.set(o.id, o.email ?? '');
        after = page.paging?.next?.after;
        if (!after) break;
      }
      const hub = await hubAccounts(ctx.pool, connectionId);
      const checks = new Checks();
      checkLinks(checks, 'companies', companies.map((c) => c.id), hub.links, hub.hubIds);
      const { rows } = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
      checks.expect(rows[0]?.n === n, () => `the hub has ${rows[0]?.n} accounts, expected ${n}`);
      const diff = firstDifference(
        'company',
        new Map(companies.map((c) => [c.id, { name: c.properties['name'] ?? null, domain: c.properties['domain'] || null, manager: lower(owners.get(c.properties['hubspot_owner_id'] ?? '')) }])),
        new Map([...hub.byCrmId].map(([id, a]) => [id, { name: a.name, domain: a.attrs['domain'] ?? null, manager: a.manager }])),
      );
      checks.expect(diff === undefined, () => diff ?? '');
      return checks.first ?? (await run.check({ read: n, created: n }));
    },
  };
}

async function dynamicsAccountsInbound(ctx: TrialContext): Promise<Work> {
  const n = ctx.records;
  const connectionId = `${ctx.id}-dv`;
  const jobId = `${ctx.id}-dv-accounts`;
  const sb = ctx.stack.sandboxes.dynamics;
  await sb.admin('POST', '/__admin/reset', { seed: 'none' });
  await sb.admin('POST', '/__admin/generate', { count: n, seed: ctx.plan.seed });
  await addDynamics(ctx, connectionId);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: jobId, connectionId, config: configFromTemplate('accounts-inbound', 'dynamics') });
  const run = new RunWork(ctx, jobId);
  return {
    units: Math.ceil(n / 5000) + 1,
    unitName: 'pages',
    crms: ['dynamics'],
    progress: () => run.progress(),
    run: () => run.run(),
    async check() {
      const { rows: accounts } = await sb.admin<{ rows: Array<Record<string, unknown>> }>('GET', '/__admin/rows/accounts');
      const { rows: users } = await sb.admin<{ rows: Array<Record<string, unknown>> }>('GET', '/__admin/rows/systemusers');
      const emails = new Map(users.map((u) => [String(u['systemuserid']), u['internalemailaddress']]));
      const hub = await hubAccounts(ctx.pool, connectionId);
      const checks = new Checks();
      checkLinks(checks, 'accounts', accounts.map((a) => String(a['accountid'])), hub.links, hub.hubIds);
      const { rows } = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
      checks.expect(rows[0]?.n === n, () => `the hub has ${rows[0]?.n} accounts, expected ${n}`);
      const diff = firstDifference(
        'account',
        new Map(accounts.map((a) => [String(a['accountid']), { name: a['name'] ?? null, number: a['accountnumber'] ?? null, website: a['websiteurl'] ?? null, manager: lower(emails.get(String(a['_ownerid_value']))) }])),
        new Map([...hub.byCrmId].map(([id, a]) => [id, { name: a.name, number: a.attrs['account_number'] ?? null, website: a.attrs['website'] ?? null, manager: a.manager }])),
      );
      checks.expect(diff === undefined, () => diff ?? '');
      return checks.first ?? (await run.check({ read: n, created: n }));
    },
  };
}

// ---------------------------------------------------------------------------------------- write-back burst

const HEALTH_SCORE = 'health_score';
/** Accounts per CRM that a burst may write to. */
const BURST_ACCOUNTS = 5;

interface BurstTarget {
  crm: 'salesforce' | 'hubspot' | 'dynamics';
  hubId: number;
  crmId: string;
}

interface BurstRequest {
  requestId: string;
  target: BurstTarget;
  value: number;
  startAfterMs: number;
  outcome?: WriteBackOutcome;
  error?: string;
  calls: number;
}

/** The CRM's health score of each record (by CRM ID), read from the sandbox's own data. */
async function crmHealthScores(ctx: TrialContext): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  const conn = await salesforceConnection(ctx.stack.sandboxes.salesforce);
  for (const r of await sfQuery<{ Id: string; Health_Score__c: number | null }>(conn, 'SELECT Id, Health_Score__c FROM Account')) out.set(r.Id, r.Health_Score__c);
  const companies = await hubspotClient(ctx.stack.sandboxes.hubspot).crm.companies.getAll(100, undefined, [HEALTH_SCORE]);
  for (const c of companies) {
    const v = c.properties[HEALTH_SCORE];
    out.set(c.id, v === null || v === undefined || v === '' ? null : Number(v));
  }
  const { rows } = await ctx.stack.sandboxes.dynamics.admin<{ rows: Array<Record<string, unknown>> }>('GET', '/__admin/rows/accounts');
  for (const a of rows) out.set(String(a['accountid']), (a['numberofemployees'] as number | null | undefined) ?? null);
  return out;
}

/** The successful write-back PATCHes each sandbox logged, per record. */
async function successfulPatches(ctx: TrialContext): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const add = (id: string | undefined) => id && out.set(id, (out.get(id) ?? 0) + 1);
  type Log = { requests: Array<{ method: string; path: string; status: number }> };
  const sf = await ctx.stack.sandboxes.salesforce.admin<Log>('GET', '/__admin/requests?method=PATCH');
  for (const r of sf.requests) if (r.status >= 200 && r.status < 300) add(/\/sobjects\/Account\/([A-Za-z0-9]{15,18})$/.exec(r.path)?.[1]);
  const hs = await ctx.stack.sandboxes.hubspot.admin<Log>('GET', '/__admin/requests?method=PATCH');
  for (const r of hs.requests) if (r.status >= 200 && r.status < 300) add(/\/crm\/v3\/objects\/companies\/(\d+)$/.exec(r.path)?.[1]);
  const dv = await ctx.stack.sandboxes.dynamics.admin<Log>('GET', '/__admin/requests?method=PATCH');
  for (const r of dv.requests) if (r.status >= 200 && r.status < 300) add(/\/accounts\(([0-9a-f-]{36})\)$/i.exec(r.path)?.[1]?.toLowerCase());
  return out;
}

async function writeBackBurst(ctx: TrialContext): Promise<Work & { requests: BurstRequest[] }> {
  const { salesforce, hubspot, dynamics } = ctx.stack.sandboxes;
  await salesforce.admin('POST', '/__admin/reset', { seed: 'none' });
  await salesforce.admin('POST', '/__admin/schema/fields', { object: 'Account', name: 'Health_Score__c', type: 'number', label: 'Health Score', precision: 4, scale: 0 });
  await salesforce.admin('POST', '/__admin/seed', { object: 'Account', count: BURST_ACCOUNTS });
  await hubspot.admin('POST', '/__admin/reset', { seed: 'none' });
  await hubspot.admin('POST', '/__admin/properties', { name: HEALTH_SCORE, label: 'Health Score', type: 'number' });
  await hubspot.admin('POST', '/__admin/seed', { count: BURST_ACCOUNTS, seed: ctx.plan.seed });
  await dynamics.admin('POST', '/__admin/reset', { seed: 'none' });
  await dynamics.admin('POST', '/__admin/generate', { count: BURST_ACCOUNTS, seed: ctx.plan.seed });

  // One attribute, health_score, with a source on each CRM: Salesforce's Health_Score__c, HubSpot's
  // health_score, Dataverse's numberofemployees; each CRM's accounts become hub accounts of their own.
  const healthRow = (crmField: string) => ({ crmField, crmFieldType: 'number', hubField: 'Health Score', hubFieldType: 'number', key: false });
  const sf = `${ctx.id}-sf`;
  const hs = `${ctx.id}-hs`;
  const dv = `${ctx.id}-dv`;
  await addSalesforce(ctx, sf);
  await addHubSpot(ctx, hs);
  await addDynamics(ctx, dv);
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: `${sf}-accounts`, connectionId: sf, config: salesforceAccountsConfig([healthRow('Health_Score__c')]) });
  const hsConfig = configFromTemplate('accounts-inbound', 'hubspot');
  hsConfig.mapping.push(healthRow(HEALTH_SCORE));
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: `${hs}-accounts`, connectionId: hs, config: hsConfig });
  const dvConfig = configFromTemplate('accounts-inbound', 'dynamics');
  dvConfig.mapping.push(healthRow('numberofemployees'));
  await createValidatedJob(ctx.pool, ctx.stack.box, { id: `${dv}-accounts`, connectionId: dv, config: dvConfig });
  for (const c of [sf, hs, dv]) await setupRun(ctx, `${c}-accounts`, BURST_ACCOUNTS);
  await ctx.hubsync.setAttributeWriteBack(HEALTH_SCORE, { on: true });

  const targets: BurstTarget[] = [];
  for (const [crm, connectionId] of [['salesforce', sf], ['hubspot', hs], ['dynamics', dv]] as const) {
    for (const [hubId, crmId] of await accountCrmIds(ctx.pool, connectionId)) targets.push({ crm, hubId, crmId: crm === 'dynamics' ? crmId.toLowerCase() : crmId });
  }
  // 20 to 50 write-backs over 4 to 9 of the accounts (so several land on one account), each a new value, all
  // sent within two seconds: many at once, queued per account.
  const rng = new Prng(ctx.plan.seed);
  const chosen = [...targets].sort(() => rng.next() - 0.5).slice(0, rng.int(4, 9));
  const count = rng.int(20, 50);
  const requests: BurstRequest[] = Array.from({ length: count }, (_, i) => ({
    requestId: `${ctx.id}-wb-${i + 1}`,
    target: chosen[rng.int(0, chosen.length - 1)] as BurstTarget,
    value: 100 + i,
    startAfterMs: rng.int(0, 2000),
    calls: 0,
  }));
  const before = await crmHealthScores(ctx);

  return {
    units: count,
    unitName: 'write-backs',
    crms: ['salesforce', 'hubspot', 'dynamics'],
    requests,
    async progress() {
      const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM write_back_requests WHERE status = 'completed'`);
      return rows[0]?.n ?? 0;
    },
    async run() {
      const deadline = Date.now() + WORK_DEADLINE_MS;
      // A caller whose call failed (Temporal or the hub store restarting, or WRITE_BACK_TIMEOUT) calls again
      // with the same request ID, as the README says: it never writes twice.
      const send = async (r: BurstRequest) => {
        await sleep(r.startAfterMs);
        const once = () => {
          r.calls++;
          return ctx.hubsync.writeBack({ account: r.target.hubId, changes: { [HEALTH_SCORE]: r.value }, origin: 'account-profile', actor: 'chaos@hubsync.test', requestId: r.requestId });
        };
        try {
          r.outcome = await retrying(deadline, once, (err) => err instanceof WriteBackRefusedError);
        } catch (err) {
          r.error = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
        }
      };
      await untilDeadline(ctx, deadline + 5000, 'the write-back burst', () => Promise.all(requests.map(send)));
    },
    async check() {
      const checks = new Checks();
      for (const r of requests) {
        const bad = r.outcome?.sources.filter((s) => s.status !== 'written') ?? [];
        checks
          .expect(r.error === undefined, () => `write-back ${r.requestId} threw: ${r.error}`)
          .expect(r.outcome?.sources.length === 1, () => `write-back ${r.requestId}: ${r.outcome?.sources.length ?? 0} outcomes, expected 1`)
          .expect(bad.length === 0, () => `write-back ${r.requestId} (${r.target.crm}): ${bad.map((s) => `${s.status}: ${s.message ?? ''} ${s.crmMessage ?? ''}`.trim()).join('; ')}`);
      }
      const { rows: log } = await ctx.pool.query<{ request_id: string; account_id: number; crm_id: string; outcome: string; previous_value: unknown; value_after: unknown; completed_at: string | null; received_position: number | null }>(
        'SELECT request_id, account_id, crm_id, outcome, previous_value, value_after, completed_at, received_position FROM write_back_log ORDER BY completed_at, id',
      );
      const { rows: stored } = await ctx.pool.query<{ request_id: string; status: string }>('SELECT request_id, status FROM write_back_requests');
      const logged = duplicates(log.map((l) => l.request_id));
      checks
        .expect(logged.dupes.length === 0, () => `write_back_log holds ${logged.dupes.length} request(s) twice, e.g. ${logged.dupes[0]}`)
        .expect(log.length === requests.length, () => `write_back_log has ${log.length} rows for ${requests.length} write-backs`)
        .expect(!log.some((l) => l.outcome === 'pending'), () => `write_back_log has a pending row left: ${log.find((l) => l.outcome === 'pending')?.request_id}`)
        .expect(log.every((l) => l.outcome === 'written'), () => `write_back_log: ${log.find((l) => l.outcome !== 'written')?.request_id} is ${log.find((l) => l.outcome !== 'written')?.outcome}`)
        .expect(stored.length === requests.length && stored.every((s) => s.status === 'completed'), () => `write_back_requests: ${stored.filter((s) => s.status === 'completed').length} of ${requests.length} completed (${stored.length} rows)`);
      const patches = await successfulPatches(ctx);
      const after = await crmHealthScores(ctx);
      const { rows: values } = await ctx.pool.query<{ account_id: number; value: unknown; crm_value: unknown }>(
        `SELECT v.account_id, v.value, v.crm_value FROM attribute_values v JOIN attribute_definitions d ON d.id = v.attribute_id WHERE d.key = $1`,
        [HEALTH_SCORE],
      );
      const hubValue = new Map(values.map((v) => [Number(v.account_id), v]));
      for (const target of chosen) {
        const mine = requests.filter((r) => r.target === target);
        const rows = log.filter((l) => Number(l.account_id) === target.hubId);
        const applied = patches.get(target.crmId) ?? 0;
        const last = rows[rows.length - 1];
        checks
          .expect(applied === mine.length, () => `${target.crm} record ${target.crmId}: ${applied} successful PATCHes in the sandbox's log for ${mine.length} write-backs`)
          .expect(after.get(target.crmId) === (last?.value_after ?? null), () => `${target.crm} record ${target.crmId} holds ${String(after.get(target.crmId))}, the last write-back logged wrote ${brief(last?.value_after)}`)
          .expect(same(hubValue.get(target.hubId)?.value, after.get(target.crmId)) && same(hubValue.get(target.hubId)?.crm_value, after.get(target.crmId)), () =>
            `hub account ${target.hubId}: value ${brief(hubValue.get(target.hubId)?.value)}, crm_value ${brief(hubValue.get(target.hubId)?.crm_value)}, the CRM holds ${String(after.get(target.crmId))}`,
          );
        // Applied one after another: each write's value before is the previous one's value after.
        let previous: unknown = before.get(target.crmId) ?? null;
        for (const row of rows) {
          checks.expect(same(row.previous_value, previous), () => `${row.request_id}: value before ${brief(row.previous_value)}, but the write before it left ${brief(previous)}`);
          previous = row.value_after;
        }
      }
      for (const target of targets.filter((t) => !chosen.includes(t))) {
        checks.expect(!patches.has(target.crmId) && after.get(target.crmId) === before.get(target.crmId), () => `${target.crm} record ${target.crmId} was written, though no write-back named it`);
      }
      return checks.first;
    },
  };
}

// -------------------------------------------------------------------------------------------- the kinds

export function setUpWork(kind: TrialKind, ctx: TrialContext): Promise<Work> {
  switch (kind) {
    case 'salesforce accounts-inbound':
      return salesforceAccountsInbound(ctx);
    case 'salesforce tasks-inbound':
      return salesforceActivitiesInbound(ctx, 'Task');
    case 'salesforce touchpoints-inbound':
      return salesforceActivitiesInbound(ctx, 'Event');
    case 'salesforce tasks-outbound':
      return salesforceOutbound(ctx, 'tasks-outbound');
    case 'salesforce touchpoints-outbound':
      return salesforceOutbound(ctx, 'touchpoints-outbound');
    case 'salesforce campaign-touch-outbound':
      return salesforceOutbound(ctx, 'campaign-touch-outbound');
    case 'hubspot accounts-inbound':
      return hubspotAccountsInbound(ctx);
    case 'dynamics accounts-inbound':
      return dynamicsAccountsInbound(ctx);
    case 'write-back burst':
      return writeBackBurst(ctx);
  }
}

