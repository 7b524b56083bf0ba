/**
 * hubsync's own metrics and the activities' log lines about them (issue 15; P3 operators). One registry per
 * process (`metricsRegistry`); the worker serves it, with the Temporal SDK's metrics, on /metrics
 * (workers/observability.ts). Each metric is counted in one place:
 *
 * - `hubsync_records_total{job_kind,connection,direction,outcome}`: records of committed run pages, from the
 *   statistics stored with each page (outcome read, created, updated, unchanged, deleted, skipped, rejected),
 *   counted when the page's transaction commits (activities/hub/runs.ts recordPage), so a page an earlier
 *   attempt committed is never counted twice;
 * - `hubsync_crm_api_calls_total{connection,crm,operation}` and `hubsync_crm_api_errors_total{connection,crm,
 *   operation,kind}`: every CrmSession operation of the worker's sessions (activities/sessions.ts wraps each
 *   session it opens), one per call, or the requests the connector reports it took (`updateIfUnchanged`'s
 *   `requests`: HubSpot's check and PATCH); errors by the CrmError's kind (kernel/errors.ts), `other` for an
 *   error that is not one. These are hubsync's calls on the session: a describe the session answers from its
 *   cache counts as a call, and the token requests a connector makes on its own do not;
 * - `hubsync_writeback_duration_seconds{crm,status}`: one observation per data source of each applied
 *   write-back (activities/writeback/apply.ts), its time from the first read to the final log row.
 * The API budget gauge is read from the hub store when scraped (workers/observability.ts).
 */
import { Context } from '@temporalio/activity';
import { Counter, Histogram, Registry } from 'prom-client';
import { HubsyncError } from '../kernel/errors';
import { JOB_KIND_INFO, type JobKind } from '../kernel/job-kinds';
import { totalOf, type RunStats } from '../kernel/stats';
import type { CrmSession } from './crm/connector';

export const metricsRegistry = new Registry();

const records = new Counter({
  name: 'hubsync_records_total',
  help: 'Records of committed job run pages, by job kind, connection, direction and outcome (read, created, updated, unchanged, deleted, skipped, rejected)',
  labelNames: ['job_kind', 'connection', 'direction', 'outcome'] as const,
  registers: [metricsRegistry],
});

const crmCalls = new Counter({
  name: 'hubsync_crm_api_calls_total',
  help: "CRM API calls made through hubsync's CRM sessions, by connection, CRM and session operation",
  labelNames: ['connection', 'crm', 'operation'] as const,
  registers: [metricsRegistry],
});

const crmErrors = new Counter({
  name: 'hubsync_crm_api_errors_total',
  help: "CRM API calls that failed, by connection, CRM, session operation and hubsync error kind (auth, rate-limit, transient, record, configuration, not-found; other)",
  labelNames: ['connection', 'crm', 'operation', 'kind'] as const,
  registers: [metricsRegistry],
});

const writeBackDuration = new Histogram({
  name: 'hubsync_writeback_duration_seconds',
  help: 'Time to write one attribute back to one data source (read, compare, conditional write, micro-sync), by CRM and outcome status',
  labelNames: ['crm', 'status'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
  registers: [metricsRegistry],
});

/** The activity's logger when called inside one (its lines carry the activity's and job's IDs), else none. */
export function activityLog(): Context['log'] | undefined {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}

export interface PageJob {
  jobId: string;
  connectionId: string;
  config: { kind: JobKind };
}

/** A run's page is committed: its records are counted and the activity logs one line with the job's IDs. */
export function pageCommitted(job: PageJob, jobRunId: number, pageNo: number, stats: RunStats): void {
  const { direction } = JOB_KIND_INFO[job.config.kind];
  const labels = { job_kind: job.config.kind, connection: job.connectionId, direction };
  const counts = {
    read: stats.read,
    created: stats.created,
    updated: stats.updated,
    unchanged: stats.unchanged,
    deleted: stats.deleted,
    skipped: totalOf(stats.skipped),
    rejected: totalOf(stats.rejected),
  };
  for (const [outcome, n] of Object.entries(counts)) records.inc({ ...labels, outcome }, n);
  activityLog()?.info('page committed', {
    jobId: job.jobId,
    jobRunId,
    jobKind: job.config.kind,
    connectionId: job.connectionId,
    direction,
    pageNo,
    ...counts,
    ...(counts.skipped ? { skippedBy: stats.skipped } : {}),
    ...(counts.rejected ? { rejectedBy: stats.rejected } : {}),
  });
}

/** One data source of a write-back is done (not a replayed outcome). */
export function writeBackObserved(crm: string, status: string, durationMs: number): void {
  writeBackDuration.observe({ crm, status }, durationMs / 1000);
}

/** Session members that are not calls to the CRM: `reportedUsage` answers from headers already received. */
const NOT_CALLS = new Set<string | symbol>(['reportedUsage']);

/** Requests one call took, when the connector says (a conditional write's `requests`), else 1. */
function requestsOf(result: unknown): number {
  const requests = result && typeof result === 'object' ? (result as { requests?: unknown }).requests : undefined;
  return typeof requests === 'number' && Number.isInteger(requests) && requests > 0 ? requests : 1;
}

/**
 * The session with every operation counted (calls, errors by kind); otherwise the session itself: same
 * answers, same errors, `this` the real session.
 */
export function countedSession(session: CrmSession): CrmSession {
  const wrapped = new Map<string | symbol, unknown>();
  return new Proxy(session, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || NOT_CALLS.has(prop) || typeof prop !== 'string') return value;
      const known = wrapped.get(prop);
      if (known) return known;
      const fn = value as (...args: unknown[]) => unknown;
      const labels = { connection: target.connectionId, crm: target.kind, operation: prop };
      const failed = (err: unknown) => {
        crmCalls.inc(labels);
        crmErrors.inc({ ...labels, kind: err instanceof HubsyncError ? err.kind : 'other' });
      };
      const counting = (...args: unknown[]): unknown => {
        let result: unknown;
        try {
          result = fn.apply(target, args);
        } catch (err) {
          failed(err);
          throw err;
        }
        if (result instanceof Promise) {
          return result.then(
            (answer: unknown) => {
              crmCalls.inc(labels, requestsOf(answer));
              return answer;
            },
            (err: unknown) => {
              failed(err);
              throw err;
            },
          );
        }
        crmCalls.inc(labels);
        return result;
      };
      wrapped.set(prop, counting);
      return counting;
    },
  });
}
