/**
 * Saving the portal to a data directory and loading it back. `state.json` holds the small things (ID
 * sequences, owners, custom property definitions, issued OAuth access tokens) and names a
 * `records-<generation>.ndjson` file with one line per record (companies, contacts, archived ones too) and per
 * association (sandbox/data-dir.ts: streamed, and a crash mid-save leaves the previous generation whole).
 */
import { hasSavedState, readGeneration, readSavedState, saveGeneration } from '../data-dir';
import type { Link } from './associations';
import type { CrmRecord, Owner, Portal } from './portal';
import type { PropertyDef } from './schema';
import { OBJECT_TYPES, type ObjectTypeName } from './types';

const FORMAT = 1;
const WHAT = 'HubSpot sandbox';

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

export const hasSavedPortal = hasSavedState;

export async function savePortal(dir: string, portal: Portal, accessTokens: [string, number][]): Promise<void> {
  const byType = <T>(f: (type: ObjectTypeName) => T) => Object.fromEntries(TYPES.map((t) => [t, f(t)])) as Record<ObjectTypeName, T>;
  await saveGeneration<PortalState>(dir, {
    format: FORMAT,
    what: WHAT,
    prefix: 'records',
    fileOf: (state) => state.recordsFile,
    lines: lines(portal),
    state: (recordsFile, count) => ({
      format: FORMAT,
      savedAt: new Date().toISOString(),
      recordsFile,
      lines: count,
      sequences: byType((t) => portal.stores[t].nextId),
      owners: portal.owners,
      customProperties: byType((t) => [...portal.stores[t].properties.values()].filter((p) => !p.hubspotDefined)),
      accessTokens,
    }),
  });
}

/** Loads a saved portal into `portal` (emptied first); undefined when nothing was saved in `dir`. */
export async function loadPortal(dir: string, portal: Portal): Promise<PortalState | undefined> {
  const state = readSavedState<PortalState>(dir, FORMAT, WHAT);
  if (!state) return undefined;
  portal.reset();
  portal.owners = state.owners;
  for (const type of TYPES) for (const def of state.customProperties[type] ?? []) portal.stores[type].properties.set(def.name, def);
  for await (const line of readGeneration<Line>(dir, state.recordsFile)) {
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
