/**
 * The codec server the Temporal UI (and `temporal workflow show --codec-endpoint`) calls to show sealed
 * payloads decrypted to an operator who can reach it (Temporal's "Codec Server" protocol): `POST /decode` and
 * `POST /encode` take `{ payloads: [...] }` in proto3 JSON (metadata values and data as base64) and answer the
 * same shape; CORS lets the UI's origin call it from the browser (`X-Namespace` is the header the UI adds).
 * It holds HUBSYNC_PAYLOAD_KEY, so it belongs on the operators' side of the network, like the key itself.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

const JsonPayloads = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })) });

const fromJson = (p: z.infer<typeof JsonPayloads>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `codec` on `port` (0: any free one) for the listed browser origins (the Temporal UI's). */
export async function startCodecServer(codec: PayloadCodec, opts: { port: number; host?: string; origins: string[] }): Promise<CodecServer> {
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin && opts.origins.includes(origin) ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization', Vary: 'Origin' } : {};
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...cors });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode')) return answer(404, { error: 'POST /encode or /decode with {"payloads": [...]}' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      let parsed: z.infer<typeof JsonPayloads>;
      try {
        parsed = JsonPayloads.parse(JSON.parse(body));
      } catch (err) {
        return answer(400, { error: `expected {"payloads": [{"metadata": {…base64}, "data": "<base64>"}]}: ${err instanceof Error ? err.message : String(err)}` });
      }
      const run = path === '/encode' ? codec.encode(parsed.payloads.map(fromJson)) : codec.decode(parsed.payloads.map(fromJson));
      run.then(
        (payloads) => answer(200, { payloads: payloads.map(toJson) }),
        (err: unknown) => answer(400, { error: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  const host = opts.host ?? '127.0.0.1';
  server.listen(opts.port, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the codec server has no address');
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
