#!/usr/bin/env node
// Entry point of the `hubsync` CLI from the sources: tsx runs the TypeScript directly, so `npx hubsync`
// works right after `npm ci` with no build step. `npm run build` compiles the same entry to
// dist/client/main.js, which production runs with plain node (README "Production build").
'use strict';
require('tsx/cjs');
require('../client/main.ts');
