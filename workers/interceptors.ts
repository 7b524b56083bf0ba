/**
 * Translates CRM errors into Temporal's retry semantics in one place (ARCHITECTURE rule 5), instead of in
 * every activity: auth and configuration errors fail the activity for good with the CRM's reason (retrying
 * cannot fix them); rate limits retry after the CRM's hint; transient errors retry with the usual backoff.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { CrmError } from '../activities/crm/errors';
import { ConnectionError } from '../activities/hub/connections';
import { JobNotFoundError } from '../activities/hub/jobs';
import { ConfigurationError } from './env';

export class CrmErrorInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      if (err instanceof CrmError) {
        if (err.kind === 'auth' || err.kind === 'configuration') throw ApplicationFailure.create({ message: err.message, type: `Crm.${err.code}`, nonRetryable: true, cause: err });
        if (err.kind === 'rate-limit') throw ApplicationFailure.create({ message: err.message, type: `Crm.${err.code}`, ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}), cause: err });
        throw ApplicationFailure.create({ message: err.message, type: `Crm.${err.code}`, cause: err });
      }
      if (err instanceof ConfigurationError || err instanceof ConnectionError || err instanceof JobNotFoundError) {
        throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true, cause: err });
      }
      throw err;
    }
  }
}
