/**
 * The few kinds of CRM failure hubsync acts on differently (ARCHITECTURE rule 5). Each connector translates
 * its client library's errors into these; activities and workflows test with instanceof or `kind`.
 */
export type CrmErrorKind = 'auth' | 'rate-limit' | 'transient' | 'record' | 'configuration';

export class CrmError extends Error {
  override readonly name: string = 'CrmError';
  constructor(
    readonly kind: CrmErrorKind,
    /** The CRM's own code, e.g. INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED, MALFORMED_QUERY. */
    readonly code: string,
    message: string,
    /** How long the CRM asks us to wait, when it says. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Whether retrying the same call later can succeed. */
  get retryable(): boolean {
    return this.kind === 'rate-limit' || this.kind === 'transient';
  }
}
