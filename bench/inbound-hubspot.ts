/**
 * The HubSpot section of bench/inbound.ts (`--hubspot-companies N`, default 20,000; `--hubspot-only` skips the
 * Salesforce sizes): the accounts-inbound job of a HubSpot connection (configFromTemplate('accounts-inbound',
 * 'hubspot'): hs_object_id, name, domain, Owner.email) over N seeded companies, measured two ways in the same
 * run, each writing into an empty hub database of its own (so neither sees the other's accounts or links):
 *
 * - workflow: a real full run (HubsyncClient.startRun → inboundJobWorkflow) on a real `hubsync worker`;
 * - baseline: the connector's readPage and writeInboundPage page after page in a plain loop, without Temporal,
 *   in the baseline process (bench/inbound-baseline.ts, runInboundLoop), one page = one search of 100.
 *
 * Before both, the paging floor: the same reads in the baseline process, nothing written (it also warms the
 * sandbox, so neither measured side meets it cold). The HubSpot sandbox runs in a child process of its own
 * (bench/inbound-sandbox.ts, BENCH_SANDBOX_KIND=hubspot), started for this section and stopped after it.
 * HubSpot's search limit (5 a second, which the connector paces to) would make pacing the whole measurement
 * (ceil(N/100) searches take at least ceil(N/100)/5 s), so the connection's `searchPerSecond` and the sandbox's
 * search limit are both raised to HUBSPOT_SEARCH_PER_SECOND; the report says so.
 *
 * Targets: companies/s of the workflow ≥ 0.8 × the baseline's; the workflow run's search calls ≤ ceil(N/100) +
 * SEARCH_SLACK and all its HubSpot API calls ≤ ceil(N/100) + API_CALL_SLACK (from the sandbox's request log).
 * The section fails the command only if a side did not create exactly N hub accounts.
 */
import { addConnection } from '../activities/hub/connections';
import type { Pool } from '../activities/hub/store';
import { HUBSPOT_LIMITS } from '../activities/crm/hubspot/session';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate } from '../activities/mapping/job-config';
import { HubsyncClient } from '../client/hubsync-client';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import type { RunStats } from '../kernel/stats';
import { BaselineProcess, type BaselineDone } from './inbound-ipc';
import { clearRequestLog, cpuMeter, describeStats, int, mb, measured, rate, ratioText, requestLog, secs, signed, table, usPerRecord, verdict, type CpuUse, type RssSample } from './measure';
import { resultOrWorkerExit, startSandboxProcess, type Cleanup, type Sandbox } from './processes';
import { baselineEnv, createHubDatabase, startWorker, type Stack } from './stack';

export const HUBSPOT_CONNECTION_ID = 'bench-hubspot';
const HUBSPOT_JOB = 'bench-hubspot-accounts-inbound';
/** Companies seeded by default: accounts-inbound writes one hub account each, a run of a minute or so here. */
export const DEFAULT_HUBSPOT_COMPANIES = 20_000;
export const QUICK_HUBSPOT_COMPANIES = 2_000;
/** Searches a second allowed to the connection (its schema's maximum) and by the sandbox: pacing out of the way. */
const HUBSPOT_SEARCH_PER_SECOND = 1000;
/** HubSpot's own search limit, which a real portal holds the connector to. */
const HUBSPOT_REAL_SEARCH_PER_SECOND = 5;
/** The admin API seeds at most this many in one call. */
const SEED_CHUNK = 200_000;
const PAGE_SIZE = HUBSPOT_LIMITS.pageSize;

/** Workflow throughput relative to the plain loop: the target for HubSpot. */
const TARGET_RATIO = 0.8;
/**
 * Search calls beyond one per page: the progress count (countRunSource), and one where a stamp shared by a
 * whole answer starts (none with the seeded companies, whose stamps are all distinct; README "HubSpot", Runs).
 */
const SEARCH_SLACK = 2;
/**
 * All calls beyond one search per page: the searches' slack above, one describe of companies (the Properties
 * API, at the validation in beginRun), one read of the owners (`Owner.email`; the session keeps them a minute,
 * so a run longer than that reads them once more a minute), and one listing of archived companies (100 a call,
 * one when there are none) after the pages.
 */
const API_CALL_SLACK = SEARCH_SLACK + 3;

