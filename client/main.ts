/**
 * The `hubsync` process: runs the CLI on the process's arguments. bin/hubsync.js loads this file from the
 * sources through tsx (`npx hubsync`, `npm start`); the production build runs its compiled form,
 * `node dist/client/main.js` (the Docker image: `node dist/client/main.js worker`), with no TypeScript loader.
 */
import { describeFailure, main } from './cli';

// A closed pipe (`hubsync job show x | head`) ends the command quietly, as other command-line tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode || 0);
  throw err;
});
main(process.argv).catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exitCode = 1;
});
