/**
 * A failure the CRM (or the way to it) reported, translated by the connector from its client library's
 * error into one of the kinds of kernel/errors.ts, with the CRM's own code and message kept.
 */
import { HubsyncError, type ErrorKind, type HubsyncErrorOptions } from '../../kernel/errors';

export type CrmErrorKind = Extract<ErrorKind, 'auth' | 'rate-limit' | 'transient' | 'record' | 'configuration' | 'not-found'>;

export class CrmError extends HubsyncError {
  override readonly name: string = 'CrmError';
  override readonly code: string;

  constructor(kind: CrmErrorKind, code: string, message: string, opts: Omit<HubsyncErrorOptions, 'code'> = {}) {
    super(kind, message, { ...opts, code });
    this.code = code;
  }
}