interface HubSpotApiUse {
  /** Every API request (not /oauth/, not the admin API): what counts as HubSpot API calls. */
  all: number;
  search: number;
  describe: number;
  owners: number;
  archived: number;
  other: number;
  errors: number;
  tokens: number;
  /** Sandbox-side time answering the searches. */
  searchServerMs: number;
  otherPaths: string[];
}

function hubspotApiUse(requests: LoggedRequest[]): HubSpotApiUse {
  const use: HubSpotApiUse = { all: 0, search: 0, describe: 0, owners: 0, archived: 0, other: 0, errors: 0, tokens: 0, searchServerMs: 0, otherPaths: [] };
  for (const r of requests) {
    if (r.path.startsWith('/oauth/')) {
      use.tokens++;
      continue;
    }
    use.all++;
    if (r.status >= 400) use.errors++;
    if (r.method === 'POST' && /\/search$/.test(r.path)) {
      use.search++;
      use.searchServerMs += r.durationMs;
    } else if (r.method === 'GET' && r.path.startsWith('/crm/v3/properties/')) use.describe++;
    else if (r.method === 'GET' && r.path.startsWith('/crm/v3/owners')) use.owners++;
    else if (r.method === 'GET' && /^\/crm\/v3\/objects\/[^/]+$/.test(r.path) && /archived=true/.test(r.query)) use.archived++;
    else {
      use.other++;
      use.otherPaths.push(`${r.method} ${r.path}`);
    }
  }
  return use;
}

const apiKinds = (a: HubSpotApiUse) =>
  [`${a.search} search`, a.describe ? `${a.describe} describe` : '', a.owners ? `${a.owners} owners` : '', a.archived ? `${a.archived} archived listing` : '', a.other ? `${a.other} other (${a.otherPaths.join(', ')})` : '', a.errors ? `${a.errors} errors` : '']
    .filter(Boolean)
    .join(', ');

interface Side {
  ms: number;
  cpu: CpuUse;
  rss: RssSample;
  stats: RunStats;
  api: HubSpotApiUse;
  hubAccounts: number;
  links: number;
}

interface HubSpotResult {
  n: number;
  seedMs: number;
  workflow: Side;
  baseline: Side & { child: BaselineDone };
  floor: { ms: number; records: number; fetches: number; cpu: CpuUse; api: HubSpotApiUse };
}

/** An empty hub database with the HubSpot connection (search pacing raised) and the accounts-inbound job of its template. */
async function createHubSpotHub(stack: Stack, name: string, sandbox: Sandbox): Promise<{ url: string; pool: Pool }> {
  const hub = await createHubDatabase(stack, name);
  await addConnection(hub.pool, stack.box, { id: HUBSPOT_CONNECTION_ID, kind: 'hubspot', baseUrl: sandbox.url, accessToken: sandbox.accessToken, searchPerSecond: HUBSPOT_SEARCH_PER_SECOND });
  await createValidatedJob(hub.pool, stack.box, { id: HUBSPOT_JOB, connectionId: HUBSPOT_CONNECTION_ID, config: configFromTemplate('accounts-inbound', 'hubspot') });
  return hub;
}

async function hubAccounts(pool: Pool): Promise<{ accounts: number; links: number }> {
  const { rows } = await pool.query<{ accounts: number; links: number }>(
    `SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM record_links WHERE connection_id = $1 AND hub_type = 'account') AS links`,
    [HUBSPOT_CONNECTION_ID],
  );
  return rows[0] ?? { accounts: 0, links: 0 };
}

/** Seeds `n` companies (with owners, as the admin API generates them) into an empty portal. */
async function seedCompanies(sandbox: Sandbox, n: number): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < n; done += SEED_CHUNK) await sandbox.admin('POST', '/__admin/seed', { count: Math.min(SEED_CHUNK, n - done), seed: done + 1 });
  return performance.now() - started;
}

