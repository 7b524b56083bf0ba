/**
 * Saving the org to a data directory and loading it back, as the HubSpot sandbox does: `state.json` holds the
 * small things (row version counter, change-tracking switches and retention, clock offset, issued access
 * tokens) and names a `rows-<generation>.ndjson` file with one line per row and per tombstone. Lines are
 * streamed; the state file is written last, by rename, so a crash mid-save leaves the previous generation whole.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { LookupValue, Org, Scalar, Tombstone } from './org';

const FORMAT = 1;
const STATE_FILE = 'state.json';
const CHUNK_BYTES = 1 << 20;

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

async function writeNdjson(file: string, items: Iterable<unknown>): Promise<number> {
  const tmp = `${file}.tmp`;
  const out = fs.createWriteStream(tmp, { encoding: 'utf8' });
  let count = 0;
  let chunk = '';
  for (const item of items) {
    chunk += `${JSON.stringify(item)}\n`;
    count++;
    if (chunk.length > CHUNK_BYTES) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  fs.renameSync(tmp, file);
  return count;
}

function readState(dir: string): OrgState | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as OrgState;
  if (state.format !== FORMAT) throw new Error(`${file}: unsupported Dynamics sandbox state format ${String(state.format)}`);
  return state;
}

export const hasSavedOrg = (dir: string) => fs.existsSync(path.join(dir, STATE_FILE));

export async function saveOrg(dir: string, org: Org, extra: { retentionDays: number; accessTokens: [string, number][] }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const previous = readState(dir);
  const stamp = Date.now();
  const rowsFile = `rows-${previous?.rowsFile === `rows-${stamp}.ndjson` ? stamp + 1 : stamp}.ndjson`;
  const count = await writeNdjson(path.join(dir, rowsFile), lines(org));
  const state: OrgState = { format: FORMAT, savedAt: new Date().toISOString(), rowsFile, lines: count, version: org.version, changeTracking: Object.fromEntries(org.changeTracking), retentionDays: extra.retentionDays, clock: org.clock.snapshot(), accessTokens: extra.accessTokens };
  const file = path.join(dir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  fs.renameSync(`${file}.tmp`, file);
  if (previous && previous.rowsFile !== rowsFile) fs.rmSync(path.join(dir, previous.rowsFile), { force: true });
}

/** Loads a saved org into `org` (emptied first); undefined when nothing was saved in `dir`. */
export async function loadOrg(dir: string, org: Org): Promise<OrgState | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  org.reset();
  const input = fs.createReadStream(path.join(dir, state.rowsFile), { encoding: 'utf8' });
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (text === '') continue;
    const line = JSON.parse(text) as Line;
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
