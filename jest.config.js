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
  // Two test files at a time (the machines have 2 cores). Each file has a task queue of its own
  // (test/support/test-env.ts fileTaskQueue), its own Salesforce sandbox and connection IDs, so no file's
  // worker runs another file's workflows, and no file reads another's records.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
