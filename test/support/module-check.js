// Preloaded into a hubsync process by the tests (`node --require test/support/module-check.js …`): when the
// process exits it prints one line, `module-check: {…}`, naming every module it loaded that is TypeScript
// or a TypeScript loader (tsx, esbuild, typescript, SWC) and every child process it forked (the worker forks
// one to bundle workflows/ when it has no prebuilt bundle). Plain JavaScript, so that checking loads no loader.
'use strict';
const childProcess = require('node:child_process');

const forks = [];
const fork = childProcess.fork;
childProcess.fork = function forkRecorded(modulePath, ...rest) {
  forks.push(String(modulePath));
  return fork.call(this, modulePath, ...rest);
};

const TYPESCRIPT = /\.[cm]?tsx?$|[\\/]node_modules[\\/](tsx|esbuild|@esbuild|typescript|@swc)[\\/]/;

process.on('exit', () => {
  const loaded = Object.keys(require.cache);
  const typescript = loaded.filter((file) => TYPESCRIPT.test(file));
  process.stderr.write(`module-check: ${JSON.stringify({ modules: loaded.length, typescript, forks, execArgv: process.execArgv })}\n`);
});
