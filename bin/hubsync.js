#!/usr/bin/env node
// Entry point of the `hubsync` CLI from the sources: tsx runs the TypeScript directly, so `npx hubsync`
// works right after `npm ci` with no build step. `npm run build` compiles the same entry to
// dist/client/main.js, which production runs with plain node (README "Production build").
'use strict';
try {
  require.resolve('tsx/cjs');
} catch {
  // tsx is a development dependency: a production install (npm ci --omit=dev) runs the compiled CLI.
  process.stderr.write(
    'hubsync: `npx hubsync` runs the TypeScript sources, which needs the development dependencies (tsx), and they are not installed here.\n' +
      '  fix: install every dependency with `npm ci`, or run the compiled CLI: `npm run build` once, then `node dist/client/main.js …`\n',
  );
  process.exit(1);
}
require('tsx/cjs');
require('../client/main.ts');
