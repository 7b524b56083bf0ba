/**
 * The one place where hubsync's errors meet Temporal's retry semantics (ARCHITECTURE rule 5): every
 * HubsyncError an activity throws leaves it as an ApplicationFailure whose type names the error's kind
 * (`hubsync.auth`, …), retryable or not by that kind (kernel/errors.ts RETRYABLE), with the CRM's retry hint
 * when it gave one and the fix in the message. Anything else (a bug, a database hiccup) is left to Temporal's
 * default: retried with the activity's backoff.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
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

/**
 * Issue 15: every log line of a job's activity names the job and hubsync's run (`jobId`, `jobRunId`), and a
 * write-back's its request and account, besides the IDs the SDK adds (workflowId, workflowRunId, activityId,
 * activityType). Taken from the activity's input once it starts (the SDK's "Activity started" line precedes
 * it); only IDs, never a payload.
 */
export function jobLogAttributes(): ActivityInterceptors {
  const attributes: Record<string, unknown> = {};
  return {
    inbound: {
      execute: (input, next) => {
        const arg: unknown = input.args[0];
        if (arg && typeof arg === 'object') {
          const a = arg as Record<string, unknown>;
          if (typeof a['jobId'] === 'string') attributes['jobId'] = a['jobId'];
          if (typeof a['runId'] === 'number') attributes['jobRunId'] = a['runId'];
          if (typeof a['requestId'] === 'string' && typeof a['accountId'] === 'number') {
            attributes['requestId'] = a['requestId'];
            attributes['accountId'] = a['accountId'];
          }
        }
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next({ ...input, ...attributes }),
    },
  };
}
