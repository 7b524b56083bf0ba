/**
 * Read-ahead for list pages. A client paging through a list (`getAll`, an inbound full read) asks for the page
 * at `paging.next.after` right after parsing the one it has; the sandbox renders that next page while the client
 * is still busy (on another core), and answers the request from it if nothing in the portal changed meanwhile.
 * The answer is byte for byte what rendering it then would give: the key is everything the page depends on
 * (type, archived, after, limit, properties, associations) and any write bumps the portal's change counter.
 */
import type { HsResponse } from './http';

/** A few readers paging at once each keep their next page; more evict the oldest. */
const ENTRIES = 8;

/** A rendered page and the `after` of the page following it. */
export interface ListPage {
  response: HsResponse;
  next?: string | undefined;
}

export class ReadAhead {
  private readonly pages = new Map<string, { version: number; page: ListPage }>();

  constructor(private readonly version: () => number) {}

  /** The prepared answer for `key`, if still valid (it is used up). */
  take(key: string): ListPage | undefined {
    const entry = this.pages.get(key);
    if (!entry) return undefined;
    this.pages.delete(key);
    return entry.version === this.version() ? entry.page : undefined;
  }

  /** Prepares the answer for `key` once the current request has been answered. */
  prepare(key: string, render: () => ListPage): void {
    setImmediate(() => {
      const version = this.version();
      const page = render();
      // Encoded now, so that answering it later is only a write.
      if (typeof page.response.raw === 'string') page.response.raw = Buffer.from(page.response.raw, 'utf8');
      this.pages.set(key, { version, page });
      while (this.pages.size > ENTRIES) this.pages.delete(this.pages.keys().next().value as string);
    });
  }
}
