/**
 * The request log behind `GET /__admin/requests`: every non-admin request (method, path, status, timestamp),
 * so tests and benchmarks can count API calls. Bounded: the oldest entries go first.
 */
import { globPattern } from '../fault-list';

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Sandbox-clock time the request arrived. */
  timestamp: string;
  durationMs: number;
  /** Whether it counted against the daily API allocation. */
  counted: boolean;
}

export interface RequestFilter {
  method?: string | undefined;
  /** Glob on the path: `*` matches anything. */
  path?: string | undefined;
  since?: string | undefined;
}

/** What every sandbox's log entry has: what the filter of `list` looks at. */
export interface LoggedBase {
  method: string;
  path: string;
  timestamp: string;
}

/** A bounded log of requests, listed by method, path glob and time; the Dataverse sandbox logs its own entry shape. */
export class RequestLog<E extends LoggedBase = LoggedRequest> {
  private entries: E[] = [];

  constructor(private readonly capacity = 100000) {}

  add(entry: E): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: RequestFilter = {}): E[] {
    const pattern = filter.path ? globPattern(filter.path) : undefined;
    const since = filter.since ? Date.parse(filter.since) : undefined;
    return this.entries.filter(
      (e) =>
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!pattern || pattern.test(e.path)) &&
        (since === undefined || Date.parse(e.timestamp) >= since),
    );
  }

  clear(): void {
    this.entries = [];
  }
}
