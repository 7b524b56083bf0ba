/**
 * What the CRM sections of bench/inbound.ts share (HubSpot: bench/inbound-hubspot.ts; Dataverse:
 * bench/inbound-dynamics.ts): the accounts-inbound job of one connection to a CRM sandbox in a child process of
 * its own (bench/inbound-sandbox.ts), seeded with N records, measured two ways in the same run, each writing
 * into an empty hub database of its own (so neither sees the other's accounts or links):
 *
 * - workflow: a real full run (HubsyncClient.startRun → inboundJobWorkflow) on a real `hubsync worker`;
 * - baseline: the connector's readPage and writeInboundPage page after page in a plain loop, without Temporal,
 *   in the baseline process (bench/inbound-baseline.ts, runInboundLoop).
 *
 * Before both, the paging floor: the same reads in the baseline process, nothing written (it also warms the
 * sandbox, so neither measured side meets it cold). Each measured side starts after a CHECKPOINT with the
 * sandbox's request log cleared; its API calls are counted from that log by the section's own classifier.
 * The report is one table of both sides (the section adds its API rows) and the section's targets after the
 * throughput target both sections share.
 */
import { addConnection } from '../activities/hub/connections';
import type { Pool } from '../activities/hub/store';
import { createValidatedJob } from '../activities/jobs/configure';
import { configFromTemplate } from '../activities/mapping/job-config';
import type { SecretBox } from '../activities/hub/secrets';
import { HubsyncClient } from '../client/hubsync-client';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import type { RunStats } from '../kernel/stats';
import { BaselineProcess, type BaselineDone } from './inbound-ipc';
import { clearRequestLog, cpuMeter, describeStats, int, mb, measured, rate, ratioText, requestLog, secs, table, usPerRecord, verdict, type CpuUse, type RssSample } from './measure';
import { resultOrWorkerExit, startSandboxProcess, type Cleanup, type Sandbox, type SandboxKind } from './processes';
import { baselineEnv, createHubDatabase, startWorker, type Stack } from './stack';

/** Workflow throughput relative to the plain loop: the target for the CRM sections. */
export const TARGET_RATIO = 0.8;

/** What a section's classifier reads of a logged request (the fields every sandbox's log has). */
export type LogEntry = Pick<LoggedRequest, 'method' | 'path' | 'query' | 'status' | 'durationMs'>;

/** A section's count of a request log: at least every API call, apart from token requests. */
export interface CrmApiUse {
  all: number;
}

export interface CrmSection<A extends CrmApiUse> {
  /** 'HubSpot', 'Dataverse': progress lines and the report. */
  label: string;
  kind: SandboxKind;
  connectionId: string;
  jobId: string;
  /** The hub databases are `${databasePrefix}_workflow` and `${databasePrefix}_baseline`. */
  databasePrefix: string;
  /** What the records are called: 'companies', 'accounts'. */
  noun: string;
  /** Sets the empty sandbox up and seeds `n` records into it. */
  seed(sandbox: Sandbox, n: number): Promise<void>;
  /** What addConnection takes for the connection to the sandbox, `id` and `kind` apart. */
  connection(sandbox: Sandbox): Record<string, unknown>;
  /** The request log, counted. */
  apiUse(requests: LogEntry[]): A;
}

export interface CrmSide<A> {
  ms: number;
  cpu: CpuUse;
  rss: RssSample;
  stats: RunStats;
  api: A;
  hubAccounts: number;
  links: number;
}

export interface CrmSectionResult<A> {
  n: number;
  seedMs: number;
  workflow: CrmSide<A>;
  baseline: CrmSide<A> & { child: BaselineDone };
  floor: { ms: number; records: number; fetches: number; cpu: CpuUse; api: A };
}

/** The section's connection and the accounts-inbound job of its CRM's template, in an empty hub. */
async function setUpHub(pool: Pool, box: SecretBox, sandbox: Sandbox, section: CrmSection<CrmApiUse>): Promise<void> {
  await addConnection(pool, box, { ...section.connection(sandbox), id: section.connectionId, kind: section.kind });
  await createValidatedJob(pool, box, { id: section.jobId, connectionId: section.connectionId, config: configFromTemplate('accounts-inbound', section.kind) });
}

