/**
 * The API budget as a job's paging activities meet it (P6): before the calls of a page, ask whether they fit
 * above the write-back reserve; after them, store what the CRM reported on its answers (Salesforce on every
 * one, HubSpot private apps too), so a run costs no call of its own for the budget until it reaches the
 * reserve; then the CRM is asked once per wait whether its window has freed calls. A page that does not fit
 * is not started: the activity returns with a BudgetWait and the run's workflow sleeps on a timer (progress and the
 * Temporal UI say why and until when), then asks again. Write-backs never pass through here.
 */
import { budgetVerdict, type BudgetWait } from '../../kernel/budget';
import { HubsyncError } from '../../kernel/errors';
import type { CrmSession } from '../crm/connector';
import { claimCalls, loadBudget, recordBlocked, recordUsage } from '../hub/budgets';
import type { Pool } from '../hub/store';

export interface BudgetGate {
  /**
   * Undefined when `calls` more calls may be made now (and they are claimed); else why and until when not.
   * At the reserve, the CRM is asked first whether calls have freed up, unless `askCrm` is false.
   */
  beforeCalls(calls: number, opts?: { askCrm?: boolean }): Promise<BudgetWait | undefined>;
  /** After calls: the usage the CRM reported on its answers, stored for every worker. */
  afterCalls(): Promise<void>;
  /**
   * A call failed. A rate-limit answer with a retry hint (Dataverse's and HubSpot's 429 Retry-After) is a
   * pause: stored for the connection, so every job of it waits that long, and returned as the wait. Anything
   * else answers undefined and the caller throws it on (Temporal retries the activity with backoff).
   */
  pausedBy(err: unknown): Promise<BudgetWait | undefined>;
}

export function budgetGate(pool: Pool, connectionId: string, session: CrmSession): BudgetGate {
  const gate: BudgetGate = {
    async beforeCalls(calls, opts = {}) {
      let state = await loadBudget(pool, connectionId);
      let asked = false;
      // A claim refused because another worker spent the calls meanwhile is decided again on the new state.
      for (let attempt = 0; attempt < 3; attempt++) {
        const wait = budgetVerdict(state, calls, Date.now());
        if (wait) {
          if (wait.cause === 'rate-limit' || asked || opts.askCrm === false) return wait;
          // At the reserve by the last report: ask the CRM (one call) whether its window has freed calls since.
          asked = true;
          try {
            await recordUsage(pool, connectionId, await session.apiUsage(), new Date());
          } catch (err) {
            const paused = await gate.pausedBy(err);
            if (paused) return paused;
            throw err;
          }
        } else if (state.usage?.window !== 'day' || (await claimCalls(pool, connectionId, calls))) return undefined;
        state = await loadBudget(pool, connectionId);
      }
      return budgetVerdict(state, calls, Date.now());
    },
    async afterCalls() {
      const usage = session.reportedUsage();
      if (usage) await recordUsage(pool, connectionId, usage, new Date());
    },
    async pausedBy(err) {
      if (!(err instanceof HubsyncError && err.kind === 'rate-limit' && err.retryAfterMs !== undefined && err.retryAfterMs > 0)) return undefined;
      const reason = `the CRM refused calls (${err.code ?? 'rate limit'}) and asked to wait ${Math.ceil(err.retryAfterMs / 1000)} s: ${err.message}`;
      await recordBlocked(pool, connectionId, new Date(Date.now() + err.retryAfterMs), reason);
      return budgetVerdict(await loadBudget(pool, connectionId), 0, Date.now()) ?? { connectionId, cause: 'rate-limit', until: new Date(Date.now() + err.retryAfterMs).toISOString(), reason };
    },
  };
  return gate;
}
