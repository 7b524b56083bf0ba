/**
 * What the run benchmarks (bench/inbound.ts, bench/outbound.ts) measure and how they print it: their command
 * line (--sizes, --quick, --calls-per-execution), CPU time and RSS of a process from /proc, one measured run
 * (wall clock, CPU of the process and of its sandbox, RSS sampled every 100 ms), the sandbox's request log, a
 * run's continue-as-new chain walked back through its executions' histories (events, bytes, activity
 * timings), the bound continue-as-new keeps each execution's history under, and the table and PASS/MISS
 * formatting.
 */
import fs from 'node:fs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { LoggedRequest } from '../sandbox/salesforce/request-log';
import type { RunStats } from '../kernel/stats';
import { CALLS_PER_EXECUTION } from '../workflows/job-run';
import type { Sandbox } from './processes';

// ---------------------------------------------------------------------------------------------- formatting

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
export const rate = (records: number, ms: number) => (records / ms) * 1000;
export const signed = (n: number) => (n >= 0 ? `+${int(n)}` : int(n));
export const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
export const perPage = (ms: number, pages: number) => (pages ? `${(ms / pages).toFixed(0)} ms` : '-');
export const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
/** A ratio to 2 decimals, or 3 when 2 would round it across its target (0.795 against 0.8 is not "0.80"). */
export const ratioText = (x: number, target: number) => ((Number(x.toFixed(2)) >= target) === x >= target ? x.toFixed(2) : x.toFixed(3));
/** CPU time per record, in µs (the /proc clock ticks every 10 ms). */
export const usPerRecord = (cpuMs: number, records: number) => `${((cpuMs * 1000) / records).toFixed(0)} µs`;
/** A benchmark's progress lines, on stderr (the report goes to stdout). */
export const logger = (name: string) => (line: string) => process.stderr.write(`[${name}] ${line}\n`);

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n');
}

export const describeStats = (s: RunStats) => {
  const skipped = Object.entries(s.skipped).map(([k, v]) => `${k} ${int(v)}`);
  const rejected = Object.entries(s.rejected).map(([k, v]) => `${k} ${int(v)}`);
  return `read ${int(s.read)}, created ${int(s.created)}, updated ${int(s.updated)}, unchanged ${int(s.unchanged)}, deleted ${int(s.deleted)}, pages ${int(s.pages)}` +
    `, skipped ${skipped.length ? skipped.join(', ') : 0}, rejected ${rejected.length ? rejected.join(', ') : 0}`;
};

// ---------------------------------------------------------------------------------------------- command line

export interface SizeOptions {
  sizes: number[];
  callsPerExecution: number | undefined;
  /** The benchmark's own switches that were given (`usage.flags`). */
  flags: Set<string>;
  /** The benchmark's own numeric options that were given (`usage.numbers`), by flag. */
  numbers: Map<string, number>;
}

/**
 * `--sizes 10000,100000`, `--quick` (one small size), `--calls-per-execution K`, `--help`, and the benchmark's
 * own switches (`usage.flags`: switch → what it does) and numeric options (`usage.numbers`: `--flag N` → what it
 * is; N a non-negative integer).
 */
