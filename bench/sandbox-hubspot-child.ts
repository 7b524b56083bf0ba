/**
 * The process the HubSpot sandbox benchmark measures (started by bench/sandbox-hubspot.ts over IPC): the
 * sandbox, with rate limits out of the way, and the baseline, a plain node:http server that answers every
 * request with one pre-serialised list page and the sandbox's headers (the transport and client ceiling).
 * Says `{url, baselineUrl, accessToken}` once listening; `{cmd: 'static-page', body, headers}` sets the
 * baseline's answer; `{cmd: 'exit'}` closes both and exits.
 */
import http from 'node:http';
import { startHubSpotSandbox } from '../sandbox/hubspot';
import { errorText } from './processes';

type Command = { cmd: 'static-page'; body: string; headers: Record<string, string> } | { cmd: 'exit' };

async function main(): Promise<void> {
  const sandbox = await startHubSpotSandbox({ port: 0, seed: 'none', rateLimits: { secondly: 1_000_000, daily: 1_000_000_000, searchPerSecond: 1_000_000 } });
  let page = { body: Buffer.from('{}'), headers: {} as Record<string, string> };
  const baseline = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { ...page.headers, 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': String(page.body.length) });
      res.end(page.body);
    });
  });
  baseline.keepAliveTimeout = 30000;
  await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
  const address = baseline.address();
  const baselineUrl = address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : '';

  process.on('message', (message: Command) => {
    if (message.cmd === 'static-page') {
      page = { body: Buffer.from(message.body), headers: message.headers };
      process.send?.({ ok: true });
    } else {
      baseline.close();
      void sandbox.close().then(() => process.exit(0));
    }
  });
  // The parent went away: nothing left to serve.
  process.on('disconnect', () => process.exit(1));
  process.send?.({ url: sandbox.url, baselineUrl, accessToken: sandbox.accessToken });
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exit(1);
});
