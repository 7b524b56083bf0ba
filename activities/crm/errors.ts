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

/** One response header of a client library's error, whatever the case of its name (the first value of a list). */
export function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
}
