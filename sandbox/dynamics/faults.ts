/**
 * Fault injection for the Dataverse sandbox, configured through `POST /__admin/faults`: for the next `count`
 * requests whose method and path match, wait `latencyMs` and/or answer `status` (with `body` and `headers`)
 * instead of the sandbox (a latency-only fault delays a Web API call after admission, so it is in flight and
 * counts as execution time). Faults apply to every non-admin request (the token endpoint included) before
 * authentication and the service protection limits. A 429 without a body is Dataverse's request-count error
 * with `Retry-After: retryAfterSeconds` (default 5), as "Service protection API limits" describes it.
 */
import type { DvResponse } from './http';
import { FaultList, type FaultMatch, type Listed } from '../fault-list';

export interface FaultSpec extends FaultMatch {
  /** Absent: only the latency, then the request is served. */
  status?: number | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  latencyMs?: number | undefined;
  retryAfterSeconds?: number | undefined;
}

export type Fault = Listed<FaultSpec>;

export function defaultFaultBody(status: number): Record<string, unknown> {
  if (status === 429) return { error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' } };
  return { error: { code: status >= 500 ? '0x80040216' : '0x80060888', message: `Injected HTTP ${status}` } };
}

/** The faults, and what the one a request meets does: its latency and, unless latency-only, its response. */
export class FaultInjector extends FaultList<FaultSpec> {
  respond(method: string, path: string): { latencyMs: number; response?: DvResponse } | undefined {
    const fault = this.take(method, path);
    if (!fault) return undefined;
    if (fault.status === undefined) return { latencyMs: fault.latencyMs ?? 0 };
    const body = fault.body === undefined ? defaultFaultBody(fault.status) : fault.body;
    const headers: Record<string, string> = { ...(fault.status === 429 ? { 'Retry-After': String(fault.retryAfterSeconds ?? 5) } : {}), ...fault.headers };
    return { latencyMs: fault.latencyMs ?? 0, response: { status: fault.status, ...(typeof body === 'string' ? { raw: body } : { body }), headers } };
  }
}
