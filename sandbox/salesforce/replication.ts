/**
 * Data replication resources: `sobjects/{type}/updated` (IDs whose SystemModstamp falls in the window, at most
 * 30 days back) and `sobjects/{type}/deleted` (the delete log, 15 days). "The API ignores the seconds portion"
 * of start and end, start must precede end, and more than 600,000 IDs is EXCEEDED_ID_LIMIT.
 */
import { sfDateTime, truncateToMinute } from './clock';
import { json, type ApiRequest, type Router } from './http';
import { SalesforceError } from './model';
import { requireObject } from './sobjects';
import { RECYCLE_BIN_MS, type Store } from './store';
import { parseDateTime } from './values';

const DAY_MS = 24 * 3600 * 1000;
const UPDATED_WINDOW_MS = 30 * DAY_MS;
const MAX_IDS = 600000;

function replicationDate(value: string | null, name: string): number {
  const iso = value ? parseDateTime(value) : undefined;
  if (!iso) throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', `${name} is not a valid date/time: ${String(value)}`);
  return truncateToMinute(Date.parse(iso));
}

function window(req: ApiRequest<unknown>, store: Store, maxAgeMs: number): { start: number; end: number; latest: number; now: number } {
  const start = replicationDate(req.query.get('start'), 'start');
  const end = replicationDate(req.query.get('end'), 'end');
  const now = store.clock.nowMs();
  if (start >= end) throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', 'startDate must chronologically precede endDate');
  if (start < truncateToMinute(now - maxAgeMs)) {
    throw new SalesforceError(400, 'INVALID_REPLICATION_DATE', `startDate cannot be more than ${Math.round(maxAgeMs / DAY_MS)} days ago`);
  }
  return { start, end, latest: Math.min(end, truncateToMinute(now)), now };
}

export function registerReplicationRoutes(router: Router, store: Store): void {
  router.add('GET', '/services/data/:version/sobjects/:type/updated', (req) => {
    const object = requireObject(store, req.params.type);
    const { start, end, latest } = window(req, store, UPDATED_WINDOW_MS);
    const hits: Array<{ id: string; stamp: number }> = [];
    for (const record of store.records(object.name)) {
      if (record.isDeleted) continue;
      const stamp = record.fields['SystemModstamp'];
      const ms = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
      if (ms >= start && ms < end) hits.push({ id: record.id, stamp: ms });
    }
    if (hits.length > MAX_IDS) throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', 'too many ids: choose start and end dates that are closer together');
    hits.sort((a, b) => a.stamp - b.stamp || (a.id < b.id ? -1 : 1));
    return json(200, { ids: hits.map((h) => h.id), latestDateCovered: sfDateTime(latest) });
  });

  router.add('GET', '/services/data/:version/sobjects/:type/deleted', (req) => {
    const object = requireObject(store, req.params.type);
    store.purgeRecycleBin();
    const { start, end, latest, now } = window(req, store, RECYCLE_BIN_MS);
    const deletedRecords = store.deletedLog
      .filter((e) => e.type === object.name && e.deletedMs >= start && e.deletedMs < end)
      .map((e) => ({ id: e.id, deletedDate: sfDateTime(e.deletedMs) }));
    if (deletedRecords.length > MAX_IDS) throw new SalesforceError(400, 'EXCEEDED_ID_LIMIT', 'too many ids: choose start and end dates that are closer together');
    return json(200, { deletedRecords, earliestDateAvailable: sfDateTime(truncateToMinute(now - RECYCLE_BIN_MS)), latestDateCovered: sfDateTime(latest) });
  });
}
