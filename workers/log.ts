/**
 * Structured logs (issue 15; P3 operators): one JSON line per event, from `hubsync worker` and the other
 * processes the CLI starts for a deployment, and the Temporal SDK's own logs (worker, activity, workflow and
 * Core's native ones) routed through the same logger (see workers/runtime.ts).
 *
 * Every line is one JSON object: `time` (ISO 8601), `level` (debug|info|warn|error), `msg`, `name` (the
 * process: `hubsync-worker`, …), `pid`, `hostname`, and the event's own fields. Lines of an activity carry
 * `workflowId`, `workflowRunId`, `activityId`, `activityType` (and `jobId`, `jobRunId` where hubsync knows the
 * job); lines of a workflow carry `workflowId`, `workflowRunId`, `workflowType`. The level is HUBSYNC_LOG_LEVEL.
 *
 * No secret is ever logged: the value of every key that looks like one (`clientSecret`, `refreshToken`,
 * `accessToken`, `password`, `authorization`, `HUBSYNC_SECRET_KEY`, …, at any depth, errors included) is
 * replaced by `[redacted]`, and text (messages, error messages, every string field) has URL credentials and
 * bearer tokens cut out. hubsync itself never puts a secret in a log call: this is the second line of defence.
 *
 * Node only (pino writes to a file descriptor): workflow code never imports it (ESLint: workers/ is not
 * importable from workflows/).
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';
export type { PinoLogger };

export const REDACTED = '[redacted]';

/** Keys whose values are never logged, compared without case, `_` or `-`. */
const SECRET_KEYS = new Set(
  [
    'clientSecret',
    'refreshToken',
    'accessToken',
    'idToken',
    'securityToken',
    'sessionId',
    'password',
    'passwd',
    'authorization',
    'proxyAuthorization',
    'cookie',
    'setCookie',
    'secret',
    'secrets',
    'token',
    'apiKey',
    'privateKey',
    'hubsyncSecretKey',
    'hubsyncPayloadKey',
    'secretsCiphertext',
    // Temporal's activity task token completes the activity for whoever holds it: not for logs.
    'taskToken',
  ].map(normalizeKey),
);
/** Any key naming a secret, token, password or credential (`oauthRefreshToken`, `x-api-key`, …). */
const SECRET_KEY_PATTERN = /secret|token|passw|authori[sz]ation|cookie|apikey|credential|privatekey/;
/** Keys that match the pattern but hold no secret: where a token comes from, and when it expires. */
const NOT_SECRET_KEYS = new Set(['tokenUrl', 'tokenExpiresAt', 'secretNames', 'secretKeyId', 'secretsKeyId'].map(normalizeKey));

function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase();
}

export function isSecretKey(key: string): boolean {
  const k = normalizeKey(key);
  if (NOT_SECRET_KEYS.has(k)) return false;
  return SECRET_KEYS.has(k) || SECRET_KEY_PATTERN.test(k);
}

/** Text with URL credentials (`postgres://user:pass@host`), bearer tokens and `key=secret` pairs cut out. */
export function redactText(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, `$1$2:${REDACTED}@`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`)
    .replace(/\b(client_secret|refresh_token|access_token|password|HUBSYNC_SECRET_KEY|HUBSYNC_PAYLOAD_KEY)=([^\s&"']+)/gi, `$1=${REDACTED}`);
}

/** A copy of `value` with secret-looking keys' values replaced and every string redacted, to `depth` levels. */
export function redactValue(value: unknown, depth = 8, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth <= 0) return '[…]';
  seen.add(value);
  if (value instanceof Error) return serializeError(value, depth, seen);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth - 1, seen));
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactValue(v, depth - 1, seen);
  return out;
}

/** An error as a log field: type, message (with its causes'), stack, and its own fields, redacted. */
function serializeError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(serialized)) {
    if (k === 'raw' || v === undefined) continue;
    out[k] = isSecretKey(k) ? REDACTED : redactValue(v, depth - 1, seen);
  }
  return out;
}

const errorSerializer = (err: unknown) => (err instanceof Error ? serializeError(err, 8, new WeakSet()) : redactValue(err));

export interface LoggerOptions {
  level: LogLevelName;
  /** The process, as the `name` field: `hubsync-worker`, `hubsync-codec-server`, … */
  name: string;
  /** Where lines go: a file path (appended), a stream, or stdout (default). */
  destination?: string | DestinationStream;
}

/** A pino logger writing one JSON line per event, redacted as described above. */
export function createLogger(opts: LoggerOptions): PinoLogger {
  const destination =
    typeof opts.destination === 'string'
      ? pino.destination({ dest: opts.destination, append: true, mkdir: true, sync: true })
      : (opts.destination ?? pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      name: opts.name,
      level: opts.level,
      // `time` is the event's: the Temporal SDK's lines bring their own (its log collector emits them up to
      // 100 ms late, sorted), every other line gets the time it is logged.
      timestamp: false,
      mixin: () => ({ time: new Date().toISOString() }),
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redactValue(fields) as Record<string, unknown>,
      },
      serializers: { err: errorSerializer, error: errorSerializer },
      hooks: {
        // The message is text too: cut credentials out of it as out of the fields.
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>;
          method.apply(this, redacted);
        },
      },
    },
    destination,
  );
}
