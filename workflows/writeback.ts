/**
 * Real-time write-back (W6, W14, P4): one workflow per hub account, receiving each write-back as a Workflow
 * Update (started by update-with-start; the update ID is the request ID, so a retried call joins the first).
 * Updates are applied one at a time, in the order the workflow accepted them, so concurrent changes to one
 * account never interleave; different accounts are different workflows and proceed in parallel.
 *
 * The client checks every request before sending it (a refused request never reaches Temporal); the
 * validator here only refuses what cannot be a checked plan for this account. The workflow continues as new
 * after a few hundred updates (or when the server suggests it) and ends after a quiet period; the next
 * update-with-start begins a new one. Idempotence across those boundaries rests on the request's row in the
 * hub store, which the activity consults first.
 */
import { allHandlersFinished, condition, continueAsNew, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { WORKFLOW_CLOSING, WRITE_BACK_BUDGET_MS, WRITE_BACK_UPDATE, type WriteBackOutcome, type WriteBackPlan } from '../kernel/writeback';

export const writeBackUpdate = defineUpdate<WriteBackOutcome, [WriteBackPlan]>(WRITE_BACK_UPDATE);

export interface AccountWriteBackInput {
  accountId: number;
  /** Updates before continuing as new (default UPDATES_PER_EXECUTION; tests make it small). */
  updatesPerExecution?: number;
}

/** Updates one execution takes before continuing as new: keeps its history far from Temporal's limits. */
export const UPDATES_PER_EXECUTION = 200;
/** How long an account's workflow waits for its next write-back before ending. */
const IDLE_TIMEOUT = '10 minutes';

const { applyWriteBack } = proxyActivities<ReturnType<typeof createActivities>>({
  // The activity keeps to the write-back budget itself; this bounds an attempt whose worker vanished.
  startToCloseTimeout: `${WRITE_BACK_BUDGET_MS + 15_000} ms`,
  // A worker killed mid-write is noticed within seconds and the attempt retried elsewhere (it re-reads the
  // CRM before writing, so a write that landed is never sent twice). A regular activity, not a local one: a
  // local activity would save the two task-queue trips (README, "Benchmark of write-back") but can run again
  // for an update whose workflow task was not recorded, and the history would then show another order than
  // the one the writes were applied in.
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 10 },
});

export async function accountWriteBackWorkflow(input: AccountWriteBackInput): Promise<void> {
  /** Request IDs in the order their updates were accepted; the head is being applied. */
  const queue: string[] = [];
  let accepted = 0;
  /** Set once the workflow is about to continue as new or end: later updates are turned away to the next run. */
  let closing = false;

  setHandler(
    writeBackUpdate,
    async (plan) => {
      accepted++;
      const receivedPosition = accepted;
      queue.push(plan.requestId);
      try {
        await condition(() => queue[0] === plan.requestId);
        return await applyWriteBack({ ...plan, receivedPosition });
      } finally {
        queue.splice(queue.indexOf(plan.requestId), 1);
      }
    },
    {
      validator: (plan) => {
        // Not an error of the request: the client sends it again, and update-with-start reaches the next run.
        if (closing) throw new Error(`${WORKFLOW_CLOSING}: send the update again`);
        if (plan.accountId !== input.accountId) throw new Error(`this workflow writes back account ${input.accountId}, not ${plan.accountId}`);
        if (!plan.requestId || plan.writes.length === 0) throw new Error('a write-back plan needs a request ID and at least one write');
      },
    },
  );

  const rollOver = () => accepted >= (input.updatesPerExecution ?? UPDATES_PER_EXECUTION) || workflowInfo().continueAsNewSuggested;
  for (;;) {
    const woke = await condition(() => queue.length > 0 || rollOver(), IDLE_TIMEOUT);
    if (rollOver()) {
      closing = true;
      await condition(allHandlersFinished);
      await continueAsNew<typeof accountWriteBackWorkflow>(input);
    }
    if (!woke && queue.length === 0) {
      closing = true;
      await condition(allHandlersFinished);
      return;
    }
    await condition(() => queue.length === 0 || rollOver());
  }
}
