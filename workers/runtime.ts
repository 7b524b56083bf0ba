/**
 * The Temporal runtime of a hubsync process, installed once, with hubsync's logger: one line per event on
 * stderr (a failed activity attempt is its job's workflow, the attempt and the error's first line, not the
 * SDK's multi-line dump), and the full detail, stacks included, appended to a log file when one is given
 * (`npm start`: <HUBSYNC_HOME>/worker.log). The full failure is also in the run's Temporal history.
 */
import fs from 'node:fs';
import { inspect } from 'node:util';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

export class WorkerLogger implements Logger {
  private readonly severity: number;

  constructor(
    level: LogLevel,
    private readonly detailFile?: string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    this.severity = SEVERITY[level];
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
    if (this.detailFile) {
      fs.appendFileSync(this.detailFile, `${new Date().toISOString()} ${level} ${message} ${inspect(meta ?? {}, { depth: 6, breakLength: Infinity })}\n`);
    }
  }

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

let installed = false;

/**
 * Installs the Temporal runtime once per process. hubsync handles SIGINT/SIGTERM itself (it must stop the
 * worker before the servers it started), so the SDK's own signal handling is turned off.
 */
export function installRuntime(level: 'debug' | 'info' | 'warn' | 'error' = 'warn', opts: { detailFile?: string } = {}): void {
  if (installed) return;
  Runtime.install({ logger: new WorkerLogger(level.toUpperCase() as LogLevel, opts.detailFile), shutdownSignals: [] });
  installed = true;
}
