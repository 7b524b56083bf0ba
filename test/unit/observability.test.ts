// Issue 15 (P3 operators), the parts that need no server: the JSON logger (one line per event, secrets redacted at
// any depth, in errors and in text), the Temporal SDK's log events as hubsync logs them (IDs, the event's own
// time), the session wrapper that counts CRM calls and errors, and the metrics variables of the environment.
import { LogTimestamp } from '@temporalio/worker';
import { CrmError } from '../../activities/crm/errors';
import type { CrmSession } from '../../activities/crm/connector';
import { countedSession, metricsRegistry } from '../../activities/telemetry';
import { loadEnv } from '../../kernel/env';
import { createLogger, redactText, type LogLevelName } from '../../workers/log';
import { JsonLogger } from '../../workers/runtime';

function capture(level: LogLevelName = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ level, name: 'hubsync-test', destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the JSON logger', () => {
  it('writes one JSON line per event with time, level, name and msg, at and above its level', () => {
    const { logger, lines, events } = capture('info');
    logger.debug('hidden');
    logger.info({ jobId: 'j' }, 'first\nsecond line');
    logger.warn('careful');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.trimEnd()).not.toContain('\n');
    expect(events()[0]).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), pid: process.pid, hostname: expect.any(String), name: 'hubsync-test', jobId: 'j', msg: 'first\nsecond line' });
    expect(events()[1]).toMatchObject({ level: 'warn', msg: 'careful' });
  });

  it('never writes the value of a secret-looking key, at any depth, nor credentials in text', () => {
    const { logger, lines, events } = capture();
    logger.info(
      {
        clientSecret: 'cs-1234567890',
        connection: { settings: { refresh_token: 'rt-1234567890', tokenUrl: 'https://login.example/token', nested: [{ Authorization: 'Bearer abcdefghijklmnop' }] } },
        HUBSYNC_SECRET_KEY: 'k-1234567890',
        'x-api-key': 'ak-1234567890',
        password: 'pw-1234567890',
        url: 'postgres://hubsync:pg-pass-123@db:5432/hub',
        note: 'sent client_secret=cs-1234567890&grant_type=refresh_token with Bearer eyJhbGciOiJIUzI1NiJ9.payload',
      },
      'token refresh for postgres://u:msg-pass-123@h/db',
    );
    const text = lines.join('');
    for (const secret of ['cs-1234567890', 'rt-1234567890', 'abcdefghijklmnop', 'k-1234567890', 'ak-1234567890', 'pw-1234567890', 'pg-pass-123', 'msg-pass-123', 'eyJhbGciOiJIUzI1NiJ9']) expect(text).not.toContain(secret);
    const e = events()[0]!;
    expect(e).toMatchObject({ clientSecret: '[redacted]', HUBSYNC_SECRET_KEY: '[redacted]', 'x-api-key': '[redacted]', password: '[redacted]', url: 'postgres://hubsync:[redacted]@db:5432/hub' });
    expect(e['connection']).toEqual({ settings: { refresh_token: '[redacted]', tokenUrl: 'https://login.example/token', nested: [{ Authorization: '[redacted]' }] } });
    expect(e['msg']).toBe('token refresh for postgres://u:[redacted]@h/db');
  });

  it('logs an error with its type, message, causes and stack, its own fields redacted', () => {
    const { logger, events } = capture();
    const cause = new Error('socket hang up');
    const err = Object.assign(new CrmError('transient', 'ERROR_HTTP_503', 'reading Account records: 503', { cause }), { accessToken: 'at-1234567890' });
    logger.error({ err }, 'page failed');
    const e = events()[0]!;
    expect(e['err']).toMatchObject({ type: 'CrmError', kind: 'transient', code: 'ERROR_HTTP_503', accessToken: '[redacted]', message: expect.stringContaining('socket hang up'), stack: expect.stringContaining('caused by: Error: socket hang up') });
    expect(JSON.stringify(e)).not.toContain('at-1234567890');
  });

  it('cuts credentials out of text', () => {
    expect(redactText('https://user:secret-pw@host/x and Basic dXNlcjpwYXNzd29yZA== and access_token=abc123')).toBe('https://user:[redacted]@host/x and Basic [redacted] and access_token=[redacted]');
    expect(redactText('plain text, https://host/path?x=1')).toBe('plain text, https://host/path?x=1');
  });
});

