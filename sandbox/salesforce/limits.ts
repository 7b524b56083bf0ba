/**
 * The org's daily API request allocation: every authenticated /services/data call counts, the count is
 * reported on each response as `Sforce-Limit-Info: api-usage=N/M` (jsforce parses it into conn.limitInfo),
 * and once it is spent calls are refused with 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded."
 * The window is a rolling 24 hours, as Salesforce counts it, kept in hourly buckets of the sandbox clock.
 */
import { type SandboxClock } from './clock';
import { json, type Router } from './http';
import { SalesforceError } from './model';
import { type Store } from './store';

const HOUR_MS = 3600 * 1000;
/** Enterprise Edition's base allocation. */
export const DEFAULT_DAILY_API_LIMIT = 100000;

export class ApiUsage {
  private buckets = new Map<number, number>();

  constructor(
    private readonly clock: SandboxClock,
    public max: number = DEFAULT_DAILY_API_LIMIT,
  ) {}

  private hour(): number {
    return Math.floor(this.clock.nowMs() / HOUR_MS);
  }

  used(): number {
    const oldest = this.hour() - 23;
    let total = 0;
    for (const [hour, count] of this.buckets) {
      if (hour < oldest) this.buckets.delete(hour);
      else total += count;
    }
    return total;
  }

  /** Counts one call, or refuses it when the allocation is spent. */
  consume(): void {
    if (this.used() >= this.max) throw new SalesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    const hour = this.hour();
    this.buckets.set(hour, (this.buckets.get(hour) ?? 0) + 1);
  }

  /** Sets the usage of the current window (admin API), e.g. to start a test just below the limit. */
  setUsed(used: number): void {
    this.buckets = new Map(used > 0 ? [[this.hour(), used]] : []);
  }

  header(): string {
    return `api-usage=${this.used()}/${this.max}`;
  }

  snapshot(): Array<[number, number]> {
    return [...this.buckets];
  }

  restore(buckets: Array<[number, number]>, max: number): void {
    this.buckets = new Map(buckets);
    this.max = max;
  }
}

function limit(max: number, remaining: number): { Max: number; Remaining: number } {
  return { Max: max, Remaining: Math.max(0, remaining) };
}

/** Salesforce counts about 2 KB of data storage per record. */
const RECORD_KB = 2;

export function registerLimitsRoute(router: Router, usage: ApiUsage, store: Store): void {
  router.add('GET', '/services/data/:version/limits', () => {
    let records = 0;
    for (const record of store.allRecords()) if (!record.isDeleted) records++;
    const dataMax = 1024;
    const dataUsedMb = Math.ceil((records * RECORD_KB) / 1024);
    return json(200, {
      ConcurrentAsyncGetReportInstances: limit(200, 200),
      ConcurrentSyncReportRuns: limit(20, 20),
      DailyApiRequests: limit(usage.max, usage.max - usage.used()),
      DailyAsyncApexExecutions: limit(250000, 250000),
      DailyBulkApiBatches: limit(15000, 15000),
      DailyBulkV2QueryFileStorageMB: limit(976562, 976562),
      DailyBulkV2QueryJobs: limit(10000, 10000),
      DailyGenericStreamingApiEvents: limit(10000, 10000),
      DailyStreamingApiEvents: limit(1000000, 1000000),
      DataStorageMB: limit(dataMax, dataMax - dataUsedMb),
      FileStorageMB: limit(1024, 1024),
      HourlyODataCallout: limit(20000, 20000),
      HourlyTimeBasedWorkflow: limit(1000, 1000),
      SingleEmail: limit(5000, 5000),
    });
  });
}
