/**
 * The Temporal runtime of a hubsync process, installed once, with hubsync's logger (issue 15; P3):
 * - `hubsync worker` (json): every log event of the SDK (worker, activities, workflows, and Core's native
 *   logs, forwarded) is one JSON line through the process's pino logger (workers/log.ts), IDs as fields;
 * - `npm start` and tests (human, the default): one short line per event on stderr (a failed activity attempt
 *   is its job's workflow, the attempt and the error's first line, not the SDK's multi-line dump), and, when a
 *   detail file is given (`npm start`: <HUBSYNC_HOME>/worker.log), every event as a JSON line there, stacks
 *   included. The full failure is also in the run's Temporal history.
 * With `coreMetricsAddress`, Core serves the SDK's own Prometheus metrics there (the worker's /metrics
 * includes them, workers/observability.ts).
 */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { LogTimestamp, makeTelemetryFilterString, Runtime, type TelemetryOptions } from '@temporalio/worker';
import { createLogger, type LogLevelName, type PinoLogger } from './log';

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<LogLevel, string>;

/**
 * The fields of an SDK log event as hubsync logs them: the SDK's own (activity: workflowId, workflowRunId,
 * activityId, activityType, attempt; workflow: workflowId, runId, workflowType) with a workflow's `runId`
 * named `workflowRunId` as an activity's is, so that it is never taken for hubsync's own run (`jobRunId`).
 */
export function logFields(meta: LogMetadata = {}): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const at: unknown = meta[LogTimestamp];
  if (typeof at === 'bigint') fields['time'] = new Date(Number(at / 1_000_000n)).toISOString();
  for (const [k, v] of Object.entries(meta)) fields[k] = v;
  if (fields['runId'] !== undefined && fields['workflowRunId'] === undefined && fields['workflowId'] !== undefined) {
    fields['workflowRunId'] = fields['runId'];
    delete fields['runId'];
  }
  return fields;
}

/** Temporal's Logger interface: its five level methods are each one call of log(). */
abstract class LevelLogger implements Logger {
  abstract log(level: LogLevel, message: string, meta?: LogMetadata): void;

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Temporal's Logger over a pino logger: one JSON line per event. */
export class JsonLogger extends LevelLogger {
  constructor(readonly pino: PinoLogger) {
    super();
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pino[PINO_LEVEL[level]](logFields(meta), message);
  }
}

/** The terminal's logger of `npm start` and tests: one short line per event, the detail as JSON in a file. */
export class WorkerLogger extends LevelLogger {
  private readonly severity: number;
  private readonly detail: JsonLogger | undefined;

  constructor(
    level: LogLevel,
    detailFile?: string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    super();
    this.severity = SEVERITY[level];
    this.detail = detailFile ? new JsonLogger(createLogger({ level: PINO_LEVEL[level === 'TRACE' ? 'DEBUG' : level] as LogLevelName, name: 'hubsync-worker', destination: detailFile })) : undefined;
  }

  /** The one line a terminal gets for an event. */
  static summarize(level: LogLevel, message: string, meta: LogMetadata = {}): string {
    const error = meta['error'];
    if (message === 'Activity failed' && error instanceof Error) {
      const attempt = meta['attempt'] ?? '?';
      return `[worker] ${String(meta['activityType'] ?? 'activity')} of ${String(meta['workflowId'] ?? '?')} failed (attempt ${String(attempt)}): ${error.message.split('\n')[0]}`;
    }
    const context = ['workflowId', 'activityType'].filter((k) => meta[k] !== undefined).map((k) => `${k}=${String(meta[k])}`);
    const reason = error instanceof Error ? `: ${error.message.split('\n')[0]}` : '';
    return `[worker] ${level} ${message}${reason}${context.length ? ` (${context.join(', ')})` : ''}`;
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITY[level] < this.severity) return;
    this.write(WorkerLogger.summarize(level, message, meta));
    this.detail?.log(level, message, meta);
  }
}

export interface RuntimeLogOptions {
  /** JSON lines through this logger (`hubsync worker`); otherwise the terminal's short lines. */
  json?: PinoLogger;
  /** With the terminal's lines: every event as a JSON line in this file too. */
  detailFile?: string;
  /** host:port on which Core serves the SDK's Prometheus metrics (off when absent). */
  coreMetricsAddress?: string;
}

let installed = false;

/**
 * Installs the Temporal runtime once per process. hubsync handles SIGINT/SIGTERM itself (it must stop the
 * worker before the servers it started), so the SDK's own signal handling is turned off. Core's native logs
 * are forwarded to the same logger, at the same level.
 */
export function installRuntime(level: LogLevelName = 'warn', opts: RuntimeLogOptions = {}): void {
  if (installed) return;
  const sdkLevel = level.toUpperCase() as LogLevel;
  const logger = opts.json ? new JsonLogger(opts.json) : new WorkerLogger(sdkLevel, opts.detailFile);
  const telemetryOptions: TelemetryOptions = {
    // Core's own crates at the level; the libraries under it (gRPC, HTTP/2) only from errors, as the SDK's default.
    logging: { filter: makeTelemetryFilterString({ core: sdkLevel, other: sdkLevel === 'DEBUG' ? 'INFO' : 'ERROR' }), forward: {} },
    ...(opts.coreMetricsAddress ? { metrics: { prometheus: { bindAddress: opts.coreMetricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } : {}),
  };
  Runtime.install({ logger, telemetryOptions, shutdownSignals: [] });
  installed = true;
}
