/** How the CLI words schedules, runs, durations and failures (`job show`, `job list`, `job schedule`, `job enable`, every error). */
import type { ScheduleDescription } from '@temporalio/client';
import type { RunRecord } from '../activities/hub/runs';
import { HubsyncError, messageWithFix } from '../kernel/errors';

/** "1h", "15m", "1d 2h": a duration in milliseconds in its largest units. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return parts.join(' ') || '0s';
}

/** The job's schedule as Temporal has it: interval or calendar, active or paused (with why), next run. */
export function describeSchedule(schedule: ScheduleDescription | undefined): string {
  if (!schedule) return '(none: run it by hand, or `hubsync job schedule <job> --every 15m`)';
  const every = schedule.spec.intervals?.[0]?.every;
  const when = every !== undefined ? `every ${formatDuration(Number(every))}` : 'on a cron calendar';
  const state = schedule.state.paused ? `paused: ${schedule.state.note ?? 'no reason given'}` : 'active';
  const next = !schedule.state.paused && schedule.info.nextActionTimes[0] ? `; next run ${schedule.info.nextActionTimes[0].toISOString()}` : '';
  return `${when}, ${state}${next}`;
}

export function describeRun(run: RunRecord | undefined): string {
  if (!run) return '(none yet)';
  return `run ${run.id} ${run.status} (${run.mode}, started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''})${run.error ? `: ${run.error.split('\n')[0]}` : ''}`;
}

/** What the CLI prints for a refusal or failure: the message, and the fix when the message lacks it. */
export function describeFailure(err: unknown): string {
  if (err instanceof HubsyncError) return `hubsync: ${messageWithFix(err, '  ')}`;
  return `hubsync: ${err instanceof Error ? err.message : String(err)}`;
}
