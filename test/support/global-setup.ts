/**
 * One PostgreSQL (throw-away embedded instance, migrated) and one Temporal dev server (in memory, free
 * ports) for the whole test run, and the workflow code bundled once. Test files find them through the
 * environment variables set here (jest workers inherit this process's environment).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../activities/hub/store';
import { clearProxyVariables, loadEnv } from '../../kernel/env';
import { freePort } from '../../local/ports';
import { startThrowawayPostgres } from '../../local/postgres';
import { startDevServer } from '../../local/temporal-server';
import { TEST_ENV, type TestStackHandle } from './test-env';

export default async function globalSetup(): Promise<void> {
  clearProxyVariables();
  const env = loadEnv();
  const log = (line: string) => process.stderr.write(`[global-setup] ${line}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-test-'));

  const [postgres, temporal, bundle] = await Promise.all([
    startThrowawayPostgres(await freePort()),
    startDevServer({ cacheDir: env.cacheDir, cliPath: env.TEMPORAL_CLI_PATH, log, logFile: path.join(workDir, 'temporal.log') }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace() {}, debug() {}, info() {}, warn: log, error: log, log() {} } }),
  ]);
  await migrate(postgres.url);
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env[TEST_ENV.databaseUrl] = postgres.url;
  process.env[TEST_ENV.temporalAddress] = temporal.address;
  process.env[TEST_ENV.workflowBundle] = bundlePath;
  process.env[TEST_ENV.workDir] = workDir;
  // One secret key for the run, shared by test files and the hubsync processes they start.
  process.env['HUBSYNC_TEST_SECRET_KEY'] = randomBytes(32).toString('base64');
  const handle: TestStackHandle = {
    stop: async () => {
      await Promise.allSettled([temporal.stop(), postgres.stop()]);
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  (globalThis as { __hubsyncTestStack?: TestStackHandle }).__hubsyncTestStack = handle;
}
