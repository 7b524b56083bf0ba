/**
 * The list of injected faults the HubSpot and Dataverse sandboxes keep (their admin API's `/__admin/faults`):
 * each matches a method (any when absent) and a path glob and takes the next `count` matching requests (then
 * it is removed), or each matching request with probability `rate`, drawn from a PRNG seeded with `seed` (a
 * seed of the fault's own when absent), so the same requests meet the same faults on every run: with `rate`
 * and no `count` it stays until deleted. What a fault does to a request is the sandbox's own (faults.ts of each).
 */
import { Prng } from './salesforce/prng';

/** What every fault spec has: where it applies, and how many requests it takes. */
export interface FaultMatch {
  method?: string | undefined;
  /** Glob on the path without the query string: `*` matches anything, slashes included. */
  path?: string | undefined;
  /** Requests it takes before it is removed; 1 when neither this nor `rate` is given, no limit with `rate` alone. */
  count?: number | undefined;
  /** The probability (0..1) that a matching request meets it; every matching request when absent. */
  rate?: number | undefined;
  /** Seeds the PRNG of `rate`. */
  seed?: number | undefined;
}

/** The seeds of faults given none: distinct per fault, so that two faults of one list draw independently. */
const DEFAULT_SEED = 20240501;

export type Listed<S> = S & { id: string; hits: number };

/** A path glob as a regular expression (`*` → anything, every other character literal). */
export function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

export class FaultList<S extends FaultMatch> {
  private faults: Array<Listed<S>> = [];
  private readonly patterns = new Map<string, RegExp>();
  private readonly prngs = new Map<string, Prng>();
  private nextId = 1;

  add(spec: S): Listed<S> {
    const n = this.nextId++;
    const count = spec.count ?? (spec.rate === undefined ? 1 : undefined);
    const fault: Listed<S> = { ...spec, method: spec.method?.toUpperCase(), count, id: `fault-${n}`, hits: 0 };
    if (spec.path) this.patterns.set(fault.id, globPattern(spec.path));
    if (spec.rate !== undefined) this.prngs.set(fault.id, new Prng(spec.seed ?? DEFAULT_SEED + n));
    this.faults.push(fault);
    return { ...fault };
  }

  list(): Array<Listed<S>> {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    this.patterns.delete(id);
    this.prngs.delete(id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
    this.patterns.clear();
    this.prngs.clear();
  }

  /** The first fault matching the request that fires (its `rate` drawn), used up by one (removed at its last). */
  take(method: string, path: string): Listed<S> | undefined {
    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && (this.patterns.get(f.id)?.test(path) ?? true) && (f.rate === undefined || (this.prngs.get(f.id)?.chance(f.rate) ?? false)),
    );
    if (!fault) return undefined;
    fault.hits++;
    if (fault.count !== undefined && --fault.count <= 0) this.remove(fault.id);
    return fault;
  }
}
