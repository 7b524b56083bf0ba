/**
 * Child process of bench/inbound.ts: the Salesforce sandbox on its own event loop, so neither side of the
 * benchmark (the worker process, the baseline process) shares a CPU thread with the server it pages from.
 * Started with fork(); answers its URL and credentials once listening; `{cmd: 'exit'}` (or the parent going
 * away) closes it. Also bench/outbound.ts's two sandboxes (one per side), and bench/writeback.ts's, seeded with
 * the demo org: BENCH_SANDBOX_SEED=demo|none (default none).
 */
import { startSalesforceSandbox } from '../sandbox/salesforce';
import type { SandboxReady } from './inbound-ipc';

function seedOption(): 'demo' | 'none' {
  const seed = process.env['BENCH_SANDBOX_SEED'] ?? 'none';
  if (seed !== 'demo' && seed !== 'none') throw new Error(`BENCH_SANDBOX_SEED: expected demo or none, not '${seed}'`);
  return seed;
}

async function main(): Promise<void> {
  const sandbox = await startSalesforceSandbox({ port: 0, seed: seedOption(), pod: process.env['BENCH_SANDBOX_POD'] ?? 'Bh' });
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await sandbox.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'exit') void close();
  });
  process.on('disconnect', () => void close());
  const c = sandbox.credentials;
  const ready: SandboxReady = { type: 'ready', url: sandbox.url, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken };
  process.send?.(ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
