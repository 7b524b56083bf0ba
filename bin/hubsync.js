#!/usr/bin/env node
// Entry point of the `hubsync` CLI. The project runs its TypeScript sources directly through tsx,
// so `npx hubsync` works right after `npm install` with no build step.
'use strict';
require('tsx/cjs');
const { main, describeFailure } = require('../client/cli.ts');
// A closed pipe (`hubsync job show x | head`) ends the command quietly, as other command-line tools do.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(process.exitCode || 0);
  throw err;
});
main(process.argv).catch((err) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exitCode = 1;
});
