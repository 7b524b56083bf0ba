/**
 * Where a run resumes: the position after the last record written, in the source's own order. Inbound the
 * source is the CRM (its modification stamp, then its record ID); outbound it is the hub (updated_at, then
 * the hub ID). The second member breaks ties between records sharing a stamp, so none is missed at a page or
 * run boundary (T25, T29). A CRM that hands out its own positions (Dataverse change tracking) adds one.
 * Free of Node built-ins: workflow code imports it.
 */
export interface SyncCursor {
  /** ISO timestamp of the last record written, or null before the first record. */
  modifiedAt: string | null;
  /** Its ID: the tie-break between records sharing a timestamp. */
  lastId: string | null;
  /**
   * A position the CRM handed out itself (Dataverse change tracking: the next-page or delta link), for
   * connectors that read through one. When present it is where the next read starts, the stamp and ID only
   * describe it; absent or null for stamp-ordered sources.
   */
  position?: string | null;
}

export const START_CURSOR: SyncCursor = { modifiedAt: null, lastId: null };
