/**
 * API budgets with headroom for write-back (P6). A connection's budget is what its CRM last reported (calls
 * used of an allowance, per day or in a rolling window) and, after a rate-limit answer, until when it asked to
 * be left alone. Jobs spend it only down to a reserve (default 10 % of a daily allowance) that stays for
 * write-backs, which are never held back. This module is the decision alone, free of I/O and Node built-ins:
 * the activities keep the state in the hub store (activities/hub/budgets.ts), the run workflow sleeps on the
 * answer.
 */

/** A CRM's report of its API allowance. */
export interface ApiUsage {
  used: number;
  max: number;
  /** The window `used` and `max` count in (Salesforce and HubSpot private apps: the day). */
  window: 'day' | 'rolling';
  /** Further limits the CRM reported (HubSpot: the rolling per-interval limit), in words. */
  detail?: string;
}

export const DEFAULT_RESERVE_PERCENT = 10;
export const DEFAULT_RECHECK_SECONDS = 300;

/** A connection's budget as stored: the settings and the last report. */
export interface BudgetState {
  connectionId: string;
  reservePercent: number;
  recheckSeconds: number;
  /** The last report; undefined until the CRM has reported once. */
  usage?: ApiUsage & { observedAt: string };
  /** Set after the CRM refused calls for a while (a 429 with Retry-After). */
  blocked?: { until: string; reason: string };
}

/** Why a job stops spending, and when it looks again. Crosses the Temporal boundary. */
export interface BudgetWait {
  connectionId: string;
  /** `reserve`: the job's share of a daily allowance is spent; `rate-limit`: the CRM asked for a pause. */
  cause: 'reserve' | 'rate-limit';
  /** ISO time at which the job asks again. */
  until: string;
  reason: string;
}

/** Calls a job may make from a daily allowance before it reaches the reserve. */
export function jobAllowance(usage: Pick<ApiUsage, 'max'>, reservePercent: number): number {
  return usage.max - Math.ceil((usage.max * reservePercent) / 100);
}

/**
 * Whether a job may make `calls` more calls now. Only a daily allowance has a reserve: rolling windows
 * (HubSpot's ten seconds, Dataverse's five minutes) refill by themselves, and their 429s say how long to wait.
 */
export function budgetVerdict(state: BudgetState, calls: number, nowMs: number): BudgetWait | undefined {
  if (state.blocked && Date.parse(state.blocked.until) > nowMs) return { connectionId: state.connectionId, cause: 'rate-limit', until: state.blocked.until, reason: state.blocked.reason };
  const usage = state.usage;
  if (!usage || usage.window !== 'day') return undefined;
  const allowance = jobAllowance(usage, state.reservePercent);
  if (usage.used + calls <= allowance) return undefined;
  const until = new Date(nowMs + state.recheckSeconds * 1000).toISOString();
  return {
    connectionId: state.connectionId,
    cause: 'reserve',
    until,
    reason:
      `connection '${state.connectionId}' has used ${usage.used} of its ${usage.max} daily API calls; jobs stop at ${allowance} ` +
      `and leave ${state.reservePercent} % (${usage.max - allowance} calls) to write-backs. ` +
      `The job asks the CRM again at ${until} (every ${state.recheckSeconds} s; \`hubsync connection budget ${state.connectionId} --reserve N --recheck S\` changes both)`,
  };
}

/** One line for progress and the Temporal UI. */
export function describeWait(wait: BudgetWait): string {
  return `waiting for API budget until ${wait.until}: ${wait.reason}`;
}
