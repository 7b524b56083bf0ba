/**
 * Saving the portal to a data directory and loading it back. `state.json` holds the small things (ID
 * sequences, owners, custom property definitions, issued OAuth access tokens) and names a
 * `records-<generation>.ndjson` file with one line per record (companies, contacts, archived ones too) and per
 * association. Lines are streamed out and in, so a large portal never becomes one giant string; the state
 * file is written last, by rename, so a crash mid-save leaves the previous generation whole.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Link } from './associations';
import type { CrmRecord, Owner, Portal } from './portal';
import type { PropertyDef } from './schema';
import { OBJECT_TYPES, type ObjectTypeName } from './types';

const FORMAT = 1;
const STATE_FILE = 'state.json';
const CHUNK_BYTES = 1 << 20;

export interface PortalState {
  format: number;
  savedAt: string;
  recordsFile: string;
  lines: number;
  /** The next record ID per object type. */
  sequences: Record<ObjectTypeName, number>;
  owners: Owner[];
  customProperties: Record<ObjectTypeName, PropertyDef[]>;
  accessTokens: [string, number][];
}

/** One NDJSON line: a record of type `o`, or (`l`) an association. */
type Line = { o: ObjectTypeName; id: string; c: string; u: string; a?: string; v: Record<string, string> } | { l: Link };

const TYPES = Object.keys(OBJECT_TYPES) as ObjectTypeName[];

function* lines(portal: Portal): Iterable<Line> {
  for (const type of TYPES) {
    for (const r of portal.stores[type].all()) yield { o: type, id: r.id, c: r.createdAt, u: r.updatedAt, ...(r.archivedAt ? { a: r.archivedAt } : {}), v: Object.fromEntries(r.values) };
  }
  for (const link of portal.associations.all()) yield { l: { ...link } };
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

function writeFileAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function readState(dir: string): PortalState | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as PortalState;
  if (state.format !== FORMAT) throw new Error(`${file}: unsupported HubSpot sandbox state format ${String(state.format)}`);
  return state;
}

export function hasSavedPortal(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_FILE));
}

export async function savePortal(dir: string, portal: Portal, accessTokens: [string, number][]): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const previous = readState(dir);
  // A new generation's name never equals the current one's, which stays whole until the state names the new one.
  const stamp = Date.now();
  const recordsFile = `records-${previous?.recordsFile === `records-${stamp}.ndjson` ? stamp + 1 : stamp}.ndjson`;
  const count = await writeNdjson(path.join(dir, recordsFile), lines(portal));
  const byType = <T>(f: (type: ObjectTypeName) => T) => Object.fromEntries(TYPES.map((t) => [t, f(t)])) as Record<ObjectTypeName, T>;
  const state: PortalState = {
    format: FORMAT,
    savedAt: new Date().toISOString(),
    recordsFile,
    lines: count,
    sequences: byType((t) => portal.stores[t].nextId),
    owners: portal.owners,
    customProperties: byType((t) => [...portal.stores[t].properties.values()].filter((p) => !p.hubspotDefined)),
    accessTokens,
  };
  writeFileAtomically(path.join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  if (previous && previous.recordsFile !== recordsFile) fs.rmSync(path.join(dir, previous.recordsFile), { force: true });
}

/** Loads a saved portal into `portal` (emptied first); undefined when nothing was saved in `dir`. */
export async function loadPortal(dir: string, portal: Portal): Promise<PortalState | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  portal.reset();
  portal.owners = state.owners;
  for (const type of TYPES) for (const def of state.customProperties[type] ?? []) portal.stores[type].properties.set(def.name, def);
  const input = fs.createReadStream(path.join(dir, state.recordsFile), { encoding: 'utf8' });
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (text === '') continue;
    const line = JSON.parse(text) as Line;
    if ('l' in line) {
      portal.associations.load(line.l);
      continue;
    }
    const store = portal.stores[line.o];
    if (!store) throw new Error(`${state.recordsFile}: unknown object type ${String(line.o)}`);
    const record: CrmRecord = { id: line.id, values: new Map(Object.entries(line.v)), createdAt: line.c, updatedAt: line.u, ...(line.a ? { archivedAt: line.a } : {}) };
    store.load(record);
  }
  for (const type of TYPES) portal.stores[type].loaded(state.sequences[type] ?? 0);
  return state;
}
