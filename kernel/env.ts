/**
 * The environment of every hubsync process, parsed once at start-up. A bad value fails with the
 * variable's name and what it expects, instead of surfacing later as a connection error.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from './errors';
import { TASK_QUEUE } from './ids';
import { PROJECT_ROOT } from './paths';

const port = z.coerce.number().int().min(1).max(65535);

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port, e.g. 127.0.0.1:7233')
    .optional()
    .describe('An existing Temporal server; when unset, a local dev server is started'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional().describe('A temporal CLI binary to run the local dev server with'),
  TEMPORAL_PORT: port.default(7233).describe('gRPC port of the local dev server started by `npm start`'),
  TEMPORAL_UI_PORT: port.default(8233).describe('Web UI port of the local dev server started by `npm start`'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional()
    .describe('An existing PostgreSQL database; when unset, an embedded PostgreSQL is started'),
  HUBSYNC_PG_PORT: port.default(54329).describe('Port of the embedded PostgreSQL started by `npm start`'),
  HUBSYNC_HOME: z.string().min(1).optional().describe('Directory of local state (default: <repo>/.hubsync)'),
  HUBSYNC_CACHE_DIR: z.string().min(1).optional().describe('Per-user cache (default: $XDG_CACHE_HOME/hubsync or ~/.cache/hubsync)'),
  HUBSYNC_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
  HUBSYNC_WORKFLOW_BUNDLE: z
    .string()
    .min(1)
    .optional()
    .describe('A prebuilt workflow bundle for `hubsync worker` (default: dist/workflow-bundle.js beside compiled code; from the sources, bundled at start-up)'),
  HUBSYNC_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a task queue name: letters, digits, dots, dashes and underscores')
    .default(TASK_QUEUE)
    .describe('Temporal task queue the workers poll and the client starts workflows on'),
  HUBSYNC_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9464)
    .describe("Port of the worker's HTTP endpoint: Prometheus /metrics, /healthz (liveness), /readyz (readiness); 0 turns it off"),
  HUBSYNC_METRICS_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]{1,255}$/, 'expected a host name or IP address to bind, e.g. 0.0.0.0 or 127.0.0.1')
    .default('0.0.0.0')
    .describe('Address `hubsync worker` binds its metrics and health endpoint to (`npm start`: always 127.0.0.1)'),
  HUBSYNC_METRICS_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL, e.g. http://worker:9464')
    .optional()
    .describe("A worker's metrics and health endpoint for `hubsync doctor` to check (default: the one `npm start` serves)"),
  HUBSYNC_SFDC_SANDBOX_PORT: port.default(8383).describe('Port of the local Salesforce sandbox started by `npm start` (and the default of `hubsync sandbox salesforce`)'),
  HUBSYNC_HUBSPOT_SANDBOX_PORT: port.default(8384).describe('Port of the local HubSpot sandbox started by `npm start` (and the default of `hubsync sandbox hubspot`)'),
  HUBSYNC_DYNAMICS_SANDBOX_PORT: port.default(8385).describe('Port of the local Dynamics 365 (Dataverse) sandbox (the default of `hubsync sandbox dynamics`)'),
  HUBSYNC_SECRET_KEY: z
    .string()
    .regex(/^([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/, 'expected 32 bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`')
    .optional()
    .describe('Key that encrypts CRM connection secrets at rest (default for `npm start`: <HUBSYNC_HOME>/secret.key)'),
  HUBSYNC_PAYLOAD_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'expected 32 bytes as base64 (44 characters); generate one with `openssl rand -base64 32`')
    .optional()
    .describe('Key that encrypts workflow payloads (inputs, results, write-back values) before Temporal stores them; unset: payloads go as they are'),
});

export type HubsyncEnv = z.infer<typeof EnvSchema> & { hubsyncHome: string; cacheDir: string };

export function loadEnv(source: NodeJS.ProcessEnv = process.env): HubsyncEnv {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`);
    throw new ConfigurationError(`Invalid environment:\n${lines.join('\n')}\nFix or unset these variables; see README.md "Configuration".`);
  }
  const env = parsed.data;
  const xdgCache = source['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return {
    ...env,
    hubsyncHome: path.resolve(env.HUBSYNC_HOME ?? path.join(PROJECT_ROOT, '.hubsync')),
    cacheDir: path.resolve(env.HUBSYNC_CACHE_DIR ?? path.join(xdgCache, 'hubsync')),
  };
}

/**
 * The Salesforce and Dataverse client libraries route every request through *_proxy variables and ignore NO_PROXY,
 * which would send loopback traffic (sandboxes, local Temporal) to a proxy. Local processes drop them.
 */
export function clearProxyVariables(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[name];
}
