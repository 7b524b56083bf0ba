/**
 * Where a run resumes: the position after the last record written, in the source's own order. Inbound the
 * source is the CRM (its modification stamp, then its record ID); outbound it is the hub (updated_at, then
 * the hub ID). The second member breaks ties between records sharing a stamp, so none is missed at a page or
 * run boundary (T25, T29). Free of Node built-ins: workflow code imports it.
 */
export interface SyncCursor {
  /** ISO timestamp of the last record written, or null before the first record. */
  modifiedAt: string | null;
  /** Its ID: the tie-break between records sharing a timestamp. */
  lastId: string | null;
}

export const START_CURSOR: SyncCursor = { modifiedAt: null, lastId: null };
