/**
 * The sandbox clock: the host clock (or an injected one) plus an offset the admin API can set or advance,
 * optionally frozen. Timestamps, token expiry, cursor expiry, the API usage window and the recycle bin all
 * read it, so tests can move time instead of waiting.
 */
export class SandboxClock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  constructor(private readonly base: () => Date = () => new Date()) {}

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.frozenAt ?? this.base().getTime() + this.offsetMs;
  }

  set(at: Date): void {
    if (this.frozenAt !== undefined) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - this.base().getTime();
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  freeze(frozen: boolean): void {
    if (frozen && this.frozenAt === undefined) this.frozenAt = this.nowMs();
    if (!frozen && this.frozenAt !== undefined) {
      this.offsetMs = this.frozenAt - this.base().getTime();
      this.frozenAt = undefined;
    }
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  get offset(): number {
    return this.frozenAt === undefined ? this.offsetMs : this.frozenAt - this.base().getTime();
  }

  restore(state: { offsetMs: number; frozenAt?: number | undefined }): void {
    this.offsetMs = state.offsetMs;
    this.frozenAt = state.frozenAt;
  }

  snapshot(): { offsetMs: number; frozenAt?: number } {
    return this.frozenAt === undefined ? { offsetMs: this.offsetMs } : { offsetMs: this.offsetMs, frozenAt: this.frozenAt };
  }
}

/**
 * Salesforce keeps dateTime values to the whole second (its JSON always shows `.000`): timestamps the
 * platform sets and datetimes a client writes are both truncated, so many records share a SystemModstamp,
 * as they do in a real org.
 */
export function wholeSecondIso(value: number | string): string {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return new Date(ms - (((ms % 1000) + 1000) % 1000)).toISOString();
}

/** Salesforce's JSON dateTime format: `2013-05-07T22:07:19.000+0000` (from an ISO `...Z` string or epoch ms). */
export function sfDateTime(value: string | number | Date): string {
  const iso = typeof value === 'string' ? value : new Date(value).toISOString();
  return iso.endsWith('Z') ? `${iso.slice(0, -1)}+0000` : iso;
}

/** Truncates to the minute, as getUpdated/getDeleted do with their window ("the API ignores the seconds"). */
export function truncateToMinute(ms: number): number {
  return ms - (((ms % 60000) + 60000) % 60000);
}
