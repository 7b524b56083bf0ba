/**
 * Saving the org to a data directory and loading it back: `state.json` (schema changes, ID sequence, delete
 * log, clock, API usage) names a `records-<generation>.ndjson` file holding one record per line. Records are
 * streamed out and in, so a million of them never become one giant string; the state file is written last
 * (atomically, by rename), so a crash mid-save leaves the previous generation intact.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { type FieldValue } from './model';
import { blankFields, makeRecord, type DeletedEntry, type SchemaChange, type Store } from './store';

const FORMAT = 1;
const STATE_FILE = 'state.json';

export interface PersistedState {
  format: number;
  savedAt: string;
  recordsFile: string;
  records: number;
  idSequence: number;
  orgId: string;
  adminUserId: string;
  schemaChanges: SchemaChange[];
  deletedLog: DeletedEntry[];
  clock: { offsetMs: number; frozenAt?: number };
  apiUsage: { max: number; buckets: Array<[number, number]> };
}

export interface RuntimeState {
  orgId: string;
  adminUserId: string;
  apiUsage: { max: number; buckets: Array<[number, number]> };
}

export function hasSavedState(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_FILE));
}

export async function saveState(dir: string, store: Store, runtime: RuntimeState): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const previous = readState(dir);
  const recordsFile = `records-${Date.now()}.ndjson`;
  const tmp = path.join(dir, `${recordsFile}.tmp`);
  const out = fs.createWriteStream(tmp, { encoding: 'utf8' });
  let count = 0;
  let chunk = '';
  for (const record of store.allRecords()) {
    chunk += `${JSON.stringify({ t: record.type, f: record.fields })}\n`;
    count++;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  fs.renameSync(tmp, path.join(dir, recordsFile));

  const state: PersistedState = {
    format: FORMAT,
    savedAt: new Date().toISOString(),
    recordsFile,
    records: count,
    idSequence: store.ids.state,
    orgId: runtime.orgId,
    adminUserId: runtime.adminUserId,
    schemaChanges: store.schemaChanges,
    deletedLog: store.deletedLog,
    clock: store.clock.snapshot(),
    apiUsage: runtime.apiUsage,
  };
  const stateTmp = path.join(dir, `${STATE_FILE}.tmp`);
  fs.writeFileSync(stateTmp, JSON.stringify(state, null, 2));
  fs.renameSync(stateTmp, path.join(dir, STATE_FILE));
  if (previous && previous.recordsFile !== recordsFile) fs.rmSync(path.join(dir, previous.recordsFile), { force: true });
}

function readState(dir: string): PersistedState | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
  if (state.format !== FORMAT) throw new Error(`${file}: unsupported sandbox state format ${String(state.format)}`);
  return state;
}

/** Loads a saved org into an empty store; returns the runtime state, or undefined when nothing was saved. */
export async function loadState(dir: string, store: Store): Promise<PersistedState | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  for (const change of state.schemaChanges) {
    if (change.kind === 'object') store.addCustomObject(change.spec);
    else store.addCustomField(change.object, change.spec);
  }
  const input = fs.createReadStream(path.join(dir, state.recordsFile), { encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const { t, f } = JSON.parse(line) as { t: string; f: Record<string, FieldValue> };
    const object = store.schema.require(t);
    // Rebuild in schema order, so loaded records share one shape per object like freshly written ones.
    const fields = blankFields(object);
    for (const def of object.fields) {
      const value = f[def.name];
      if (value !== undefined && value !== null) fields[def.name] = value;
    }
    store.put(makeRecord(object.name, fields));
  }
  store.ids.state = state.idSequence;
  store.deletedLog = state.deletedLog;
  store.clock.restore(state.clock);
  return state;
}
