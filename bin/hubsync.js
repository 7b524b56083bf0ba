#!/usr/bin/env node
// Entry point of the `hubsync` CLI. The project runs its TypeScript sources directly through tsx,
// so `npx hubsync` works right after `npm install` with no build step.
'use strict';
require('tsx/cjs');
require('../client/cli.ts').main(process.argv).catch((err) => {
  process.stderr.write(`hubsync: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
