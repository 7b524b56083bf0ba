/**
 * Per-run statistics (T24), the same for inbound and outbound runs: counters only, no record payload ever
 * enters a workflow. Free of Node built-ins: workflow code imports it.
 */
export interface RunStats {
  /** Records the run read from its source (the CRM inbound, the hub outbound). */
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Records left alone, by reason code (PARENT_NOT_MATCHED, HUB_NEWER, …). */
  skipped: Record<string, number>;
  /** Records refused, by reason code; kept with their reason and retried (T28). */
  rejected: Record<string, number>;
  /** Pages committed. */
  pages: number;
}

export function emptyStats(): RunStats {
  return { read: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: {}, rejected: {}, pages: 0 };
}

function mergeCounts(x: Record<string, number>, y: Record<string, number>): Record<string, number> {
  const out = { ...x };
  for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function addStats(a: RunStats, b: RunStats): RunStats {
  return {
    read: a.read + b.read,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
    skipped: mergeCounts(a.skipped, b.skipped),
    rejected: mergeCounts(a.rejected, b.rejected),
    pages: a.pages + b.pages,
  };
}

export const totalOf = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** One line: "read 10, created 2, …, skipped 3 (PARENT_NOT_MATCHED 3), rejected 0"; reasons left out when `brief`. */
export function formatStats(stats: RunStats, opts: { brief?: boolean } = {}): string {
  const by = (counts: Record<string, number>) =>
    !opts.brief && Object.keys(counts).length ? ` (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return `read ${stats.read}, created ${stats.created}, updated ${stats.updated}, unchanged ${stats.unchanged}, deleted ${stats.deleted}, skipped ${totalOf(stats.skipped)}${by(stats.skipped)}, rejected ${totalOf(stats.rejected)}${by(stats.rejected)}`;
}