async function hubAccounts(pool: Pool, connectionId: string): Promise<{ accounts: number; links: number }> {
  const { rows } = await pool.query<{ accounts: number; links: number }>(
    `SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM record_links WHERE connection_id = $1 AND hub_type = 'account') AS links`,
    [connectionId],
  );
  return rows[0] ?? { accounts: 0, links: 0 };
}

/** The section's measurement: sandbox started and seeded, paging floor, workflow run, baseline run; everything it started stopped. */
export async function measureCrmSection<A extends CrmApiUse>(stack: Stack, cleanup: Cleanup, n: number, log: (line: string) => void, section: CrmSection<A>): Promise<CrmSectionResult<A>> {
  const { label } = section;
  log(`${label}: starting the ${label} sandbox process and seeding ${int(n)} ${section.noun}...`);
  const sandbox = await startSandboxProcess(cleanup, 'none', section.kind);
  const seedStarted = performance.now();
  await section.seed(sandbox, n);
  const seedMs = performance.now() - seedStarted;

  log(`${label}: creating the two hubs (databases: workflow, baseline), the connection and the job...`);
  const createHub = async (side: string) => {
    const hub = await createHubDatabase(stack, `${section.databasePrefix}_${side}`);
    const close = cleanup.defer('a hub pool', () => hub.pool.end());
    await setUpHub(hub.pool, stack.box, sandbox, section);
    return { ...hub, close };
  };
  const wfHub = await createHub('workflow');
  const blHub = await createHub('baseline');

  log(`${label}: starting the worker (bundles the workflows) and the baseline process...`);
  const worker = startWorker(stack, wfHub.url);
  const stopWorker = cleanup.defer('the worker', () => worker.stop());
  const baseline = new BaselineProcess(baselineEnv(stack, blHub.url, section.connectionId));
  const stopBaseline = cleanup.defer('the baseline process', () => baseline.stop());
  await Promise.all([worker.ready(300000), baseline.ready()]);

  log(`${label}: the paging floor (reads only, in the baseline process)...`);
  await clearRequestLog(sandbox);
  const floorCpu = cpuMeter(baseline.pid, sandbox.pid);
  const floorStarted = performance.now();
  const paged = await baseline.page(section.jobId);
  const floor = { ms: performance.now() - floorStarted, records: paged.records, fetches: paged.fetches, cpu: floorCpu(), api: section.apiUse(await requestLog(sandbox)) };

  const side = async <T extends { stats: RunStats }>(pool: Pool, pid: number, run: () => Promise<T>) => {
    await stack.admin.query('CHECKPOINT');
    await clearRequestLog(sandbox);
    const { value, ms, cpu, rss } = await measured(pid, sandbox.pid, run);
    const api = section.apiUse(await requestLog(sandbox));
    const hub = await hubAccounts(pool, section.connectionId);
    return { value, side: { ms, cpu, rss, stats: value.stats, api, hubAccounts: hub.accounts, links: hub.links } };
  };
  log(`${label}: measuring the workflow run...`);
  const workflow = await side(wfHub.pool, worker.pid, async () => {
    const run = await HubsyncClient.over(stack.client, wfHub.pool).startRun(section.jobId, 'full');
    return resultOrWorkerExit(stack.client, worker, () => run.result());
  });
  log(`${label}: measuring the baseline run...`);
  const base = await side(blHub.pool, baseline.pid, () => baseline.run(section.jobId));

  await stopWorker();
  await stopBaseline();
  await wfHub.close();
  await blHub.close();
  await sandbox.stop();
  return { n, seedMs, workflow: workflow.side, baseline: { ...base.side, child: base.value }, floor };
}

/** What a section prints of its own around the shared table. */
export interface CrmSectionView<A> {
  /** The first line. */
  title: string;
  /** Lines between the title and the table. */
  notes: string[];
  /** The table's rows on API calls (after the CPU rows): label, workflow, baseline, remark. */
  apiRows: (workflow: CrmSide<A>, baseline: CrmSide<A>) => string[][];
  /** The paging floor's API calls, for its line. */
  floorApi: (floor: CrmSectionResult<A>['floor']) => string;
  /** The section's targets after the throughput target: what, value, verdict. */
  targets: (workflow: CrmSide<A>) => string[][];
}

