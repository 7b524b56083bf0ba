/**
 * Dataverse's service protection API limits, per client (the app registration): requests and combined
 * execution time in a sliding window, and concurrent requests; over a limit the answer is 429 with
 * `Retry-After` (seconds) and the limit's error. Every answer carries the remaining-allowance headers.
 *
 * Sources: "Service protection API limits": 6,000 requests and 1,200,000 ms of execution time per 300-second
 * sliding window, 52 concurrent requests; codes and messages 0x80072322 "Number of requests exceeded the limit
 * of 6000 over time window of 300 seconds.", 0x80072321 "Combined execution time of incoming requests exceeded
 * limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or
 * reduce the duration of requests and try again later.", 0x80072326 "Number of concurrent requests exceeded the
 * limit of 52."; the `x-ms-ratelimit-burst-remaining-xrm-requests` and `x-ms-ratelimit-time-remaining-xrm-requests`
 * headers. [infer] A refused request does not count; Retry-After is when the window frees enough (1 s for
 * concurrency). The defaults are Dataverse's, loose enough that suites never trip them.
 */
import { DataverseError } from './errors';

export interface ServiceProtectionLimits {
  maxRequests: number;
  maxExecutionMs: number;
  windowMs: number;
  maxConcurrent: number;
}

export const DEFAULT_LIMITS: ServiceProtectionLimits = { maxRequests: 6000, maxExecutionMs: 1_200_000, windowMs: 300_000, maxConcurrent: 52 };

const grouped = (n: number) => n.toLocaleString('en-US');

export interface Admission {
  headers: Record<string, string>;
  /** Call when the request has been answered. */
  release(): void;
}

export class ServiceProtection {
  private config: ServiceProtectionLimits;
  /** Admitted requests in the window: arrival (sandbox ms) and execution time (ms, once finished). */
  private window: { at: number; ms: number }[] = [];
  private inFlight = 0;

  constructor(
    private readonly defaults: ServiceProtectionLimits,
    private readonly nowMs: () => number,
  ) {
    this.config = { ...defaults };
  }

  reset(): void {
    this.configure(this.defaults);
  }

  configure(config: Partial<ServiceProtectionLimits>): ServiceProtectionLimits {
    this.config = { ...this.config, ...config };
    this.window = [];
    return { ...this.config };
  }

  status(): { config: ServiceProtectionLimits; requests: number; executionMs: number; inFlight: number } {
    const w = this.current();
    return { config: { ...this.config }, requests: w.length, executionMs: w.reduce((s, e) => s + e.ms, 0), inFlight: this.inFlight };
  }

  private current(): { at: number; ms: number }[] {
    const cutoff = this.nowMs() - this.config.windowMs;
    let n = 0;
    while (n < this.window.length && (this.window[n]?.at ?? 0) <= cutoff) n++;
    if (n) this.window.splice(0, n);
    return this.window;
  }

  private reject(code: string, message: string, retryAfterSeconds: number): DataverseError {
    return new DataverseError(429, code, message, { 'Retry-After': String(Math.max(1, retryAfterSeconds)) });
  }

  /** Admits a request or throws the 429. */
  admit(): Admission {
    const now = this.nowMs();
    const w = this.current();
    const { maxRequests, maxExecutionMs, windowMs, maxConcurrent } = this.config;
    const seconds = windowMs / 1000;
    if (this.inFlight >= maxConcurrent) throw this.reject('0x80072326', `Number of concurrent requests exceeded the limit of ${maxConcurrent}.`, 1);
    if (w.length >= maxRequests) {
      const frees = (w[w.length - maxRequests]?.at ?? now) + windowMs;
      throw this.reject('0x80072322', `Number of requests exceeded the limit of ${maxRequests} over time window of ${seconds} seconds.`, Math.ceil((frees - now) / 1000));
    }
    let used = w.reduce((s, e) => s + e.ms, 0);
    if (used >= maxExecutionMs) {
      let frees = now;
      for (const e of w) {
        used -= e.ms;
        frees = e.at + windowMs;
        if (used < maxExecutionMs) break;
      }
      throw this.reject(
        '0x80072321',
        `Combined execution time of incoming requests exceeded limit of ${grouped(maxExecutionMs)} milliseconds over time window of ${seconds} seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.`,
        Math.ceil((frees - now) / 1000),
      );
    }
    const entry = { at: now, ms: 0 };
    w.push(entry);
    this.inFlight++;
    const started = performance.now();
    let released = false;
    const executionUsed = w.reduce((s, e) => s + e.ms, 0);
    return {
      headers: {
        'x-ms-ratelimit-burst-remaining-xrm-requests': String(Math.max(0, maxRequests - w.length)),
        'x-ms-ratelimit-time-remaining-xrm-requests': (Math.max(0, maxExecutionMs - executionUsed) / 1000).toFixed(2),
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        entry.ms = performance.now() - started;
      },
    };
  }
}
