import { loadSecretBox } from '../../activities/hub/secrets';
import { loadEnv } from '../../kernel/env';
import { describeStack, startLocalStack } from '../../local/stack';
import { DEMO_SCHEDULE, setUpDemo } from '../demo';
import { HubsyncClient } from '../hubsync-client';
import { AesGcmPayloadCodec } from '../../workers/payload-codec';

/** Runs the local stack until SIGINT/SIGTERM/SIGHUP, then stops everything it started, worker first. */
export async function startCommand(): Promise<void> {
  const env = loadEnv();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const stack = await startLocalStack(env, log);
  let hubsync: HubsyncClient | undefined;
  let demo: Awaited<ReturnType<typeof setUpDemo>>;
  try {
    const secretBox = loadSecretBox(env);
    hubsync = await HubsyncClient.connect({
      temporalAddress: stack.temporal.address,
      namespace: stack.temporal.namespace,
      databaseUrl: stack.database.url,
      taskQueue: env.HUBSYNC_TASK_QUEUE,
      secretBox: () => secretBox,
      ...(env.HUBSYNC_PAYLOAD_KEY ? { payloadCodec: new AesGcmPayloadCodec(env.HUBSYNC_PAYLOAD_KEY) } : {}),
    });
    demo = await setUpDemo({ pool: stack.pool, secretBox, hubsync, sandbox: stack.salesforceSandbox, hubspot: stack.hubspotSandbox, dynamics: stack.dynamicsSandbox, log });
  } catch (err) {
    await hubsync?.close();
    await stack.stop();
    throw err;
  }
  log('');
  log('hubsync is up.');
  for (const line of describeStack(stack)) log(`  ${line}`);
  log(`  Demo jobs:    ${demo.jobs.join(', ')} (connections 'demo', 'demo-hubspot' and 'demo-dynamics', every ${DEMO_SCHEDULE.every}; ${demo.created.length ? `first runs of ${demo.created.join(', ')} started` : 'set up by an earlier start'})`);
  log('');
  log('Check it with `npx hubsync doctor`; see the jobs with `npx hubsync job list` and their runs in the Temporal UI.');
  log('Press Ctrl-C to stop.');
  demo.firstRuns.catch((err: unknown) => log(`Demo runs did not complete: ${err instanceof Error ? err.message : String(err)}`));

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (!stopping) {
      log(`\n${reason}: stopping everything hubsync started...`);
      stopping = (async () => {
        await hubsync?.close();
        await stack.stop();
      })().then(() => {
        log('Stopped.');
      });
    }
    return stopping;
  };
  await new Promise<void>((resolve, reject) => {
    // `npm start` forwards the terminal's SIGINT to us after the terminal already sent it: the handler
    // stays installed for the whole shutdown, so a repeated signal cannot kill the process half-way.
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) log(`${signal} again: already stopping, hubsync exits once everything it started has stopped.`);
      void stop(signal).then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    // A worker that dies on its own (e.g. the Temporal server went away) takes the stack down with it.
    stack.workerDone.then(
      () => void stop('worker stopped').then(resolve, reject),
      (err: unknown) => {
        log(`Worker failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
        void stop('worker failed').then(resolve, reject);
      },
    );
  });
}
