/**
 * Bundles workflows/ into one file (argument: the output path). A worker that has no prebuilt bundle runs
 * this in a short-lived child process, so that webpack's memory goes back to the OS when the bundle is
 * written instead of staying in the worker's heap for its whole life; `npm run build` (workers/build.ts)
 * calls bundleWorkflows once to write `dist/workflow-bundle.js`.
 */
import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Writes the workflow bundle of workflows/index (beside this file's folder) to `out`; resolves with its size in bytes. */
export async function bundleWorkflows(out: string): Promise<number> {
  const quiet = () => undefined;
  const warn = (message: string) => process.stderr.write(`${message}\n`);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn, error: warn },
  });
  fs.writeFileSync(out, code);
  return Buffer.byteLength(code);
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: bundle-workflows <output file>\n');
    process.exitCode = 2;
  } else {
    bundleWorkflows(out).catch((err: unknown) => {
      process.stderr.write(`bundling workflows failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
  }
}
