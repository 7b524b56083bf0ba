/**
 * The process the Salesforce sandbox benchmark measures (started by bench/sandbox-salesforce.ts over IPC):
 * the sandbox itself, plus the baseline, a plain node:http server that answers every request with one
 * pre-serialised query page and the same headers (the raw transport ceiling). Its RSS is the sandbox's alone.
 */
import fs from 'node:fs';
import http from 'node:http';
import { startSalesforceSandbox } from '../sandbox/salesforce';

type Command = { cmd: 'memory' } | { cmd: 'static-page'; body: string } | { cmd: 'exit' };

function peakRssBytes(): number {
  // VmHWM: the resident set's high-water mark, from the kernel.
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const sandbox = await startSalesforceSandbox({ port: 0, seed: 'none', apiDailyLimit: 10_000_000 });
  let page = '{}';
  const baseline = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': String(Buffer.byteLength(page)), 'Sforce-Limit-Info': 'api-usage=1/10000000' });
      res.end(page);
    });
  });
  baseline.keepAliveTimeout = 30000;
  await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
  const address = baseline.address();
  const baselineUrl = address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : '';

  process.on('message', (message: Command) => {
    switch (message.cmd) {
      case 'memory':
        // A settled figure (after a full GC) and the raw one; --expose-gc makes global.gc available.
        (globalThis as { gc?: () => void }).gc?.();
        process.send?.({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, peakRss: peakRssBytes() });
        break;
      case 'static-page':
        page = message.body;
        process.send?.({ ok: true });
        break;
      case 'exit':
        baseline.close();
        void sandbox.close().then(() => process.exit(0));
        break;
    }
  });
  process.send?.({ url: sandbox.url, baselineUrl, accessToken: sandbox.accessToken() });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
