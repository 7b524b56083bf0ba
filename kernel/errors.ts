/**
 * hubsync's one error model. Every error hubsync raises on purpose is a HubsyncError with a kind; the kind
 * alone decides what happens next:
 * - the worker's interceptor (workers/interceptors.ts) turns it into a Temporal failure, retryable or not by
 *   RETRYABLE below, with the CRM's retry hint when there is one;
 * - a job run whose activity failed for `auth` pauses the job's schedule and says so (workflows/job-run.ts);
 * - the CLI prints the message and the fix and exits 1.
 * Errors are told apart by `instanceof` or `kind`, never by comparing names. Free of Node built-ins: workflow
 * code imports it.
 */
export type ErrorKind =
  /** The CRM refused the credentials (revoked token, wrong secret): retrying cannot help; the job is paused. */
  | 'auth'
  /** The CRM's API allocation or rate limit is used up: retried after the CRM's hint, else with backoff. */
  | 'rate-limit'
  /** A network fault, a 5xx, a record lock: retried with backoff. */
  | 'transient'
  /** One record refused by the CRM (validation, duplicate): kept with its reason; the run goes on. */
  | 'record'
  /** Bad configuration or input (job, filter, settings, flags, environment): refused, nothing written. */
  | 'configuration'
  /** The job, connection or record named does not exist. */
  | 'not-found'
  /** The current state forbids it: already running, changed meanwhile, still in use. */
  | 'conflict';

export const RETRYABLE: Record<ErrorKind, boolean> = {
  auth: false,
  'rate-limit': true,
  transient: true,
  record: false,
  configuration: false,
  'not-found': false,
  conflict: false,
};

export interface HubsyncErrorOptions {
  /** A stable code for programs (the CRM's own, e.g. INVALID_SESSION_ID, or hubsync's). */
  code?: string;
  /** What the user should do about it, when the message does not say already. */
  fix?: string;
  /** How long the CRM asks callers to wait before trying again. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class HubsyncError extends Error {
  override readonly name: string = 'HubsyncError';
  readonly code: string | undefined;
  readonly fix: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    opts: HubsyncErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.fix = opts.fix;
    this.retryAfterMs = opts.retryAfterMs;
  }

  get retryable(): boolean {
    return RETRYABLE[this.kind];
  }
}

/** Bad configuration or input: the environment, a flag, a file, a job's settings. */
export class ConfigurationError extends HubsyncError {
  override readonly name: string = 'ConfigurationError';
  constructor(message: string, opts: HubsyncErrorOptions = {}) {
    super('configuration', message, opts);
  }
}

/** The thing named does not exist (a job, a connection, a schedule). */
export class NotFoundError extends HubsyncError {
  override readonly name: string = 'NotFoundError';
  constructor(message: string, opts: HubsyncErrorOptions = {}) {
    super('not-found', message, opts);
  }
}

/** The current state forbids the request (a run in progress, a concurrent change, a connection in use). */
export class ConflictError extends HubsyncError {
  override readonly name: string = 'ConflictError';
  constructor(message: string, opts: HubsyncErrorOptions = {}) {
    super('conflict', message, opts);
  }
}

/** An error's message followed by its fix (unless the message says it already), as users read it. */
export function messageWithFix(err: HubsyncError, indent = ''): string {
  return err.fix && !err.message.includes(err.fix) ? `${err.message}\n${indent}fix: ${err.fix}` : err.message;
}

/** The ApplicationFailure type an error of `kind` crosses the Temporal boundary with. */
export function failureType(kind: ErrorKind): string {
  return `hubsync.${kind}`;
}

/** The kind a failure type names, for code on the far side of the Temporal boundary (workflows, client). */
export function kindOfFailureType(type: string | undefined | null): ErrorKind | undefined {
  const kind = type?.startsWith('hubsync.') ? type.slice('hubsync.'.length) : undefined;
  return kind !== undefined && kind in RETRYABLE ? (kind as ErrorKind) : undefined;
}
