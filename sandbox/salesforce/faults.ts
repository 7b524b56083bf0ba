/**
 * Fault injection, configured through the admin API: HTTP faults (a status and error body for requests whose
 * method and path match), added latency, and per-record UNABLE_TO_LOCK_ROW failures inside DML. Each fault
 * fires for its next `count` matches, or with probability `rate` (seeded, so runs repeat), or always.
 *
 * Remember jsforce's transport when injecting on GETs: 420/429/5xx on GET/PUT/DELETE are retried silently up
 * to 5 times, so a single injected 503 on a query is invisible to the caller.
 */
import { Prng } from './prng';

export type DmlOperation = 'create' | 'update' | 'upsert' | 'delete';

interface Trigger {
  /** Fires for this many matches, then is spent (and removed). */
  count?: number | undefined;
  /** Fires with this probability per match (0..1). */
  rate?: number | undefined;
}

export interface HttpFaultSpec extends Trigger {
  kind: 'http';
  method?: string | undefined;
  /** Glob on the request path (no query string): `*` matches anything, slashes included, e.g. `*query*`. */
  path?: string | undefined;
  status: number;
  body?: unknown;
  headers?: Record<string, string> | undefined;
}

export interface LatencyFaultSpec extends Trigger {
  kind: 'latency';
  method?: string | undefined;
  path?: string | undefined;
  latencyMs: number;
}

export interface RecordLockFaultSpec extends Trigger {
  kind: 'recordLock';
  /** Only records of this object (any object when absent). */
  object?: string | undefined;
  operations?: DmlOperation[] | undefined;
}

export type FaultSpec = HttpFaultSpec | LatencyFaultSpec | RecordLockFaultSpec;
export type Fault = FaultSpec & { id: string; hits: number };

const DEFAULT_BODIES: Record<number, { errorCode: string; message: string }> = {
  400: { errorCode: 'BAD_REQUEST', message: 'Bad request' },
  401: { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
  403: { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' },
  404: { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
  500: { errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1729315637-12345 (-1234567890)' },
  502: { errorCode: 'SERVER_UNAVAILABLE', message: 'Bad gateway' },
  503: { errorCode: 'SERVER_UNAVAILABLE', message: 'Server is unavailable' },
};

/** The error body an HTTP fault answers with when its spec has none: Salesforce's array shape. */
export function defaultFaultBody(status: number): unknown {
  const known = DEFAULT_BODIES[status] ?? { errorCode: `HTTP_${status}`, message: `Injected HTTP ${status}` };
  return [known];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export class FaultInjector {
  private faults: Fault[] = [];
  private patterns = new Map<string, RegExp>();
  private nextId = 1;
  private prng = new Prng(20240501);

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${this.nextId++}`, hits: 0 };
    this.faults.push(fault);
    return fault;
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

  /** The HTTP fault to answer this request with, if any fires. */
  httpFault(method: string, path: string): HttpFaultSpec | undefined {
    for (const fault of this.faults) {
      if (fault.kind === 'http' && this.matchesRequest(fault, method, path) && this.fire(fault)) return fault;
    }
    return undefined;
  }

  /** Total latency to add before answering this request. */
  latencyMs(method: string, path: string): number {
    let total = 0;
    for (const fault of this.faults) {
      if (fault.kind === 'latency' && this.matchesRequest(fault, method, path) && this.fire(fault)) total += fault.latencyMs;
    }
    return total;
  }

  /** Whether this record's DML fails with UNABLE_TO_LOCK_ROW. */
  recordLocked(operation: DmlOperation, objectName: string): boolean {
    for (const fault of this.faults) {
      if (fault.kind !== 'recordLock') continue;
      if (fault.object && fault.object.toLowerCase() !== objectName.toLowerCase()) continue;
      if (fault.operations && !fault.operations.includes(operation)) continue;
      if (this.fire(fault)) return true;
    }
    return false;
  }

  private matchesRequest(fault: HttpFaultSpec | LatencyFaultSpec, method: string, path: string): boolean {
    if (fault.method && fault.method.toUpperCase() !== method) return false;
    if (!fault.path) return true;
    let pattern = this.patterns.get(fault.path);
    if (!pattern) {
      pattern = globToRegExp(fault.path);
      this.patterns.set(fault.path, pattern);
    }
    return pattern.test(path);
  }

  private fire(fault: Fault): boolean {
    if (fault.rate !== undefined && !this.prng.chance(fault.rate)) return false;
    fault.hits++;
    if (fault.count !== undefined) {
      fault.count--;
      if (fault.count <= 0) this.faults = this.faults.filter((f) => f !== fault);
    }
    return true;
  }
}
