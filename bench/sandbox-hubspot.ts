/**
 * Benchmark of the HubSpot sandbox's list API at volume: `npm run bench:sandbox-hubspot`
 * (= `npx tsx bench/sandbox-hubspot.ts [--companies N] [--passes N] [--strict]`).
 *
 * Starts the sandbox in a child process (bench/sandbox-hubspot-child.ts), so that the server and the client
 * run on different cores, seeds N companies (default 100,000) through the admin API, then pages through all of
 * them with @hubspot/api-client as a full companies read does: `crm.companies.basicApi.getPage(100, after,
 * properties)` until there is no `paging.next`. It does that `--passes` times (default 3; this machine's timings
 * vary from run to run) and judges the median pass against the floor of 50,000 companies/s: PASS or MISS,
 * non-zero exit on a MISS only with --strict. Next to it: the CPU both sides used, the sandbox's own time per
 * page (its request log), its RSS, and a baseline from the same run: as many pages served as one
 * pre-serialised page with the sandbox's headers over node:http to the same client (the transport and client
 * ceiling), with the ratio.
 */
import { Client } from '@hubspot/api-client';
import { clearProxyVariables } from '../kernel/env';
import { stopChild } from '../local/processes';
import { cpuMeter, int, mb, rate, readProcStatus, secs, verdict } from './measure';
import { askToExit, errorText, forkTs, nextMessage } from './processes';

const FLOOR_PER_S = 50_000;
const PAGE = 100;
const PROPERTIES = ['name', 'domain', 'industry', 'city', 'hubspot_owner_id'];
/** The admin API seeds at most this many in one call. */
const SEED_CHUNK = 200_000;

function argsOf(argv: string[]): { companies: number; passes: number; strict: boolean } {
  const number = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    const n = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer`);
    return n;
  };
  return { companies: number('--companies', 100_000), passes: number('--passes', 3), strict: argv.includes('--strict') };
}

interface Ready {
  url: string;
  baselineUrl: string;
  accessToken: string;
}

const share = (cpuMs: number, wallMs: number) => `${((cpuMs / wallMs) * 100).toFixed(0)}%`;
const perCompany = (cpuMs: number, n: number) => `${((cpuMs * 1000) / n).toFixed(1)} µs a company`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function seed(url: string, companies: number): Promise<void> {
  for (let done = 0; done < companies; done += SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, companies - done);
    const res = await fetch(`${url}/__admin/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count, seed: done + 1 }) });
    if (!res.ok) throw new Error(`seeding failed: HTTP ${res.status} ${await res.text()}`);
  }
}

type Api = Client['crm']['companies']['basicApi'];

/** Pages through the list until the end (or `maxPages`); the companies read, pages and wall time. */
async function pageAll(api: Api, maxPages = Infinity): Promise<{ read: number; pages: number; ms: number }> {
  const started = performance.now();
  let after: string | undefined;
  let read = 0;
  let pages = 0;
  do {
    const page = await api.getPage(PAGE, after, PROPERTIES);
    read += page.results.length;
    pages++;
    after = page.paging?.next?.after;
  } while (after && pages < maxPages);
  return { read, pages, ms: performance.now() - started };
}

async function main(): Promise<void> {
  clearProxyVariables();
  const { companies, passes, strict } = argsOf(process.argv);
  // With BENCH_CPU_PROF_DIR set, the sandbox process writes a V8 CPU profile there when it exits.
  const child = forkTs('sandbox-hubspot-child.ts');
  try {
    const ready = await nextMessage<Ready>(child, 'the sandbox process');
    const pid = child.pid ?? 0;
    const api = new Client({ accessToken: ready.accessToken, basePath: ready.url, numberOfApiCallRetries: 1 }).crm.companies.basicApi;
    const baselineApi = new Client({ accessToken: ready.accessToken, basePath: ready.baselineUrl, numberOfApiCallRetries: 1 }).crm.companies.basicApi;

    const seedStarted = performance.now();
    await seed(ready.url, companies);
    const seedMs = performance.now() - seedStarted;
    const afterSeed = readProcStatus(pid);

    // The baseline's page: the sandbox's second page, as it sends it.
    const first = await api.getPage(PAGE, undefined, PROPERTIES);
    const query = new URLSearchParams([['limit', String(PAGE)], ['after', first.paging?.next?.after ?? ''], ...PROPERTIES.map((p): [string, string] => ['properties', p])]);
    const sample = await fetch(`${ready.url}/crm/v3/objects/companies?${query.toString()}`, { headers: { authorization: `Bearer ${ready.accessToken}` } });
    const headers = Object.fromEntries([...sample.headers].filter(([name]) => name.startsWith('x-hubspot-')));
    const stored = nextMessage(child, 'the sandbox process');
    child.send({ cmd: 'static-page', body: await sample.text(), headers });
    await stored;

    const runs: { perS: number; baselinePerS: number; line: string }[] = [];
    for (let pass = 1; pass <= passes; pass++) {
      await fetch(`${ready.url}/__admin/requests`, { method: 'DELETE' });
      const cpu = cpuMeter(process.pid, pid);
      const run = await pageAll(api);
      const used = cpu();
      if (run.read !== companies) throw new Error(`paged ${run.read} companies, expected ${companies}`);
      const log = (await (await fetch(`${ready.url}/__admin/requests?path=/crm/v3/objects/companies`)).json()) as { requests: { durationMs: number }[] };
      const serverMs = log.requests.reduce((sum, r) => sum + r.durationMs, 0) / Math.max(1, log.requests.length);
      const base = await pageAll(baselineApi, run.pages);
      const perS = rate(run.read, run.ms);
      const baselinePerS = rate(base.read, base.ms);
      runs.push({
        perS,
        baselinePerS,
        line: `  pass ${pass}: ${secs(run.ms)} → ${int(perS)} companies/s (${(run.ms / run.pages).toFixed(2)} ms a page, ${serverMs.toFixed(2)} ms of it in the sandbox); CPU sandbox ${secs(used.sandbox)} (${share(used.sandbox, run.ms)} of a core, ${perCompany(used.sandbox, run.read)}), client ${secs(used.self)} (${share(used.self, run.ms)}, ${perCompany(used.self, run.read)}); baseline ${int(baselinePerS)} companies/s`,
      });
    }
    const atEnd = readProcStatus(pid);

    const perS = median(runs.map((r) => r.perS));
    const baselinePerS = median(runs.map((r) => r.baselinePerS));
    const pass = perS >= FLOOR_PER_S;
    const lines = [
      `HubSpot sandbox benchmark (${int(companies)} companies, list pages of ${PAGE}, properties ${PROPERTIES.join(',')}, ${passes} pass(es); Node ${process.version})`,
      `  seed (admin API):  ${secs(seedMs)} (${int(rate(companies, seedMs))} companies/s)`,
      ...runs.map((r) => r.line),
      `  median:            ${int(perS)} companies/s; baseline (static page, same client) ${int(baselinePerS)} companies/s; sandbox / baseline ${(perS / baselinePerS).toFixed(2)}`,
      `  sandbox RSS:       ${afterSeed ? mb(afterSeed.rss) : '?'} after seeding, ${atEnd ? mb(atEnd.rss) : '?'} at the end (peak ${atEnd ? mb(atEnd.hwm) : '?'})`,
      `  floor ≥ ${int(FLOOR_PER_S)} companies/s: ${verdict(pass)} (median ${int(perS)})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!pass && strict) process.exitCode = 1;
  } finally {
    await stopChild(child, { ask: askToExit });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exitCode = 1;
});
