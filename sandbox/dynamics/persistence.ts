/**
 * Saving the org to a data directory and loading it back, as the HubSpot sandbox does: `state.json` holds the
 * small things (row version counter, change-tracking switches and retention, clock offset, issued access
 * tokens) and names a `rows-<generation>.ndjson` file with one line per row and per tombstone
 * (sandbox/data-dir.ts: streamed, and a crash mid-save leaves the previous generation whole).
 */
import { hasSavedState, readGeneration, readSavedState, saveGeneration } from '../data-dir';
import type { LookupValue, Org, Scalar, Tombstone } from './org';

const FORMAT = 1;
const WHAT = 'Dynamics sandbox';

export interface OrgState {
  format: number;
  savedAt: string;
  rowsFile: string;
  lines: number;
  version: number;
  changeTracking: Record<string, boolean>;
  retentionDays: number;
  clock: { offsetMs: number; frozenAt?: number };
  accessTokens: [string, number][];
}

type Line = { t: string; id: string; n: number; v: Record<string, Scalar>; l: Record<string, LookupValue> } | { t: string; d: Tombstone };

function* lines(org: Org): Iterable<Line> {
  for (const [name, store] of org.tables) {
    for (const r of store.rows.values()) yield { t: name, id: r.id, n: r.version, v: r.values, l: r.lookups };
    for (const d of store.tombstones) yield { t: name, d };
  }
}

export const hasSavedOrg = hasSavedState;

export async function saveOrg(dir: string, org: Org, extra: { retentionDays: number; accessTokens: [string, number][] }): Promise<void> {
  await saveGeneration<OrgState>(dir, {
    format: FORMAT,
    what: WHAT,
    prefix: 'rows',
    fileOf: (state) => state.rowsFile,
    lines: lines(org),
    state: (rowsFile, count) => ({
      format: FORMAT,
      savedAt: new Date().toISOString(),
      rowsFile,
      lines: count,
      version: org.version,
      changeTracking: Object.fromEntries(org.changeTracking),
      retentionDays: extra.retentionDays,
      clock: org.clock.snapshot(),
      accessTokens: extra.accessTokens,
    }),
  });
}

/** Loads a saved org into `org` (emptied first); undefined when nothing was saved in `dir`. */
export async function loadOrg(dir: string, org: Org): Promise<OrgState | undefined> {
  const state = readSavedState<OrgState>(dir, FORMAT, WHAT);
  if (!state) return undefined;
  org.reset();
  for await (const line of readGeneration<Line>(dir, state.rowsFile)) {
    const store = org.store(line.t);
    if ('d' in line) {
      store.tombstones.push(line.d);
      continue;
    }
    const row = { id: line.id, version: line.n, values: line.v, lookups: line.l };
    store.rows.set(row.id, row);
    store.index(undefined, row);
  }
  for (const store of org.tables.values()) store.tombstones.sort((a, b) => a.version - b.version);
  org.version = state.version;
  for (const [name, on] of Object.entries(state.changeTracking)) org.changeTracking.set(name, on);
  org.clock.restore(state.clock);
  return state;
}
