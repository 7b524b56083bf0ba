/** Jest runs TypeScript through SWC (transpile only; `npm run typecheck` does the type checking).
 * One PostgreSQL and one Temporal dev server are started for the whole run by test/support/global-setup.ts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  // One test process: every in-process test worker polls the same "hubsync" task queue, and a workflow
  // started by one test file must not have its activities run by another file's worker (other options).
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
