/**
 * Bundles workflows/ into one file (argument: the output path). The worker runs this in a short-lived child
 * process, so that webpack's memory goes back to the OS when the bundle is written instead of staying in
 * the worker's heap for its whole life.
 */
import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(out: string): Promise<void> {
  const quiet = () => undefined;
  const warn = (message: string) => process.stderr.write(`${message}\n`);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn, error: warn },
  });
  fs.writeFileSync(out, code);
}

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: bundle-workflows <output file>\n');
  process.exitCode = 2;
} else {
  main(out).catch((err: unknown) => {
    process.stderr.write(`bundling workflows failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
