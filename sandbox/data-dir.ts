/**
 * A sandbox's data directory, as the HubSpot and Dataverse sandboxes keep theirs: `state.json` holds the small
 * things and names one generation file of NDJSON lines (records, rows, links). Lines are streamed out and in,
 * so a large sandbox never becomes one giant string; a save writes a new generation, then the state (by
 * rename), then removes the old generation, so a crash mid-save leaves the previous one whole.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const STATE_FILE = 'state.json';
const CHUNK_BYTES = 1 << 20;

/** What every state file holds: its format, and (under the sandbox's own key) the generation it names. */
export interface SavedState {
  format: number;
}

export const hasSavedState = (dir: string): boolean => fs.existsSync(path.join(dir, STATE_FILE));

/** The saved state, checked for `format`; undefined when nothing was saved in `dir`. */
export function readSavedState<S extends SavedState>(dir: string, format: number, what: string): S | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as S;
  if (state.format !== format) throw new Error(`${file}: unsupported ${what} state format ${String(state.format)}`);
  return state;
}

/** Writes the lines to `file` through a temporary file and a rename; returns how many there were. */
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

/**
 * Saves a new generation `<prefix>-<stamp>.ndjson` of `lines`, then the state `state(file, count)` names it,
 * then drops the generation the previous state named (`fileOf`).
 */
export async function saveGeneration<S extends SavedState>(
  dir: string,
  opts: { format: number; what: string; prefix: string; fileOf: (state: S) => string; lines: Iterable<unknown>; state: (file: string, lines: number) => S },
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const previous = readSavedState<S>(dir, opts.format, opts.what);
  const previousFile = previous ? opts.fileOf(previous) : undefined;
  // A new generation's name never equals the current one's, which stays whole until the state names the new one.
  const stamp = Date.now();
  const file = `${opts.prefix}-${previousFile === `${opts.prefix}-${stamp}.ndjson` ? stamp + 1 : stamp}.ndjson`;
  const count = await writeNdjson(path.join(dir, file), opts.lines);
  const stateFile = path.join(dir, STATE_FILE);
  fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(opts.state(file, count), null, 2));
  fs.renameSync(`${stateFile}.tmp`, stateFile);
  if (previousFile && previousFile !== file) fs.rmSync(path.join(dir, previousFile), { force: true });
}

/** The lines of a generation file, parsed, blank lines skipped. */
export async function* readGeneration<L>(dir: string, file: string): AsyncIterable<L> {
  const input = fs.createReadStream(path.join(dir, file), { encoding: 'utf8' });
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (text !== '') yield JSON.parse(text) as L;
  }
}