describe("the Temporal SDK's log events", () => {
  it("keep the SDK's IDs, name a workflow's run workflowRunId, carry the event's own time and drop the task token", () => {
    const { logger, events } = capture();
    const sdk = new JsonLogger(logger);
    const at = BigInt(Date.parse('2026-12-02T10:00:00.123Z')) * 1_000_000n;
    sdk.info('job run completed', { sdkComponent: 'workflow', workflowId: 'hubsync-job-x-manual-1', runId: 'r-1', workflowType: 'inboundJobWorkflow', jobId: 'x', jobRunId: 7, [LogTimestamp]: at });
    sdk.warn('Activity failed', { sdkComponent: 'worker', workflowId: 'w', workflowRunId: 'r-2', activityId: '3', activityType: 'syncInboundPages', taskToken: 'dG9rZW4=', error: new Error('boom') });
    sdk.trace('not at debug');
    const [workflow, activity] = events();
    expect(events()).toHaveLength(2);
    expect(workflow).toMatchObject({ level: 'info', time: '2026-12-02T10:00:00.123Z', workflowId: 'hubsync-job-x-manual-1', workflowRunId: 'r-1', jobId: 'x', jobRunId: 7, msg: 'job run completed' });
    expect(workflow).not.toHaveProperty('runId');
    expect(activity).toMatchObject({ level: 'warn', workflowRunId: 'r-2', activityId: '3', activityType: 'syncInboundPages', taskToken: '[redacted]', error: { type: 'Error', message: 'boom' } });
  });
});

describe('countedSession', () => {
  const value = async (name: string, labels: Record<string, string>) => {
    const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === name);
    return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((n, v) => n + v.value, 0);
  };

  it("counts each operation (the connector's own request count where it gives one) and each failure by kind, answering as the session does", async () => {
    class FakeSession {
      readonly kind = 'hubspot' as const;
      readonly connectionId = 'unit-hs';
      private readonly secret = 'kept';
      async readPage() {
        return { records: [], next: { modifiedAt: null, lastId: null }, done: true, who: this.secret };
      }
      async updateIfUnchanged() {
        return { ok: true, stale: false, id: '1', errors: [], requests: 2 };
      }
      async apiUsage() {
        throw new CrmError('rate-limit', 'RATE_LIMIT', 'slow down');
      }
      async describe() {
        throw new Error('not a CrmError');
      }
      reportedUsage() {
        return undefined;
      }
    }
    const session = countedSession(new FakeSession() as unknown as CrmSession);
    const labels = { connection: 'unit-hs', crm: 'hubspot' };
    expect(await session.readPage({ object: 'companies', paths: [] }, { modifiedAt: null, lastId: null }, { pageSize: 1, includeDeleted: false })).toMatchObject({ done: true, who: 'kept' });
    await session.updateIfUnchanged('companies', '1', null, {});
    await expect(session.apiUsage()).rejects.toThrow('slow down');
    await expect(session.describe('companies')).rejects.toThrow('not a CrmError');
    session.reportedUsage();
    expect(session.connectionId).toBe('unit-hs');
    expect(await value('hubsync_crm_api_calls_total', { ...labels, operation: 'readPage' })).toBe(1);
    expect(await value('hubsync_crm_api_calls_total', { ...labels, operation: 'updateIfUnchanged' })).toBe(2);
    expect(await value('hubsync_crm_api_calls_total', { ...labels, operation: 'apiUsage' })).toBe(1);
    expect(await value('hubsync_crm_api_calls_total', { ...labels, operation: 'reportedUsage' })).toBe(0);
    expect(await value('hubsync_crm_api_errors_total', { ...labels, operation: 'apiUsage', kind: 'rate-limit' })).toBe(1);
    expect(await value('hubsync_crm_api_errors_total', { ...labels, operation: 'describe', kind: 'other' })).toBe(1);
    expect(await value('hubsync_crm_api_errors_total', labels)).toBe(2);
  });
});

describe('the metrics variables', () => {
  it('default to port 9464 on all interfaces, take 0 to turn the endpoint off, and refuse what is not a port or URL', () => {
    const env = loadEnv({ HOME: '/home/u' });
    expect([env.HUBSYNC_METRICS_PORT, env.HUBSYNC_METRICS_HOST, env.HUBSYNC_METRICS_URL]).toEqual([9464, '0.0.0.0', undefined]);
    expect(loadEnv({ HUBSYNC_METRICS_PORT: '0' }).HUBSYNC_METRICS_PORT).toBe(0);
    expect(() => loadEnv({ HUBSYNC_METRICS_PORT: '70000' })).toThrow(/HUBSYNC_METRICS_PORT/);
    expect(() => loadEnv({ HUBSYNC_METRICS_PORT: 'nine' })).toThrow(/HUBSYNC_METRICS_PORT/);
    expect(() => loadEnv({ HUBSYNC_METRICS_HOST: 'a host' })).toThrow(/HUBSYNC_METRICS_HOST: expected a host name or IP address/);
    expect(() => loadEnv({ HUBSYNC_METRICS_URL: 'worker:9464' })).toThrow(/HUBSYNC_METRICS_URL: expected an http\(s\) URL/);
    expect(loadEnv({ HUBSYNC_METRICS_URL: 'http://worker:9464' }).HUBSYNC_METRICS_URL).toBe('http://worker:9464');
  });
});
