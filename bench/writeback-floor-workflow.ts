/**
 * The floor workflow of bench/writeback.ts: a running workflow whose Workflow Update does nothing, so one
 * update is the smallest round trip Temporal offers (client → server → worker's workflow task → client). Runs on
 * its own task queue (bench/writeback-floor-worker.ts) until signalled to stop.
 */
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export const FLOOR_TASK_QUEUE = 'hubsync-bench-writeback-floor';

/** Answers its argument: no activity, no timer, no state. */
export const floorUpdate = defineUpdate<number, [number]>('floor');
export const floorStopSignal = defineSignal('stop');

export async function writeBackFloorWorkflow(): Promise<void> {
  let stopped = false;
  setHandler(floorUpdate, (n) => n);
  setHandler(floorStopSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
}
