/**
 * Child process of bench/inbound.ts: a CRM sandbox on its own event loop, so neither side of the benchmark
 * (the worker process, the baseline process) shares a CPU thread with the server it pages from. Started with
 * fork(); answers its URL and credentials once listening; `{cmd: 'exit'}` (or the parent going away) closes it.
 * Also bench/outbound.ts's two sandboxes (one per side), and bench/writeback.ts's, seeded with the demo org:
 * BENCH_SANDBOX_SEED=demo|none (default none). BENCH_SANDBOX_KIND=salesforce|hubspot|dynamics (default
 * salesforce): the Salesforce sandbox, the HubSpot one (bench/inbound.ts's HubSpot section, bench/writeback.ts's
 * HubSpot write-backs), whose private-app token comes in the answer too, or the Dataverse one (the Dataverse
 * section and column of the same two), whose tenant and token endpoint come in the answer.
 */
import { startDynamicsSandbox } from '../sandbox/dynamics';
import { startHubSpotSandbox } from '../sandbox/hubspot';
import { startSalesforceSandbox } from '../sandbox/salesforce';
import type { SandboxReady } from './inbound-ipc';

function seedOption(): 'demo' | 'none' {
  const seed = process.env['BENCH_SANDBOX_SEED'] ?? 'none';
  if (seed !== 'demo' && seed !== 'none') throw new Error(`BENCH_SANDBOX_SEED: expected demo or none, not '${seed}'`);
  return seed;
}

/** The sandbox of BENCH_SANDBOX_KIND, started: what the parent needs to connect, and how to close it. */
async function start(): Promise<{ ready: SandboxReady; close: () => Promise<void> }> {
  const kind = process.env['BENCH_SANDBOX_KIND'] ?? 'salesforce';
  if (kind === 'hubspot') {
    const sandbox = await startHubSpotSandbox({ port: 0, seed: seedOption() });
    return { ready: { type: 'ready', url: sandbox.url, ...sandbox.oauth, accessToken: sandbox.accessToken }, close: () => sandbox.close() };
  }
  if (kind === 'dynamics') {
    const sandbox = await startDynamicsSandbox({ port: 0, seed: seedOption() });
    const { tenantId, tokenUrl, scope } = sandbox;
    return { ready: { type: 'ready', url: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, refreshToken: '', dataverse: { tenantId, tokenUrl, scope } }, close: () => sandbox.close() };
  }
  if (kind !== 'salesforce') throw new Error(`BENCH_SANDBOX_KIND: expected salesforce, hubspot or dynamics, not '${kind}'`);
  const sandbox = await startSalesforceSandbox({ port: 0, seed: seedOption(), pod: process.env['BENCH_SANDBOX_POD'] ?? 'Bh' });
  const c = sandbox.credentials;
  return { ready: { type: 'ready', url: sandbox.url, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken }, close: () => sandbox.close() };
}

async function main(): Promise<void> {
  const sandbox = await start();
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
  process.send?.(sandbox.ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
