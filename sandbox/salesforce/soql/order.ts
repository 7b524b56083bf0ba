/**
 * ORDER BY. Sort keys are extracted once per matched row into arrays (typed arrays for numeric kinds), and the
 * rows' indices are sorted with a comparator that only reads those arrays: no per-comparison field lookups,
 * relationship hops or allocations.
 *
 * Salesforce semantics: ASC sorts nulls first and DESC nulls last unless NULLS FIRST/LAST says otherwise; text
 * sorts case-insensitively; a picklist sorts in the order its values are defined in, not alphabetically. Rows
 * that tie on every key keep a deterministic order by Id (Salesforce leaves it unspecified), which keeps
 * OFFSET paging stable.
 */
import { type OrderByClause } from '@jetstreamapp/soql-parser-js';
import { type DataSource, type StoredRecord } from '../model';
import { notSupported, queryError } from './errors';
import { resolvePath, type PathContext, type ResolvedPath } from './fields';
import { kindOf, normalizer, type Normal } from './values';

export interface OrderKey {
  path: ResolvedPath;
  descending: boolean;
  nullsFirst: boolean;
}

export function compileOrderBy(orderBy: OrderByClause | OrderByClause[], ctx: PathContext, positions: number[]): OrderKey[] {
  const clauses = Array.isArray(orderBy) ? orderBy : [orderBy];
  const keys = clauses.map((clause, i): OrderKey => {
    const at = positions[i];
    if (!('field' in clause)) throw notSupported(ctx.soql, at, 'ORDER BY on a function');
    const path = resolvePath(ctx, clause.field, at);
    if (!path.field.sortable) throw queryError(ctx.soql, at, 'INVALID_FIELD', `field '${path.field.name}' can not be sorted in a query call`);
    const descending = clause.order === 'DESC';
    return { path, descending, nullsFirst: clause.nulls ? clause.nulls === 'FIRST' : !descending };
  });
  const last = keys[keys.length - 1];
  if (last?.path.canonical !== 'Id') keys.push({ path: resolvePath(ctx, 'Id', undefined), descending: false, nullsFirst: true });
  return keys;
}

type Comparator = (a: number, b: number) => number;

/** Picklist values rank by their position in the definition; values not in it sort after, alphabetically. */
function picklistRanks(key: OrderKey, raw: (string | null)[]): Float64Array {
  const rank = new Map<string, number>();
  key.path.field.picklistValues.forEach((p, i) => {
    const lower = p.value.toLowerCase();
    if (!rank.has(lower)) rank.set(lower, i);
  });
  const unknown = [...new Set(raw.filter((v): v is string => v !== null && !rank.has(v)))].sort();
  unknown.forEach((v, i) => rank.set(v, key.path.field.picklistValues.length + i));
  return Float64Array.from(raw, (v) => (v === null ? NaN : (rank.get(v) ?? NaN)));
}

function extract(key: OrderKey, rows: StoredRecord[], ds: DataSource): Float64Array | (string | null)[] {
  const kind = kindOf(key.path.field.type);
  const normalize = normalizer(kind);
  const read = key.path.read;
  if (key.path.field.type === 'picklist') {
    return picklistRanks(
      key,
      rows.map((r) => normalize(read(r, ds)) as string | null),
    );
  }
  if (kind === 'number' || kind === 'boolean' || kind === 'datetime') {
    const values = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = normalize(read(rows[i] as StoredRecord, ds));
      values[i] = v === null ? NaN : (v as number);
    }
    return values;
  }
  const values = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = normalize(read(rows[i] as StoredRecord, ds)) as string | null;
  return values;
}

function comparator(key: OrderKey, values: Float64Array | (string | null)[]): Comparator {
  const dir = key.descending ? -1 : 1;
  const nullOrder = key.nullsFirst ? -1 : 1;
  if (values instanceof Float64Array) {
    return (a, b) => {
      const x = values[a] as number;
      const y = values[b] as number;
      if (x === y) return 0;
      if (x !== x) return y !== y ? 0 : nullOrder;
      if (y !== y) return -nullOrder;
      return x < y ? -dir : dir;
    };
  }
  return (a, b) => {
    const x = values[a] as Normal | null;
    const y = values[b] as Normal | null;
    if (x === y) return 0;
    if (x === null) return nullOrder;
    if (y === null) return -nullOrder;
    return x < y ? -dir : dir;
  };
}

/**
 * The rows in ORDER BY order; only the first `take` when given. A small `take` relative to the row count
 * (`ORDER BY SystemModstamp DESC LIMIT 1`, a sync checkpoint's favourite) selects with a bounded heap
 * instead of sorting everything.
 */
export function sortRecords(rows: StoredRecord[], keys: readonly OrderKey[], ds: DataSource, take = rows.length): StoredRecord[] {
  const comparators = keys.map((key) => comparator(key, extract(key, rows, ds)));
  const [first, second] = comparators;
  let compare: Comparator;
  if (comparators.length === 1 && first) compare = first;
  else if (comparators.length === 2 && first && second) compare = (a, b) => first(a, b) || second(a, b);
  else
    compare = (a, b) => {
      for (const c of comparators) {
        const r = c(a, b);
        if (r !== 0) return r;
      }
      return 0;
    };
  const count = Math.min(take, rows.length);
  const order = count * 8 < rows.length ? smallest(rows.length, count, compare) : allSorted(rows.length, compare);
  const sorted = new Array<StoredRecord>(count);
  for (let i = 0; i < count; i++) sorted[i] = rows[order[i] as number] as StoredRecord;
  return sorted;
}

function allSorted(n: number, compare: Comparator): Uint32Array {
  // A typed index array keeps a million-row sort off the JS heap (less GC) and sorts a little faster.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort(compare);
}

/** The `k` smallest indices in order, via a max-heap of size k: O(n log k) comparisons. */
function smallest(n: number, k: number, compare: Comparator): Uint32Array {
  const heap = new Uint32Array(k);
  let size = 0;
  const siftDown = (from: number) => {
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < size && compare(heap[left] as number, heap[largest] as number) > 0) largest = left;
      if (right < size && compare(heap[right] as number, heap[largest] as number) > 0) largest = right;
      if (largest === i) return;
      const swap = heap[i] as number;
      heap[i] = heap[largest] as number;
      heap[largest] = swap;
      i = largest;
    }
  };
  for (let row = 0; row < n && k > 0; row++) {
    if (size < k) {
      let i = size++;
      heap[i] = row;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (compare(heap[i] as number, heap[parent] as number) <= 0) break;
        const swap = heap[i] as number;
        heap[i] = heap[parent] as number;
        heap[parent] = swap;
        i = parent;
      }
    } else if (compare(row, heap[0] as number) < 0) {
      heap[0] = row;
      siftDown(0);
    }
  }
  return heap.sort(compare);
}
