/**
 * Benchmark of the Salesforce sandbox at volume: `npm run bench:sandbox-salesforce`
 * (= `npx tsx bench/sandbox-salesforce.ts [--rows N]`).
 *
 * Starts the sandbox in a child process (so its resident memory is measured alone), seeds 1,000,000 Tasks
 * through the admin API, then pages through them with jsforce exactly as an inbound sync does
 * (`SELECT Id, Subject, Status, ActivityDate, LastModifiedDate, Owner.Email FROM Task ORDER BY SystemModstamp,
 * Id`, queryMore until done, 2,000 rows a page). Reports seed time, paging throughput, the sandbox's RSS after
 * seeding and at the end, and a baseline from the same run: the same number of rows served as one
 * pre-serialised page over node:http to the same jsforce client (the transport ceiling), with the ratio.
 * Targets: ≥ 50,000 rows/s paging and < 2 GB RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Connection } from 'jsforce';
import { clearProxyVariables } from '../kernel/env';

const TARGET_ROWS_PER_S = 50_000;
const TARGET_RSS_BYTES = 2 * 1024 ** 3;
const SOQL = 'SELECT Id, Subject, Status, ActivityDate, LastModifiedDate, Owner.Email FROM Task ORDER BY SystemModstamp, Id';

interface Ready {
  url: string;
  baselineUrl: string;
  accessToken: string;
}
interface Memory {
  rss: number;
  heapUsed: number;
  peakRss: number;
}
interface Page {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: unknown[];
}

function rowsArg(): number {
  const i = process.argv.indexOf('--rows');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(n) || n <= 0) throw new Error('--rows: expected a positive integer');
  return n;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the sandbox process exited (${String(code)})`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

async function ask<T>(child: ChildProcess, message: object): Promise<T> {
  const reply = nextMessage<T>(child);
  child.send(message);
  return reply;
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);

async function main(): Promise<void> {
  clearProxyVariables();
  const rows = rowsArg();
  const child = fork(path.join(__dirname, 'sandbox-salesforce-child.ts'), [], {
    execArgv: ['--require', 'tsx/cjs', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<Ready>(child);
    const conn = new Connection({ instanceUrl: ready.url, accessToken: ready.accessToken, version: '62.0' });
    const idle = await ask<Memory>(child, { cmd: 'memory' });

    // A handful of owners, so Owner.Email is a real relationship hop with varied values.
    await conn.sobject('User').create(Array.from({ length: 5 }, (_, i) => ({ Username: `owner${i}@bench.sandbox`, LastName: `Owner ${i}`, Email: `owner${i}@bench.sandbox` })));
    const seedStarted = performance.now();
    const seeded = await fetch(`${ready.url}/__admin/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'Task', count: rows }) });
    if (!seeded.ok) throw new Error(`seeding failed: HTTP ${seeded.status} ${await seeded.text()}`);
    const seedMs = performance.now() - seedStarted;
    const afterSeed = await ask<Memory>(child, { cmd: 'memory' });

    // The sandbox: query, then queryMore until done.
    const pagingStarted = performance.now();
    let page = await conn.query<Record<string, unknown>>(SOQL);
    const firstPageMs = performance.now() - pagingStarted;
    let served = page.records.length;
    let pages = 1;
    let sample = '';
    while (!page.done && page.nextRecordsUrl) {
      page = await conn.queryMore<Record<string, unknown>>(page.nextRecordsUrl);
      if (pages === 1) sample = JSON.stringify({ totalSize: page.totalSize, done: false, nextRecordsUrl: '/services/data/v62.0/query/01gHs0000000001IAA-4000', records: page.records });
      served += page.records.length;
      pages++;
    }
    const pagingMs = performance.now() - pagingStarted;
    if (served !== rows) throw new Error(`paged ${served} rows, expected ${rows}`);
    const atEnd = await ask<Memory>(child, { cmd: 'memory' });

    // The baseline: the same rows as one pre-serialised page, over node:http, to the same jsforce client.
    await ask(child, { cmd: 'static-page', body: sample || JSON.stringify(page) });
    const perPage = (JSON.parse(sample || JSON.stringify(page)) as Page).records.length;
    const baselineStarted = performance.now();
    let baselineRows = 0;
    for (let i = 0; i < pages && baselineRows < rows; i++) {
      const body = await conn.request<Page>(`${ready.baselineUrl}/services/data/v62.0/query/static-${i}`);
      baselineRows += body.records.length;
    }
    const baselineMs = performance.now() - baselineStarted;

    const sandboxRate = rate(served, pagingMs);
    const baselineRate = rate(baselineRows, baselineMs);
    const peak = atEnd.peakRss;
    const lines = [
      `Salesforce sandbox benchmark (${rows.toLocaleString('en-US')} Tasks, ${pages} pages of ${perPage.toLocaleString('en-US')}; Node ${process.version})`,
      `  seed (admin API):          ${(seedMs / 1000).toFixed(2)} s (${rate(rows, seedMs).toLocaleString('en-US')} records/s)`,
      `  paging (jsforce):          ${(pagingMs / 1000).toFixed(2)} s → ${sandboxRate.toLocaleString('en-US')} rows/s (first page incl. query + sort: ${firstPageMs.toFixed(0)} ms)`,
      `  baseline (static page):    ${(baselineMs / 1000).toFixed(2)} s → ${baselineRate.toLocaleString('en-US')} rows/s`,
      `  sandbox / baseline:        ${(sandboxRate / baselineRate).toFixed(2)}`,
      `  sandbox RSS idle:          ${mb(idle.rss)}`,
      `  sandbox RSS after seeding: ${mb(afterSeed.rss)} (heap ${mb(afterSeed.heapUsed)})`,
      `  sandbox RSS at the end:    ${mb(atEnd.rss)} (heap ${mb(atEnd.heapUsed)}; peak RSS ${mb(peak)})`,
      `  targets: ≥ ${TARGET_ROWS_PER_S.toLocaleString('en-US')} rows/s ${sandboxRate >= TARGET_ROWS_PER_S ? 'met' : 'MISSED'}; < ${mb(TARGET_RSS_BYTES)} RSS ${peak < TARGET_RSS_BYTES ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (sandboxRate < TARGET_ROWS_PER_S || peak >= TARGET_RSS_BYTES) process.exitCode = 1;
  } finally {
    if (child.connected) child.send({ cmd: 'exit' });
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
