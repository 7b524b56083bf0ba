/**
 * Connections' API budgets in the hub store (P6): one `api_budgets` row per connection, shared by every
 * worker of the deployment. Reports from the CRM replace the stored usage (the newest report wins); a job
 * claims the calls it is about to make with one conditional UPDATE, so two workers never both spend the last
 * calls above the reserve. Between two reports the claims are an estimate; the next report corrects it.
 */
import {
  DEFAULT_RECHECK_SECONDS,
  DEFAULT_RESERVE_PERCENT,
  jobAllowance,
  type ApiUsage,
  type BudgetState,
} from '../../kernel/budget';
import { ConfigurationError } from '../../kernel/errors';
import { getConnection } from './connections';
import type { Pool } from './store';

interface BudgetRow {
  reserve_percent: number;
  recheck_seconds: number;
  usage_window: 'day' | 'rolling' | null;
  used: number | null;
  max: number | null;
  /** ISO strings: the store parses timestamptz so. */
  observed_at: string | null;
  blocked_until: string | null;
  blocked_reason: string | null;
}

function toState(connectionId: string, row: BudgetRow | undefined): BudgetState {
  const state: BudgetState = {
    connectionId,
    reservePercent: row?.reserve_percent ?? DEFAULT_RESERVE_PERCENT,
    recheckSeconds: row?.recheck_seconds ?? DEFAULT_RECHECK_SECONDS,
  };
  if (row?.usage_window && row.used !== null && row.max !== null && row.observed_at) {
    state.usage = { window: row.usage_window, used: row.used, max: row.max, observedAt: row.observed_at };
  }
  if (row?.blocked_until) state.blocked = { until: row.blocked_until, reason: row.blocked_reason ?? 'the CRM refused calls for a while' };
  return state;
}

export async function loadBudget(pool: Pool, connectionId: string): Promise<BudgetState> {
  const { rows } = await pool.query<BudgetRow>('SELECT * FROM api_budgets WHERE connection_id = $1', [connectionId]);
  return toState(connectionId, rows[0]);
}

/** Every connection's stored budget, by connection ID (the metrics' gauge reads it when scraped). */
export async function listBudgets(pool: Pool): Promise<BudgetState[]> {
  const { rows } = await pool.query<BudgetRow & { connection_id: string }>('SELECT * FROM api_budgets ORDER BY connection_id');
  return rows.map((row) => toState(row.connection_id, row));
}

/** Stores a report of the CRM's usage, unless a newer one is stored already. */
export async function recordUsage(pool: Pool, connectionId: string, usage: ApiUsage, observedAt: Date): Promise<void> {
  await pool.query(
    `INSERT INTO api_budgets (connection_id, usage_window, used, max, observed_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (connection_id) DO UPDATE SET usage_window = EXCLUDED.usage_window, used = EXCLUDED.used, max = EXCLUDED.max,
            observed_at = EXCLUDED.observed_at, updated_at = now()
      WHERE api_budgets.observed_at IS NULL OR api_budgets.observed_at <= EXCLUDED.observed_at`,
    [connectionId, usage.window, usage.used, usage.max, observedAt],
  );
}

/** The CRM asked to be left alone until `until` (a 429's Retry-After): every job of the connection waits. */
export async function recordBlocked(pool: Pool, connectionId: string, until: Date, reason: string): Promise<void> {
  await pool.query(
    `INSERT INTO api_budgets (connection_id, blocked_until, blocked_reason) VALUES ($1, $2, $3)
     ON CONFLICT (connection_id) DO UPDATE SET blocked_until = EXCLUDED.blocked_until, blocked_reason = EXCLUDED.blocked_reason, updated_at = now()
      WHERE api_budgets.blocked_until IS NULL OR api_budgets.blocked_until < EXCLUDED.blocked_until`,
    [connectionId, until, reason],
  );
}

/**
 * Claims `calls` of a daily allowance for a job: true when they fit above the reserve (and are counted now),
 * false when they do not (nothing changed). Rolling windows and connections without a report claim nothing.
 */
export async function claimCalls(pool: Pool, connectionId: string, calls: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE api_budgets SET used = used + $2, updated_at = now()
      WHERE connection_id = $1 AND usage_window = 'day'
        AND used + $2 <= max - ceil(max * reserve_percent / 100.0)::int
        AND (blocked_until IS NULL OR blocked_until <= now())`,
    [connectionId, calls],
  );
  return (rowCount ?? 0) > 0;
}

export interface BudgetSettings {
  reservePercent?: number | undefined;
  recheckSeconds?: number | undefined;
}

/** Validates both settings before writing either; the connection must exist. */
export async function setBudgetSettings(pool: Pool, connectionId: string, settings: BudgetSettings): Promise<BudgetState> {
  const problems: string[] = [];
  const { reservePercent, recheckSeconds } = settings;
  if (reservePercent !== undefined && !(Number.isInteger(reservePercent) && reservePercent >= 0 && reservePercent <= 90)) {
    problems.push(`--reserve ${reservePercent}: the reserve is a whole percentage from 0 to 90 of the daily allowance (default ${DEFAULT_RESERVE_PERCENT})`);
  }
  if (recheckSeconds !== undefined && !(Number.isInteger(recheckSeconds) && recheckSeconds >= 1 && recheckSeconds <= 86400)) {
    problems.push(`--recheck ${recheckSeconds}: a waiting job asks again after a whole number of seconds from 1 to 86400 (default ${DEFAULT_RECHECK_SECONDS})`);
  }
  await getConnection(pool, connectionId); // an unknown connection is not-found, with the list command named
  if (problems.length > 0) throw new ConfigurationError(`the API budget of connection '${connectionId}' was not changed:\n- ${problems.join('\n- ')}`, { code: 'INVALID_BUDGET' });
  await pool.query(
    `INSERT INTO api_budgets (connection_id, reserve_percent, recheck_seconds)
       SELECT id, COALESCE($2::smallint, $4::smallint), COALESCE($3::int, $5::int) FROM crm_connections WHERE id = $1
     ON CONFLICT (connection_id) DO UPDATE SET reserve_percent = COALESCE($2::smallint, api_budgets.reserve_percent),
            recheck_seconds = COALESCE($3::int, api_budgets.recheck_seconds), updated_at = now()`,
    [connectionId, reservePercent ?? null, recheckSeconds ?? null, DEFAULT_RESERVE_PERCENT, DEFAULT_RECHECK_SECONDS],
  );
  return loadBudget(pool, connectionId);
}

/** What `hubsync connection budget` shows: the stored state and what it leaves to jobs. */
export function budgetSummary(state: BudgetState, nowMs: number): string[] {
  const lines = [`reserve for write-back: ${state.reservePercent} % of a daily allowance; a waiting job asks again every ${state.recheckSeconds} s`];
  const usage = state.usage;
  if (!usage) lines.push('usage: not reported yet (the first job run or `hubsync connection test` asks the CRM)');
  else if (usage.window === 'day') {
    const allowance = jobAllowance(usage, state.reservePercent);
    lines.push(`usage: ${usage.used} of ${usage.max} daily calls (reported ${usage.observedAt}); jobs stop at ${allowance}, ${Math.max(0, allowance - usage.used)} left to them`);
  } else lines.push(`usage: ${usage.used} of ${usage.max} in a rolling window (reported ${usage.observedAt}); no reserve applies, the CRM's 429s are waited out`);
  if (state.blocked && Date.parse(state.blocked.until) > nowMs) lines.push(`jobs wait until ${state.blocked.until}: ${state.blocked.reason}`);
  return lines;
}