export function parseSizeOptions(
  argv: string[],
  usage: { command: string; records: string; quick: number; flags?: Record<string, string>; numbers?: Record<string, string> },
): SizeOptions {
  let sizes = [10_000, 100_000];
  let callsPerExecution: number | undefined;
  const flags = new Set<string>();
  const numbers = new Map<string, number>();
  const ownNumbers = Object.entries(usage.numbers ?? {});
  const own = [...Object.entries(usage.flags ?? {}), ...ownNumbers.map(([flag, what]): [string, string] => [`${flag} N`, what])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') sizes = [usage.quick];
    else if (ownNumbers.some(([flag]) => flag === arg)) {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${String(arg)}: expected a non-negative integer`);
      numbers.set(arg ?? '', n);
    } else if (own.some(([flag]) => flag === arg)) flags.add(arg ?? '');
    else if (arg === '--sizes') {
      sizes = (argv[++i] ?? '').split(',').map((s) => Number(s.trim()));
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes: expected positive integers separated by commas, e.g. 10000,100000');
    } else if (arg === '--calls-per-execution') {
      callsPerExecution = Number(argv[++i]);
      if (!Number.isInteger(callsPerExecution) || callsPerExecution <= 0) throw new Error('--calls-per-execution: expected a positive integer');
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `${usage.command} [--sizes 10000,100000] [--quick] [--calls-per-execution K]${own.map(([flag]) => ` [${flag}]`).join('')}\n` +
          `  --sizes                ${usage.records}, one measured pair of runs per size (default 10000,100000)\n` +
          `  --quick                one ${int(usage.quick)}-record smoke run\n` +
          `  --calls-per-execution  start the workflow with this many activity calls per execution (default: the product's ${CALLS_PER_EXECUTION}, through startJobRun), to exercise continue-as-new\n` +
          own.map(([flag, what]) => `  ${flag.padEnd(21)}${what}\n`).join(''),
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${String(arg)} (see --help)`);
  }
  return { sizes, callsPerExecution, flags, numbers };
}

// ---------------------------------------------------------------------------------------------- /proc

/** Resident set size of a process, from /proc (Linux). */
export function readProcStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (100 clock ticks a second). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time per thread name of a process so far, in ms (`/proc/<pid>/task/<tid>/stat`; threads that ended are not counted). */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d#-]+$/, '').trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

export interface CpuUse {
  /** The measured process (the worker, a baseline). */
  self: number;
  sandbox: number;
  /** The measured process's CPU time by thread name (`main` is the JavaScript thread), most first. */
  threads: Array<[string, number]>;
}

/** CPU time used between start and stop by the measured process (in all and per thread) and by the sandbox. */
export function cpuMeter(pid: number, sandboxPid: number): () => CpuUse {
  const self = cpuMs(pid);
  const sandbox = cpuMs(sandboxPid);
  const threads = threadCpuMs(pid);
  return () => ({
    self: cpuMs(pid) - self,
    sandbox: cpuMs(sandboxPid) - sandbox,
    threads: [...threadCpuMs(pid)].map(([name, ms]): [string, number] => [name, ms - (threads.get(name) ?? 0)]).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]),
  });
}

/** `main 1.20 s, tokio-runtime-w 0.31 s, ...`: a CpuUse's threads. */
export const threadCpu = (cpu: CpuUse) => cpu.threads.map(([name, ms]) => `${name} ${secs(ms)}`).join(', ');

export interface RssSample {
  start: number;
  peak: number;
  end: number;
  /** VmHWM: the process's lifetime peak, start-up (workflow bundling) included. */
  lifetimePeak: number;
  samples: number;
  /** Peak RSS in each fifth of the run's duration: flat at the end when memory does not grow with the records. */
  byFifth: number[];
}

/** Samples a process's RSS every 100 ms until stopped; the peak is what the run needed. */
class RssSampler {
  private readonly started = performance.now();
  private readonly series: Array<{ at: number; rss: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const rss = readProcStatus(this.pid)?.rss;
    if (rss !== undefined) this.series.push({ at: performance.now() - this.started, rss });
  }

  stop(): RssSample {
    clearInterval(this.timer);
    this.sample();
    const duration = Math.max(1, performance.now() - this.started);
    const byFifth = [0, 0, 0, 0, 0];
    for (const { at, rss } of this.series) {
      const i = Math.min(4, Math.floor((at / duration) * 5));
      byFifth[i] = Math.max(byFifth[i] ?? 0, rss);
    }
    return {
      start: this.series[0]?.rss ?? 0,
      peak: Math.max(0, ...this.series.map((s) => s.rss)),
      end: this.series[this.series.length - 1]?.rss ?? 0,
      lifetimePeak: readProcStatus(this.pid)?.hwm ?? 0,
      samples: this.series.length,
      byFifth,
    };
  }
}

export const rssByFifth = (r: RssSample) => r.byFifth.map((b) => (b / 1024 ** 2).toFixed(0)).join(' ');

export interface Measured<T> {
  value: T;
  /** Wall clock seen from here: `run` called → resolved. */
  ms: number;
  cpu: CpuUse;
  rss: RssSample;
}

/** One measured run: wall clock, CPU time of `pid` and of the sandbox, and `pid`'s RSS sampled throughout. */
export async function measured<T>(pid: number, sandboxPid: number, run: () => Promise<T>): Promise<Measured<T>> {
  const sampler = new RssSampler(pid);
  const cpu = cpuMeter(pid, sandboxPid);
  const started = performance.now();
  let value: T;
  try {
    value = await run();
  } catch (err) {
    sampler.stop();
    throw err;
  }
  return { value, ms: performance.now() - started, cpu: cpu(), rss: sampler.stop() };
}

// ---------------------------------------------------------------------------------------------- the sandbox's log

export async function requestLog(sandbox: Sandbox): Promise<LoggedRequest[]> {
  return (await sandbox.admin<{ requests: LoggedRequest[] }>('GET', '/__admin/requests')).requests;
}

export const clearRequestLog = (sandbox: Sandbox) => sandbox.admin('DELETE', '/__admin/requests');

/** The SOQL of a query request (empty for other requests). */
export const soqlOf = (r: LoggedRequest) => new URLSearchParams(r.query).get('q') ?? '';

/** A query or queryAll request (`/services/data/vNN.N/query?q=`). */
export const isQuery = (r: LoggedRequest) => /^\/services\/data\/[^/]+\/query(All)?$/.test(r.path);

/** The API calls in a request log, by kind. */
export interface ApiCalls {
  /** `/services/data/` requests: what counts as API calls. */
  data: number;
  /** `/services/oauth2/` requests (token, revoke), apart. */
  tokens: number;
  /** Data requests answered with a status of 400 or more. */
  errors: number;
  /** Calls and the sandbox's time answering them, per kind: the benchmark's own kinds, `describe` and `other`. */
  kinds: Map<string, { calls: number; serverMs: number }>;
  /** The objects described, in request order (what the describes beyond the minimum are). */
  described: string[];
  /** Method and path of the requests counted as `other`. */
  otherPaths: string[];
}

/** `kindOf` names a data request's kind; describes and the rest are counted as `describe` and `other`. */
export function countApiCalls(requests: LoggedRequest[], kindOf: (r: LoggedRequest) => string | undefined): ApiCalls {
  const use: ApiCalls = { data: 0, tokens: 0, errors: 0, kinds: new Map(), described: [], otherPaths: [] };
  for (const r of requests) {
    if (r.path.startsWith('/services/oauth2/')) use.tokens++;
    if (!r.path.startsWith('/services/data/')) continue;
    use.data++;
    if (r.status >= 400) use.errors++;
    const described = /\/sobjects\/([^/]+)(\/describe)?$/.exec(r.path)?.[1];
    const kind = kindOf(r) ?? (described ? 'describe' : 'other');
    if (kind === 'describe') use.described.push(described ?? '?');
    if (kind === 'other') use.otherPaths.push(`${r.method} ${r.path.replace(/^\/services\/data\/[^/]+/, '')}`);
    const k = use.kinds.get(kind) ?? { calls: 0, serverMs: 0 };
    k.calls++;
    k.serverMs += r.durationMs;
    use.kinds.set(kind, k);
  }
  return use;
}

export const callsOf = (a: ApiCalls, kind: string) => a.kinds.get(kind)?.calls ?? 0;
export const serverMsOf = (a: ApiCalls, kind: string) => a.kinds.get(kind)?.serverMs ?? 0;

// ---------------------------------------------------------------------------------------------- histories

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

const eventMs = (e: HistoryEvent) => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

export interface ActivityTiming {
  type: string;
  scheduledMs: number;
  startedMs: number | undefined;
  closedMs: number | undefined;
  attempt: number;
}

export interface ChainInfo {
  workflowId: string;
  /** Events per execution, in chain order. */
  events: number[];
  /** History size in bytes per execution, as the server counts it (0 when it does not say). */
  bytes: number[];
  /** Executions the visibility store lists for the workflow ID (a cross-check of the walk). */
  listed: number;
  activities: ActivityTiming[];
}

/**
 * Walks the run's continue-as-new chain back from its latest execution (the one that completed): each
 * execution's WorkflowExecutionStarted event names the run it continued from. Reads every execution's events.
 */
export async function walkChain(client: Client, workflowId: string): Promise<ChainInfo> {
  const executions: HistoryEvent[][] = [];
  const bytes: number[] = [];
  for (let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId; runId; ) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const list: HistoryEvent[] = (await handle.fetchHistory()).events ?? [];
    executions.unshift(list);
    bytes.unshift((await handle.describe()).historySize ?? 0);
    runId = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  const activities: ActivityTiming[] = [];
  for (const list of executions) {
    const byScheduledId = new Map<string, ActivityTiming>();
    for (const e of list) {
      if (e.activityTaskScheduledEventAttributes) {
        const timing: ActivityTiming = { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduledMs: eventMs(e), startedMs: undefined, closedMs: undefined, attempt: 1 };
        byScheduledId.set(String(e.eventId), timing);
        activities.push(timing);
      } else if (e.activityTaskStartedEventAttributes) {
        const timing = byScheduledId.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (timing) {
          timing.startedMs = eventMs(e);
          timing.attempt = e.activityTaskStartedEventAttributes.attempt ?? 1;
        }
      } else {
        const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
        const timing = closed ? byScheduledId.get(String(closed.scheduledEventId)) : undefined;
        if (timing) timing.closedMs = eventMs(e);
      }
    }
  }
  const events = executions.map((list) => list.length);
  // Visibility is eventually consistent: give the listing a moment to catch up with the walk.
  let listed = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    listed = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed++;
    if (listed >= events.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { workflowId, events, bytes, listed, activities };
}

/**
 * The longest history one execution of a job run can have: the start (execution started + a workflow task),
 * `calls` calls of the paging activity and `otherActivities` others (beginRun, countRunSource, the direction's
 * steps before and after paging, finishRun), each an activity's scheduled, started and completed events plus
 * the workflow task that follows (6), and the closing event. Continue-as-new keeps every execution under it,
 * whatever N.
 */
export const historyBound = (calls: number, otherActivities: number) => 4 + 6 * (calls + otherActivities) + 1;

/** Temporal's own limit on one execution's history (the server's default `limit.historyCount.error`). */
export const TEMPORAL_HISTORY_EVENT_LIMIT = 51_200;

export interface Breakdown {
  beginMs: number;
  pagesMs: number;
  pageCalls: number;
  scheduleToStartMs: number;
  finishMs: number;
  outsideMs: number;
  retries: number;
}

/** Where a workflow run's wall clock went, from its activities' scheduled, started and closed events. */
export function activityBreakdown(chain: ChainInfo, ms: number, types: { begin: string[]; pages: string; finish: string[] }): Breakdown {
  const b: Breakdown = { beginMs: 0, pagesMs: 0, pageCalls: 0, scheduleToStartMs: 0, finishMs: 0, outsideMs: 0, retries: 0 };
  let inActivities = 0;
  for (const a of chain.activities) {
    if (a.startedMs === undefined || a.closedMs === undefined) continue;
    const span = a.closedMs - a.scheduledMs;
    inActivities += span;
    b.scheduleToStartMs += a.startedMs - a.scheduledMs;
    if (a.attempt > 1) b.retries++;
    if (types.begin.includes(a.type)) b.beginMs += span;
    else if (types.finish.includes(a.type)) b.finishMs += span;
    else if (a.type === types.pages) {
      b.pagesMs += a.closedMs - a.startedMs;
      b.pageCalls++;
    }
  }
  b.outsideMs = ms - inActivities;
  return b;
}

// ---------------------------------------------------------------------------------------------- targets

/**
 * The "worker peak RSS flat in N" target row: the peak at the largest size against the peak at the smallest,
 * with the baseline process's peaks beside them.
 */
export function rssTargetRow(results: Array<{ n: number; worker: number; baseline: number }>, tolerance: number): string[] {
  const sizes = results.map((r) => int(r.n)).join(' | ');
  const peaks = results.map((r) => mb(r.worker)).join(' | ');
  const first = results[0];
  const last = results[results.length - 1];
  if (!first || !last || results.length < 2) return [`worker peak RSS flat in N (N = ${sizes})`, `${peaks} (needs two sizes to compare)`, 'n/a'];
  const growth = last.worker / first.worker - 1;
  const baselineGrowth = last.baseline / first.baseline - 1;
  return [
    `worker peak RSS flat in N (N = ${sizes})`,
    `${peaks} (${pct(growth)} from ${int(first.n)} to ${int(last.n)}, tolerance +${tolerance * 100}%; ` +
      `baseline process ${results.map((r) => mb(r.baseline)).join(' | ')}, ${pct(baselineGrowth)})`,
    verdict(growth <= tolerance),
  ];
}

/**
 * Worker peak RSS at the largest size may exceed the peak at the smallest by at most this fraction. A short
 * run can end before V8's heap has grown to its steady size, so the tables also print the peak per fifth of
 * each run; a larger size (`--sizes 10000,100000,300000`) shows whether the peak levels off or keeps growing
 * with N.
 */
export const RSS_GROWTH_TOLERANCE = 0.2;

// ---------------------------------------------------------------------------------------------- the sizes

/**
 * A run benchmark's body: the header, then each size measured and its report printed in turn, then the
 * targets; the exit code is 1 (with `failure` printed) when a size's report is not ok.
 */
export async function benchSizes<R>(
  sizes: number[],
  header: string,
  steps: { measure: (n: number, index: number) => Promise<R>; report: (r: R) => { ok: boolean; text: string }; targets: (results: R[]) => string; failure: string },
): Promise<void> {
  process.stdout.write(`${header}\n`);
  const results: R[] = [];
  let allCorrect = true;
  for (const [i, n] of sizes.entries()) {
    const result = await steps.measure(n, i);
    results.push(result);
    const report = steps.report(result);
    allCorrect &&= report.ok;
    process.stdout.write(`\n${report.text}\n`);
  }
  process.stdout.write(`\n${steps.targets(results)}\n`);
  if (!allCorrect) {
    process.stdout.write(`ERROR: ${steps.failure}\n`);
    process.exitCode = 1;
  }
}