/** The section's report and its targets; `ok` false when a side did not create exactly N accounts (or the floor did not read N). */
export function reportCrmSection<A>(section: { label: string; noun: string }, r: CrmSectionResult<A>, view: CrmSectionView<A>): { ok: boolean; text: string } {
  const { n, workflow: wf, baseline: bl, floor } = r;
  const { noun } = section;
  const one = noun === 'companies' ? 'company' : noun.replace(/s$/, '');
  const wfRate = rate(n, wf.ms);
  const blRate = rate(n, bl.ms);
  const floorRate = rate(n, floor.ms);
  const ratio = wfRate / blRate;
  const correct = (s: CrmSide<A>) => s.stats.created === n && s.hubAccounts === n && s.links === n;
  const rows = [
    ['', 'workflow (Temporal)', 'baseline (plain loop)', ''],
    ['wall clock, start → all written', secs(wf.ms), secs(bl.ms), ''],
    [`${noun}/s`, int(wfRate), int(blRate), ''],
    ['ratio workflow / baseline', ratioText(ratio, TARGET_RATIO), '', `target ≥ ${TARGET_RATIO.toFixed(1)}: ${verdict(ratio >= TARGET_RATIO)}`],
    ['fraction of the paging floor', (wfRate / floorRate).toFixed(2), (blRate / floorRate).toFixed(2), `readPage page after page, nothing written: ${int(floorRate)} ${noun}/s (below)`],
    ['CPU time of the process', secs(wf.cpu.self), secs(bl.cpu.self), `worker / baseline process; the sandbox's: ${secs(wf.cpu.sandbox)} / ${secs(bl.cpu.sandbox)}`],
    [`CPU time per ${one}`, usPerRecord(wf.cpu.self, n), usPerRecord(bl.cpu.self, n), `the sandbox's: ${usPerRecord(wf.cpu.sandbox, n)} / ${usPerRecord(bl.cpu.sandbox, n)}`],
    ...view.apiRows(wf, bl),
    ['peak RSS during the run', mb(wf.rss.peak), mb(bl.rss.peak), `at the start ${mb(wf.rss.start)} / ${mb(bl.rss.start)}`],
    ['hub accounts after the run', int(wf.hubAccounts), int(bl.hubAccounts), `links to the connection: ${int(wf.links)} / ${int(bl.links)}`],
    ['created = N', wf.stats.created === n ? 'yes' : 'NO (ERROR)', bl.stats.created === n ? 'yes' : 'NO (ERROR)', ''],
  ];
  const lines = [
    view.title,
    ...view.notes,
    table(rows),
    `  workflow stats: ${describeStats(wf.stats)}`,
    `  baseline stats: ${describeStats(bl.stats)}`,
    `  baseline: ${bl.child.fetches} page fetches ${secs(bl.child.fetchMs)}, writes ${secs(bl.child.writeMs)} (as timed inside the baseline process)`,
    `  paging floor: ${int(floorRate)} ${noun}/s, ${secs(floor.ms)}, ${int(floor.fetches)} pages, ${int(floor.records)} ${noun}; CPU per ${one} ${usPerRecord(floor.cpu.self, n)} ` +
      `(the sandbox's ${usPerRecord(floor.cpu.sandbox, n)}); ${view.floorApi(floor)}`,
    `Targets (${section.label})`,
    table([[`throughput ≥ ${TARGET_RATIO.toFixed(1)} × baseline (N = ${int(n)})`, ratioText(ratio, TARGET_RATIO), verdict(ratio >= TARGET_RATIO)], ...view.targets(wf)]),
  ];
  if (floor.records !== n) lines.push(`  ERROR: the paging floor read ${int(floor.records)} ${noun}, not N`);
  return { ok: correct(wf) && correct(bl) && floor.records === n, text: lines.join('\n') };
}
