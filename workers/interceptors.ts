/**
 * The one place where hubsync's errors meet Temporal's retry semantics (ARCHITECTURE rule 5): every
 * HubsyncError an activity throws leaves it as an ApplicationFailure whose type names the error's kind
 * (`hubsync.auth`, …), retryable or not by that kind (kernel/errors.ts RETRYABLE), with the CRM's retry hint
 * when it gave one and the fix in the message. Anything else (a bug, a database hiccup) is left to Temporal's
 * default: retried with the activity's backoff.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { failureType, HubsyncError, messageWithFix } from '../kernel/errors';

export function toApplicationFailure(err: HubsyncError): ApplicationFailure {
  return ApplicationFailure.create({
    message: messageWithFix(err),
    type: failureType(err.kind),
    nonRetryable: !err.retryable,
    details: [{ kind: err.kind, code: err.code ?? null, errorName: err.name }],
    ...(err.retryable && err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
    cause: err,
  });
}

export class ErrorTranslationInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      if (err instanceof HubsyncError) throw toApplicationFailure(err);
      throw err;
    }
  }
}
