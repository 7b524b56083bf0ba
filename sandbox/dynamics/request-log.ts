/**
 * The request log behind `GET /__admin/requests`: every non-admin request with the headers a connector's
 * behaviour shows in (Prefer, If-Match, If-None-Match), so tests can count calls and check what was asked.
 * Bounded: the oldest entries go first.
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
  prefer?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  constructor(private readonly capacity = 50_000) {}

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: { method?: string | undefined; path?: string | undefined; since?: string | undefined } = {}): LoggedRequest[] {
    const pattern = filter.path ? globPattern(filter.path) : undefined;
    const since = filter.since ? Date.parse(filter.since) : undefined;
    return this.entries.filter((e) => (!filter.method || e.method === filter.method.toUpperCase()) && (!pattern || pattern.test(e.path)) && (since === undefined || Date.parse(e.timestamp) >= since));
  }

  clear(): void {
    this.entries = [];
  }
}
