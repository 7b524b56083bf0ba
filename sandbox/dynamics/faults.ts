/**
 * Fault injection for the Dataverse sandbox, configured through `POST /__admin/faults`: for the next `count`
 * requests whose method and path match, wait `latencyMs` and/or answer `status` (with `body` and `headers`)
 * instead of the sandbox (a latency-only fault delays a Web API call after admission, so it is in flight and
 * counts as execution time). Faults apply to every non-admin request (the token endpoint included) before
 * authentication and the service protection limits. A 429 without a body is Dataverse's request-count error
 * with `Retry-After: retryAfterSeconds` (default 5), as "Service protection API limits" describes it.
 */
import type { DvResponse } from './http';

export interface FaultSpec {
  method?: string | undefined;
  /** Glob on the path without the query string; `*` matches anything, slashes included. */
  path?: string | undefined;
  /** Absent: only the latency, then the request is served. */
  status?: number | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  latencyMs?: number | undefined;
  retryAfterSeconds?: number | undefined;
  count: number;
}

export interface Fault extends FaultSpec {
  id: string;
  hits: number;
}

export function defaultFaultBody(status: number): Record<string, unknown> {
  if (status === 429) return { error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' } };
  return { error: { code: status >= 500 ? '0x80040216' : '0x80060888', message: `Injected HTTP ${status}` } };
}

const glob = (g: string) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, method: spec.method?.toUpperCase(), id: `fault-${this.nextId++}`, hits: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching the request (used up by one): its latency and, unless latency-only, its response. */
  take(method: string, path: string): { latencyMs: number; response?: DvResponse } | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method === method) && (!f.path || glob(f.path).test(path)));
    if (!fault) return undefined;
    fault.hits++;
    if (--fault.count <= 0) this.remove(fault.id);
    if (fault.status === undefined) return { latencyMs: fault.latencyMs ?? 0 };
    const body = fault.body === undefined ? defaultFaultBody(fault.status) : fault.body;
    const headers: Record<string, string> = { ...(fault.status === 429 ? { 'Retry-After': String(fault.retryAfterSeconds ?? 5) } : {}), ...fault.headers };
    return { latencyMs: fault.latencyMs ?? 0, response: { status: fault.status, ...(typeof body === 'string' ? { raw: body } : { body }), headers } };
  }
}