/** The HubSpot measurement: sandbox started and seeded, paging floor, workflow run, baseline run; everything it started stopped. */
export async function measureHubSpot(stack: Stack, cleanup: Cleanup, n: number, log: (line: string) => void): Promise<HubSpotResult> {
  log(`HubSpot: starting the HubSpot sandbox process and seeding ${int(n)} companies...`);
  const sandbox = await startSandboxProcess(cleanup, 'none', 'hubspot');
  await sandbox.admin('POST', '/__admin/rate-limits', { searchPerSecond: HUBSPOT_SEARCH_PER_SECOND });
  const seedMs = await seedCompanies(sandbox, n);

  log('HubSpot: creating the two hubs (databases: workflow, baseline), the connection and the job...');
  const wfHub = await createHubSpotHub(stack, 'bench_hubspot_workflow', sandbox);
  const closeWfPool = cleanup.defer('a hub pool', () => wfHub.pool.end());
  const blHub = await createHubSpotHub(stack, 'bench_hubspot_baseline', sandbox);
  const closeBlPool = cleanup.defer('a hub pool', () => blHub.pool.end());

  log('HubSpot: starting the worker (bundles the workflows) and the baseline process...');
  const worker = startWorker(stack, wfHub.url);
  const stopWorker = cleanup.defer('the worker', () => worker.stop());
  const baseline = new BaselineProcess(baselineEnv(stack, blHub.url, HUBSPOT_CONNECTION_ID));
  const stopBaseline = cleanup.defer('the baseline process', () => baseline.stop());
  await Promise.all([worker.ready(300000), baseline.ready()]);

  log('HubSpot: the paging floor (reads only, in the baseline process)...');
  await clearRequestLog(sandbox);
  const floorCpu = cpuMeter(baseline.pid, sandbox.pid);
  const floorStarted = performance.now();
  const paged = await baseline.page(HUBSPOT_JOB);
  const floor = { ms: performance.now() - floorStarted, records: paged.records, fetches: paged.fetches, cpu: floorCpu(), api: hubspotApiUse(await requestLog(sandbox)) };

  const side = async <T extends { stats: RunStats }>(pool: Pool, pid: number, run: () => Promise<T>) => {
    await stack.admin.query('CHECKPOINT');
    await clearRequestLog(sandbox);
    const { value, ms, cpu, rss } = await measured(pid, sandbox.pid, run);
    const api = hubspotApiUse(await requestLog(sandbox));
    const hub = await hubAccounts(pool);
    return { value, side: { ms, cpu, rss, stats: value.stats, api, hubAccounts: hub.accounts, links: hub.links } };
  };
  log('HubSpot: measuring the workflow run...');
  const workflow = await side(wfHub.pool, worker.pid, async () => {
    const run = await HubsyncClient.over(stack.client, wfHub.pool).startRun(HUBSPOT_JOB, 'full');
    return resultOrWorkerExit(stack.client, worker, () => run.result());
  });
  log('HubSpot: measuring the baseline run...');
  const base = await side(blHub.pool, baseline.pid, () => baseline.run(HUBSPOT_JOB));

  await stopWorker();
  await stopBaseline();
  await closeWfPool();
  await closeBlPool();
  await sandbox.stop();
  return { n, seedMs, workflow: workflow.side, baseline: { ...base.side, child: base.value }, floor };
}

