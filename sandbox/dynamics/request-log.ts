/**
 * The request log behind `GET /__admin/requests`: every non-admin request with the headers a connector's
 * behaviour shows in (Prefer, If-Match, If-None-Match), so tests can count calls and check what was asked.
 * Bounded: the oldest entries go first.
 */
import { RequestLog as GenericRequestLog } from '../salesforce/request-log';

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Sandbox-clock time the request arrived. */
  timestamp: string;
  durationMs: number;
  prefer?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** The Salesforce sandbox's request log, with Dataverse's entries and a smaller bound. */
export class RequestLog extends GenericRequestLog<LoggedRequest> {
  constructor() {
    super(50_000);
  }
}
