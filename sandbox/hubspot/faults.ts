/**
 * Fault injection for the HubSpot sandbox, configured through `POST /__admin/faults`: for the next `count`
 * requests whose method and path match (or each with probability `rate`, seeded: sandbox/fault-list.ts), wait
 * `latencyMs` and/or answer `status` (with `body` and `headers`) instead of the sandbox; a latency-only fault
 * delays the request, which is then served. Faults apply to every non-admin request (the OAuth token endpoint
 * included), before authentication and rate limits, and an answered one does not use up the rate-limit
 * allowance [infer: a gateway error never reaches the limiter].
 *
 * Mind @hubspot/api-client's RetryDecorator (contract §2.4): with `numberOfApiCallRetries` > 1 it retries any
 * 5xx (200 ms × attempt) and a 429 with the secondly message, so an injected 503 on a client with retries is
 * only seen as extra requests in the log.
 */
import { randomUUID } from 'node:crypto';
import type { HsResponse } from './http';
import { rateLimitBody } from './limits';
import { FaultList, type FaultMatch, type Listed } from '../fault-list';

export interface FaultSpec extends FaultMatch {
  /** Absent: only the latency, then the request is served. */
  status?: number | undefined;
  /** JSON (or, as a string, sent as it is: e.g. a gateway's HTML with a `Content-Type` header); HubSpot's error JSON for the status when absent. */
  body?: unknown;
  headers?: Record<string, string> | undefined;
  latencyMs?: number | undefined;
}

export type Fault = Listed<FaultSpec>;

/** Categories of HubSpot's error JSON by status [contract §2.4 and §6; 403 MISSING_SCOPES and 5xx INTERNAL_ERROR: infer]. */
const CATEGORIES: Record<number, string> = { 400: 'VALIDATION_ERROR', 401: 'INVALID_AUTHENTICATION', 403: 'MISSING_SCOPES', 404: 'OBJECT_NOT_FOUND', 409: 'CONFLICT' };

/** The body a fault answers with when its spec has none: a 429 is the secondly rate-limit body (so the client retries it), anything else HubSpot's error JSON. */
export function defaultFaultBody(status: number): Record<string, unknown> {
  if (status === 429) return rateLimitBody('SECONDLY');
  return { status: 'error', message: `Injected HTTP ${status}`, correlationId: randomUUID(), category: CATEGORIES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR') };
}

/** The faults, and what the one a request meets does: its latency and, unless latency-only, its response. */
export class FaultInjector extends FaultList<FaultSpec> {
  /** The first fault matching this request that fires, which is used up by one. */
  respond(method: string, path: string): { latencyMs: number; response?: HsResponse } | undefined {
    const fault = this.take(method, path);
    if (!fault) return undefined;
    if (fault.status === undefined) return { latencyMs: fault.latencyMs ?? 0 };
    const body = fault.body === undefined ? defaultFaultBody(fault.status) : fault.body;
    return { latencyMs: fault.latencyMs ?? 0, response: { status: fault.status, ...(typeof body === 'string' ? { raw: body } : { body }), ...(fault.headers ? { headers: fault.headers } : {}) } };
  }
}
