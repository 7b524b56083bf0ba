/**
 * The worker's HTTP endpoint for operators (issue 15; P3): on HUBSYNC_METRICS_PORT (default 9464),
 * - `GET /metrics`: Prometheus text, hubsync's metrics (activities/telemetry.ts), the API budget gauges (read
 *   from the hub store's api_budgets when scraped), the process's (`process_*`, `nodejs_*`), then the
 *   Temporal SDK's own (`temporal_*`, served by Core on a loopback port of its own and fetched here), so one
 *   scrape gets them all;
 * - `GET /healthz`: liveness: 200 whenever the process's event loop answers;
 * - `GET /readyz`: readiness: 200 when the worker is RUNNING (polling its task queue), the Temporal frontend
 *   answers on the worker's own connection (GetSystemInfo) and the hub database answers `SELECT 1`; otherwise
 *   503 with the reason, as JSON. The compose file's and the image's health checks call it.
 */
import http from 'node:http';
import net from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { listBudgets } from '../activities/hub/budgets';
import type { BudgetState } from '../kernel/budget';
import type { Pool } from '../activities/hub/store';
import { metricsRegistry } from '../activities/telemetry';
import { redactText, type PinoLogger } from './log';
import type { HubsyncWorker } from './worker';

/** A port free on the loopback interface now (for Core's metrics exporter, which needs one given). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let processRegistry: Registry | undefined;
/** The process's own metrics (CPU, memory, event loop lag, GC), collected once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The API budget gauges, read from api_budgets at scrape time: every worker of a deployment reports the same. */
function budgetRegistry(pool: Pool, log?: PinoLogger): Registry {
  const registry = new Registry();
  // One read of api_budgets serves both gauges of a scrape (their collect callbacks run side by side).
  let read: { at: number; states: Promise<BudgetState[]> } | undefined;
  const states = (): Promise<BudgetState[]> => {
    if (!read || Date.now() - read.at > 1000) {
      read = {
        at: Date.now(),
        states: listBudgets(pool).catch((err: unknown) => {
          log?.warn({ err }, 'reading api_budgets for the metrics failed');
          return [];
        }),
      };
    }
    return read.states;
  };
  const gauge = (name: string, help: string, value: (usage: NonNullable<BudgetState['usage']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['connection', 'window'] as const,
      registers: [registry],
      async collect() {
        const all = await states();
        this.reset();
        for (const state of all) if (state.usage) this.set({ connection: state.connectionId, window: state.usage.window }, value(state.usage));
      },
    });
  gauge('hubsync_api_budget_remaining', "API calls left in the connection's window: the CRM's last report less what jobs claimed since (window: day or rolling)", (u) => Math.max(0, u.max - u.used));
  gauge('hubsync_api_budget_limit', "The connection's API allowance in its window, as last reported by the CRM (window: day or rolling)", (u) => u.max);
  return registry;
}

export interface ObservabilityServerOptions {
  port: number;
  host: string;
  pool: Pool;
  /** Core's Prometheus endpoint (the Temporal SDK's metrics), appended to /metrics. */
  coreMetricsUrl?: string;
  /** The worker's state (`RUNNING` when polling); undefined while it is being created. */
  workerState: () => string | undefined;
  /**
   * One cheap call to the Temporal frontend on the worker's connection; undefined while there is none yet. A
   * worker whose server went away stays RUNNING (its pollers retry), so only this call shows it.
   */
  temporalProbe: () => Promise<unknown> | undefined;
  log?: PinoLogger;
}

/**
 * The readiness inputs of a hubsync worker, `current()` while it is being created answering undefined: its
 * state, and GetSystemInfo on its own connection as the Temporal probe.
 */
export function workerReadiness(current: () => HubsyncWorker | undefined): Pick<ObservabilityServerOptions, 'workerState' | 'temporalProbe'> {
  return {
    workerState: () => current()?.worker.getState(),
    temporalProbe: () => current()?.connection.workflowService.getSystemInfo({}),
  };
}

export interface ObservabilityServer {
  /** `http://host:port` as bound (the port chosen when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const reason = (err: unknown) => redactText(err instanceof Error ? err.message : String(err));

/** 'ok', or why the call failed or did not answer within 2 s. */
async function answers(call: Promise<unknown>, what: string): Promise<string> {
  try {
    await withTimeout(call, 2000, what);
    return 'ok';
  } catch (err) {
    return reason(err);
  }
}

export interface Readiness {
  ready: boolean;
  worker: string;
  /** 'ok', the failure, or 'not connected yet' (the worker has no connection yet). */
  temporal: string;
  database: string;
  reason?: string;
}

/** Readiness: the worker polls, Temporal and the hub store answer; the reasons when not. */
export async function readiness(opts: Pick<ObservabilityServerOptions, 'pool' | 'workerState' | 'temporalProbe'>): Promise<Readiness> {
  const worker = opts.workerState() ?? 'STARTING';
  const probe = opts.temporalProbe();
  const [temporal, database] = await Promise.all([
    probe ? answers(probe, 'Temporal') : 'not connected yet',
    answers(opts.pool.query('SELECT 1'), 'the hub database'),
  ]);
  const problems = [
    ...(worker === 'RUNNING' ? [] : [worker === 'STARTING' ? 'the worker is starting (bundling workflows, connecting to Temporal)' : `the worker is ${worker}, not polling its task queue`]),
    // While the worker starts, the line above says it all.
    ...(temporal === 'ok' || (temporal === 'not connected yet' && worker === 'STARTING') ? [] : [`Temporal does not answer the worker: ${temporal}`]),
    ...(database === 'ok' ? [] : [`the hub database does not answer: ${database}`]),
  ];
  return { ready: problems.length === 0, worker, temporal, database, ...(problems.length ? { reason: problems.join('; ') } : {}) };
}

/** hubsync's, the budgets', the process's and the Temporal SDK's metrics, as one Prometheus text. */
async function metricsText(budgets: Registry, coreMetricsUrl: string | undefined): Promise<string> {
  const own = await Promise.all([metricsRegistry.metrics(), budgets.metrics(), processMetrics().metrics()]);
  let core = '';
  if (coreMetricsUrl) {
    try {
      const res = await fetch(coreMetricsUrl, { signal: AbortSignal.timeout(2000) });
      core = res.ok ? await res.text() : `# the Temporal SDK's metrics (${coreMetricsUrl}) answered HTTP ${res.status}\n`;
    } catch (err) {
      core = `# the Temporal SDK's metrics (${coreMetricsUrl}) are unavailable: ${reason(err).replace(/\n/g, ' ')}\n`;
    }
  }
  return [...own.map((t) => (t.endsWith('\n') || t === '' ? t : `${t}\n`)), core].join('');
}

export async function startObservabilityServer(opts: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const budgets = budgetRegistry(opts.pool, opts.log);
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET' });
    if (path === '/healthz') return json(res, 200, { status: 'alive', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
    if (path === '/readyz') {
      readiness(opts).then(
        (r) => json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', ...r }),
        (err: unknown) => json(res, 503, { status: 'not ready', ready: false, reason: reason(err) }),
      );
      return;
    }
    if (path === '/metrics') {
      metricsText(budgets, opts.coreMetricsUrl).then(
        (text) => {
          res.writeHead(200, { 'Content-Type': metricsRegistry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          opts.log?.error({ err }, 'serving /metrics failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`# metrics failed: ${reason(err)}\n`);
        },
      );
      return;
    }
    json(res, 404, { error: `no ${path}: try /metrics, /healthz or /readyz` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
