// The API budget's decision (P6, issue 14 §5): jobs stop at the reserve of a daily allowance, rolling windows
// keep no reserve, a CRM's pause holds every job until it ends.
import { budgetVerdict, describeWait, jobAllowance, type BudgetState } from '../../kernel/budget';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const state = (over: Partial<BudgetState> = {}): BudgetState => ({ connectionId: 'sf', reservePercent: 10, recheckSeconds: 300, ...over });
const day = (used: number, max = 1000) => ({ used, max, window: 'day' as const, observedAt: new Date(NOW).toISOString() });

describe('budgetVerdict (P6)', () => {
  it('keeps the reserve of a daily allowance for write-backs, rounding the reserve up', () => {
    expect(jobAllowance({ max: 1000 }, 10)).toBe(900);
    expect(jobAllowance({ max: 15000 }, 10)).toBe(13500);
    expect(jobAllowance({ max: 999 }, 10)).toBe(899); // reserve ceil(99.9) = 100
    expect(jobAllowance({ max: 1000 }, 0)).toBe(1000);
  });

  it('lets calls through up to the allowance and stops the one that would pass it, until the next look', () => {
    expect(budgetVerdict(state({ usage: day(898) }), 2, NOW)).toBeUndefined();
    const wait = budgetVerdict(state({ usage: day(899) }), 2, NOW);
    expect(wait).toEqual({ connectionId: 'sf', cause: 'reserve', until: '2026-12-02T10:05:00.000Z', reason: expect.stringContaining('has used 899 of its 1000 daily API calls; jobs stop at 900 and leave 10 % (100 calls) to write-backs') });
    expect(describeWait(wait!)).toMatch(/^waiting for API budget until 2026-12-02T10:05:00.000Z: /);
    expect(budgetVerdict(state({ usage: day(950), reservePercent: 0 }), 1, NOW)).toBeUndefined();
  });

  it('keeps no reserve in a rolling window, and without any report yet', () => {
    expect(budgetVerdict(state({ usage: { ...day(5999, 6000), window: 'rolling' } }), 1, NOW)).toBeUndefined();
    expect(budgetVerdict(state(), 1, NOW)).toBeUndefined();
  });

  it("holds every job while the CRM's pause lasts, whatever the usage, and not after", () => {
    const blocked = { until: '2026-12-02T10:00:30.000Z', reason: 'the CRM refused calls (429)' };
    expect(budgetVerdict(state({ usage: day(1), blocked }), 1, NOW)).toEqual({ connectionId: 'sf', cause: 'rate-limit', ...blocked });
    expect(budgetVerdict(state({ usage: day(1), blocked }), 1, NOW + 31_000)).toBeUndefined();
  });
});
