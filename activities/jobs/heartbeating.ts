/**
 * Heartbeats for activities that do not heartbeat as they go: a ticker every few seconds while the activity
 * runs, whatever it waits for (a validation's describes, a count, a long listing of deletions). With a
 * heartbeat timeout on the activity, Temporal then notices within seconds that the worker running it died and
 * retries it elsewhere, however long the activity may legitimately take.
 */
import { Context } from '@temporalio/activity';

const EVERY_MS = 5000;

/** Runs `body`, heartbeating every few seconds until it settles. */
export async function heartbeating<T>(body: () => Promise<T>): Promise<T> {
  const ticker = setInterval(() => Context.current().heartbeat(), EVERY_MS);
  try {
    return await body();
  } finally {
    clearInterval(ticker);
  }
}

/** The same activities, each heartbeating while it runs. */
export function heartbeatingAll<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) wrapped[name] = (...args: never[]) => heartbeating(() => activity(...args));
  return wrapped as T;
}