/** The HubSpot section of the report, and its targets; `ok` false when a side did not create exactly N accounts. */
export function reportHubSpot(r: HubSpotResult): { ok: boolean; text: string } {
  const { n, workflow: wf, baseline: bl, floor } = r;
  const wfRate = rate(n, wf.ms);
  const blRate = rate(n, bl.ms);
  const floorRate = rate(n, floor.ms);
  const ratio = wfRate / blRate;
  const minimum = Math.ceil(n / PAGE_SIZE);
  const correct = (s: Side) => s.stats.created === n && s.hubAccounts === n && s.links === n;
  const searchOk = wf.api.search <= minimum + SEARCH_SLACK;
  const allOk = wf.api.all <= minimum + API_CALL_SLACK;
  const perSearch = (s: { api: HubSpotApiUse }) => (s.api.search ? `${(s.api.searchServerMs / s.api.search).toFixed(1)} ms` : '-');
  const rows = [
    ['', 'workflow (Temporal)', 'baseline (plain loop)', ''],
    ['wall clock, start → all written', secs(wf.ms), secs(bl.ms), ''],
    ['companies/s', int(wfRate), int(blRate), ''],
    ['ratio workflow / baseline', ratioText(ratio, TARGET_RATIO), '', `target ≥ ${TARGET_RATIO.toFixed(1)}: ${verdict(ratio >= TARGET_RATIO)}`],
    ['fraction of the paging floor', (wfRate / floorRate).toFixed(2), (blRate / floorRate).toFixed(2), `readPage page after page, nothing written: ${int(floorRate)} companies/s (below)`],
    ['CPU time of the process', secs(wf.cpu.self), secs(bl.cpu.self), `worker / baseline process; the sandbox's: ${secs(wf.cpu.sandbox)} / ${secs(bl.cpu.sandbox)}`],
    ['CPU time per company', usPerRecord(wf.cpu.self, n), usPerRecord(bl.cpu.self, n), `the sandbox's: ${usPerRecord(wf.cpu.sandbox, n)} / ${usPerRecord(bl.cpu.sandbox, n)}`],
    ['HubSpot API calls (excl. OAuth)', int(wf.api.all), int(bl.api.all), `minimum ceil(N/100) = ${int(minimum)}; target ≤ +${API_CALL_SLACK}: ${verdict(allOk)} (${signed(wf.api.all - minimum)})`],
    ['  search calls', int(wf.api.search), int(bl.api.search), `target ≤ ceil(N/100) + ${SEARCH_SLACK}: ${verdict(searchOk)} (${signed(wf.api.search - minimum)}; the workflow's include the progress count)`],
    ['  by kind', apiKinds(wf.api), apiKinds(bl.api), ''],
    ['sandbox answering a search, mean', perSearch(wf), perSearch(bl), `its request log; ${secs(wf.api.searchServerMs)} / ${secs(bl.api.searchServerMs)} in all`],
    ['peak RSS during the run', mb(wf.rss.peak), mb(bl.rss.peak), `at the start ${mb(wf.rss.start)} / ${mb(bl.rss.start)}`],
    ['hub accounts after the run', int(wf.hubAccounts), int(bl.hubAccounts), `links to the connection: ${int(wf.links)} / ${int(bl.links)}`],
    ['created = N', wf.stats.created === n ? 'yes' : 'NO (ERROR)', bl.stats.created === n ? 'yes' : 'NO (ERROR)', ''],
  ];
  const lines = [
    `accounts-inbound on HubSpot, N = ${int(n)} companies (seeded in ${secs(r.seedMs)}; template mapping hs_object_id, name, domain, Owner.email); ` +
      `measured the paging floor, then the workflow, then the baseline`,
    `  search pacing raised: the connection's searchPerSecond and the sandbox's search limit are ${int(HUBSPOT_SEARCH_PER_SECOND)}/s here, not HubSpot's ${HUBSPOT_REAL_SEARCH_PER_SECOND}/s ` +
      `(at which the ${int(minimum)} page searches alone would take at least ${secs((minimum / HUBSPOT_REAL_SEARCH_PER_SECOND) * 1000)})`,
    table(rows),
    `  workflow stats: ${describeStats(wf.stats)}`,
    `  baseline stats: ${describeStats(bl.stats)}`,
    `  baseline: ${bl.child.fetches} page fetches ${secs(bl.child.fetchMs)}, writes ${secs(bl.child.writeMs)} (as timed inside the baseline process)`,
    `  paging floor: ${int(floorRate)} companies/s, ${secs(floor.ms)}, ${int(floor.fetches)} pages, ${int(floor.records)} companies; CPU per company ${usPerRecord(floor.cpu.self, n)} ` +
      `(the sandbox's ${usPerRecord(floor.cpu.sandbox, n)}); ${int(floor.api.all)} API calls (${apiKinds(floor.api)}); the sandbox answering a search ${perSearch(floor)} on average`,
    'Targets (HubSpot)',
    table([
      [`throughput ≥ ${TARGET_RATIO.toFixed(1)} × baseline (N = ${int(n)})`, ratioText(ratio, TARGET_RATIO), verdict(ratio >= TARGET_RATIO)],
      [`search calls ≤ ceil(N/100) + ${SEARCH_SLACK}`, `${int(wf.api.search)} (${signed(wf.api.search - minimum)})`, verdict(searchOk)],
      [`API calls ≤ ceil(N/100) + ${API_CALL_SLACK}`, `${int(wf.api.all)} (${signed(wf.api.all - minimum)}: ${apiKinds(wf.api)})`, verdict(allOk)],
    ]),
  ];
  if (floor.records !== n) lines.push(`  ERROR: the paging floor read ${int(floor.records)} companies, not N`);
  return { ok: correct(wf) && correct(bl) && floor.records === n, text: lines.join('\n') };
}
