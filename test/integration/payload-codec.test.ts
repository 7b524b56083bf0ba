// Payload encryption (issue 14 §3): with a payload key, everything the client and the worker hand to Temporal is
// sealed (workers/payload-codec.ts), so the stored history holds no plain value: not a run's job ID, not a
// write-back's value. The codec server (workers/codec-server.ts) gives them back to whoever holds the key; a
// client with another key is refused by name. Real Temporal dev server, PostgreSQL, the Salesforce sandbox.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { HubsyncClient } from '../../client/hubsync-client';
import { startCodecServer, type CodecServer } from '../../workers/codec-server';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../workers/payload-codec';
import { startSalesforceFixture, testSecretBox, type SalesforceFixture } from '../support/salesforce';
import { fileTaskQueue, testPool, testStack } from '../support/test-env';
import { createFileWorker } from '../support/test-env';
import { hubAccountOf, importAccounts, prefixedAccountsConfig } from '../support/writeback';

jest.setTimeout(240000);

const SF = 'pc-sf';
const P = 'PC';

/** Every payload in a value (history events hold them at any depth). */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(value)) for (const v of value) payloadsIn(v, out);
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const o = value as Record<string, unknown>;
    if (o['data'] instanceof Uint8Array && o['metadata'] && typeof o['metadata'] === 'object') out.push(o as Payload);
    else for (const v of Object.values(o)) payloadsIn(v, out);
  }
  return out;
}
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

describe('payload encryption', () => {
  const pool = testPool();
  const codec = new AesGcmPayloadCodec(randomBytes(32).toString('base64'));
  let sf: SalesforceFixture;
  let temporalConnection: Connection;
  let plain: Client;
  let hubsync: HubsyncClient;
  let stopWorker: () => Promise<void>;
  let codecServer: CodecServer;

  beforeAll(async () => {
    sf = await startSalesforceFixture(pool, SF, { databaseUrl: testStack.databaseUrl, temporalAddress: testStack.temporalAddress });
    temporalConnection = await Connection.connect({ address: testStack.temporalAddress });
    plain = new Client({ connection: temporalConnection });
    hubsync = HubsyncClient.over(new Client({ connection: temporalConnection, dataConverter: { payloadCodecs: [codec] } }), pool, { taskQueue: fileTaskQueue(), secretBox: () => testSecretBox });
    const worker = await createFileWorker(pool, { secretBox: () => testSecretBox, payloadCodec: codec });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
    };
    codecServer = await startCodecServer(codec, { port: 0, origins: ['http://localhost:8233'] });
  });
  afterAll(async () => {
    await codecServer?.close();
    await stopWorker?.();
    await sf?.close();
    await temporalConnection?.close();
    await pool.end();
  });

  it('stores runs and write-backs sealed; the codec server opens them for the UI; another key is refused', async () => {
    await importAccounts(pool, hubsync, SF, prefixedAccountsConfig(P));
    await hubsync.setAttributeWriteBack('pc_account_notes', { on: true });
    const crmId = (await pool.query<{ crm_id: string }>(`SELECT crm_id FROM record_links WHERE connection_id = $1 AND hub_type = 'account' ORDER BY crm_id LIMIT 1`, [SF])).rows[0]!.crm_id;
    const marker = `sealed-note-${randomBytes(6).toString('hex')}`;
    const outcome = await hubsync.writeBack({ account: await hubAccountOf(pool, SF, crmId), changes: { pc_account_notes: marker }, origin: 'account-profile', actor: 'csm@hub.example', requestId: `pc-${Date.now()}` });
    expect(outcome.sources[0]).toMatchObject({ status: 'written', valueAfter: marker });

    // What Temporal stored, read by a client that has no key (histories come raw; the listing needs the key, since
    // it decodes the workflows' memos, which are sealed too).
    const all: Payload[] = [];
    for await (const wf of hubsync.temporal.workflow.list({ query: `TaskQueue = '${fileTaskQueue()}'` })) all.push(...payloadsIn(await plain.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()));
    // Search attributes (typed payloads: job ID, connection, kind) stay plain by design, for Temporal to index and
    // operators to search by; they hold identifiers only. Everything else is sealed.
    const searchAttributes = all.filter((p) => p.metadata?.['type']);
    expect(searchAttributes.map((p) => text(p.data))).toContain(`"${SF}-accounts"`);
    const stored = all.filter((p) => !p.metadata?.['type']);
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.filter((p) => text(p.metadata?.['encoding']) !== ENCRYPTED_ENCODING)).toEqual([]);
    const raw = stored.map((p) => text(p.data)).join('\n');
    expect(raw).not.toContain(marker);
    expect(raw).not.toContain(`${SF}-accounts`);

    // The codec server (what the Temporal UI calls, proto3 JSON) opens them: the write-back's value is there.
    const res = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8233', 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: stored.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p.data ?? []).toString('base64') })) }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(decoded).toHaveLength(stored.length);
    const opened = decoded.map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
    expect(opened).toContain(marker);
    expect(opened).toContain(`${SF}-accounts`);
    expect(decoded.every((p) => Buffer.from(p.metadata['encoding'] ?? '', 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(true);

    // Another deployment's key cannot open them, and says which key it would need.
    const other = new AesGcmPayloadCodec(randomBytes(32).toString('base64'));
    await expect(other.decode(stored.slice(0, 1))).rejects.toThrow(new RegExp(`sealed with key ${codec.keyId}, not with HUBSYNC_PAYLOAD_KEY`));
    expect(() => new AesGcmPayloadCodec('too-short')).toThrow(/HUBSYNC_PAYLOAD_KEY must be 32 random bytes in base64/);
  });
});
