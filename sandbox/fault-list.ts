/**
 * The list of injected faults the HubSpot and Dataverse sandboxes keep (their admin API's `/__admin/faults`):
 * each matches a method (any when absent) and a path glob, answers the next `count` matching requests, and is
 * removed when used up. What a fault does to a request is the sandbox's own (faults.ts of each).
 */

/** What every fault spec has: where it applies, and how many requests it takes. */
export interface FaultMatch {
  method?: string | undefined;
  /** Glob on the path without the query string: `*` matches anything, slashes included. */
  path?: string | undefined;
  count: number;
}

export type Listed<S> = S & { id: string; hits: number };

/** A path glob as a regular expression (`*` → anything, every other character literal). */
export function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

export class FaultList<S extends FaultMatch> {
  private faults: Array<Listed<S>> = [];
  private readonly patterns = new Map<string, RegExp>();
  private nextId = 1;

  add(spec: S): Listed<S> {
    const fault: Listed<S> = { ...spec, method: spec.method?.toUpperCase(), id: `fault-${this.nextId++}`, hits: 0 };
    if (spec.path) this.patterns.set(fault.id, globPattern(spec.path));
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
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
    this.patterns.clear();
  }

  /** The first fault matching the request, used up by one (removed at its last). */
  take(method: string, path: string): Listed<S> | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method === method) && (this.patterns.get(f.id)?.test(path) ?? true));
    if (!fault) return undefined;
    fault.hits++;
    if (--fault.count <= 0) this.remove(fault.id);
    return fault;
  }
}
