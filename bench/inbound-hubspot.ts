/**
 * The HubSpot section of bench/inbound.ts (`--hubspot-companies N`, default 20,000; `--hubspot-only` skips the
 * Salesforce sizes): the accounts-inbound job of a HubSpot connection (configFromTemplate('accounts-inbound',
 * 'hubspot'): hs_object_id, name, domain, Owner.email) over N seeded companies, measured as every CRM section is
 * (bench/inbound-crm.ts: the paging floor, then a real full run on a real worker against the connector's
 * readPage and writeInboundPage in a plain loop in the baseline process, each side on an empty hub database of
 * its own), one page = one search of 100. The HubSpot sandbox runs in a child process of its own
 * (bench/inbound-sandbox.ts, BENCH_SANDBOX_KIND=hubspot), started for this section and stopped after it.
 * HubSpot's search limit (5 a second, which the connector paces to) would make pacing the whole measurement
 * (ceil(N/100) searches take at least ceil(N/100)/5 s), so the connection's `searchPerSecond` and the sandbox's
 * search limit are both raised to HUBSPOT_SEARCH_PER_SECOND; the report says so.
 *
 * Targets: companies/s of the workflow ≥ 0.8 × the baseline's; the workflow run's search calls ≤ ceil(N/100) +
 * SEARCH_SLACK and all its HubSpot API calls ≤ ceil(N/100) + API_CALL_SLACK (from the sandbox's request log).
 * The section fails the command only if a side did not create exactly N hub accounts.
 */
import { HUBSPOT_LIMITS } from '../activities/crm/hubspot/session';
import { measureCrmSection, reportCrmSection, type CrmSection, type CrmSectionResult, type CrmSide, type LogEntry } from './inbound-crm';
import { int, secs, signed, verdict } from './measure';
import type { Cleanup } from './processes';
import type { Stack } from './stack';

export const HUBSPOT_CONNECTION_ID = 'bench-hubspot';
const HUBSPOT_JOB = 'bench-hubspot-accounts-inbound';
/** Companies seeded by default: accounts-inbound writes one hub account each, a run of a minute or so here. */
export const DEFAULT_HUBSPOT_COMPANIES = 20_000;
export const QUICK_HUBSPOT_COMPANIES = 2_000;
/** Searches a second allowed to the connection (its schema's maximum) and by the sandbox: pacing out of the way. */
const HUBSPOT_SEARCH_PER_SECOND = 1000;
/** HubSpot's own search limit, which a real portal holds the connector to. */
const HUBSPOT_REAL_SEARCH_PER_SECOND = 5;
/** The admin API seeds at most this many in one call. */
const SEED_CHUNK = 200_000;
const PAGE_SIZE = HUBSPOT_LIMITS.pageSize;

/**
 * Search calls beyond one per page: the progress count (countRunSource), and one where a stamp shared by a
 * whole answer starts (none with the seeded companies, whose stamps are all distinct; README "HubSpot", Runs).
 */
const SEARCH_SLACK = 2;
/**
 * All calls beyond one search per page: the searches' slack above, one describe of companies (the Properties
 * API, at the validation in beginRun), one read of the owners (`Owner.email`; the session keeps them a minute,
 * so a run longer than that reads them once more a minute), and one listing of archived companies (100 a call,
 * one when there are none) after the pages.
 */
const API_CALL_SLACK = SEARCH_SLACK + 3;

interface HubSpotApiUse {
  /** Every API request (not /oauth/, not the admin API): what counts as HubSpot API calls. */
  all: number;
  search: number;
  describe: number;
  owners: number;
  archived: number;
  other: number;
  errors: number;
  tokens: number;
  /** Sandbox-side time answering the searches. */
  searchServerMs: number;
  otherPaths: string[];
}

function hubspotApiUse(requests: LogEntry[]): HubSpotApiUse {
  const use: HubSpotApiUse = { all: 0, search: 0, describe: 0, owners: 0, archived: 0, other: 0, errors: 0, tokens: 0, searchServerMs: 0, otherPaths: [] };
  for (const r of requests) {
    if (r.path.startsWith('/oauth/')) {
      use.tokens++;
      continue;
    }
    use.all++;
    if (r.status >= 400) use.errors++;
    if (r.method === 'POST' && /\/search$/.test(r.path)) {
      use.search++;
      use.searchServerMs += r.durationMs;
    } else if (r.method === 'GET' && r.path.startsWith('/crm/v3/properties/')) use.describe++;
    else if (r.method === 'GET' && r.path.startsWith('/crm/v3/owners')) use.owners++;
    else if (r.method === 'GET' && /^\/crm\/v3\/objects\/[^/]+$/.test(r.path) && /archived=true/.test(r.query)) use.archived++;
    else {
      use.other++;
      use.otherPaths.push(`${r.method} ${r.path}`);
    }
  }
  return use;
}

const apiKinds = (a: HubSpotApiUse) =>
  [`${a.search} search`, a.describe ? `${a.describe} describe` : '', a.owners ? `${a.owners} owners` : '', a.archived ? `${a.archived} archived listing` : '', a.other ? `${a.other} other (${a.otherPaths.join(', ')})` : '', a.errors ? `${a.errors} errors` : '']
    .filter(Boolean)
    .join(', ');

/** The HubSpot section (bench/inbound-crm.ts does the measuring). */
const HUBSPOT: CrmSection<HubSpotApiUse> = {
  label: 'HubSpot',
  kind: 'hubspot',
  connectionId: HUBSPOT_CONNECTION_ID,
  jobId: HUBSPOT_JOB,
  databasePrefix: 'bench_hubspot',
  noun: 'companies',
  /** Search pacing raised, then `n` companies (with owners, as the admin API generates them) into the empty portal. */
  async seed(sandbox, n) {
    await sandbox.admin('POST', '/__admin/rate-limits', { searchPerSecond: HUBSPOT_SEARCH_PER_SECOND });
    for (let done = 0; done < n; done += SEED_CHUNK) await sandbox.admin('POST', '/__admin/seed', { count: Math.min(SEED_CHUNK, n - done), seed: done + 1 });
  },
  /** The private-app token, search pacing raised. */
  connection: (sandbox) => ({ baseUrl: sandbox.url, accessToken: sandbox.accessToken, searchPerSecond: HUBSPOT_SEARCH_PER_SECOND }),
  apiUse: hubspotApiUse,
};

/** The HubSpot measurement: sandbox started and seeded, paging floor, workflow run, baseline run; everything it started stopped. */
export const measureHubSpot = (stack: Stack, cleanup: Cleanup, n: number, log: (line: string) => void) => measureCrmSection(stack, cleanup, n, log, HUBSPOT);

/** The HubSpot section of the report, and its targets; `ok` false when a side did not create exactly N accounts. */
export function reportHubSpot(r: CrmSectionResult<HubSpotApiUse>): { ok: boolean; text: string } {
  const { n } = r;
  const minimum = Math.ceil(n / PAGE_SIZE);
  const searchOk = (wf: CrmSide<HubSpotApiUse>) => wf.api.search <= minimum + SEARCH_SLACK;
  const allOk = (wf: CrmSide<HubSpotApiUse>) => wf.api.all <= minimum + API_CALL_SLACK;
  const perSearch = (s: { api: HubSpotApiUse }) => (s.api.search ? `${(s.api.searchServerMs / s.api.search).toFixed(1)} ms` : '-');
  return reportCrmSection(HUBSPOT, r, {
    title:
      `accounts-inbound on HubSpot, N = ${int(n)} companies (seeded in ${secs(r.seedMs)}; template mapping hs_object_id, name, domain, Owner.email); ` +
      `measured the paging floor, then the workflow, then the baseline`,
    notes: [
      `  search pacing raised: the connection's searchPerSecond and the sandbox's search limit are ${int(HUBSPOT_SEARCH_PER_SECOND)}/s here, not HubSpot's ${HUBSPOT_REAL_SEARCH_PER_SECOND}/s ` +
        `(at which the ${int(minimum)} page searches alone would take at least ${secs((minimum / HUBSPOT_REAL_SEARCH_PER_SECOND) * 1000)})`,
    ],
    apiRows: (wf, bl) => [
      ['HubSpot API calls (excl. OAuth)', int(wf.api.all), int(bl.api.all), `minimum ceil(N/100) = ${int(minimum)}; target ≤ +${API_CALL_SLACK}: ${verdict(allOk(wf))} (${signed(wf.api.all - minimum)})`],
      ['  search calls', int(wf.api.search), int(bl.api.search), `target ≤ ceil(N/100) + ${SEARCH_SLACK}: ${verdict(searchOk(wf))} (${signed(wf.api.search - minimum)}; the workflow's include the progress count)`],
      ['  by kind', apiKinds(wf.api), apiKinds(bl.api), ''],
      ['sandbox answering a search, mean', perSearch(wf), perSearch(bl), `its request log; ${secs(wf.api.searchServerMs)} / ${secs(bl.api.searchServerMs)} in all`],
    ],
    floorApi: (floor) => `${int(floor.api.all)} API calls (${apiKinds(floor.api)}); the sandbox answering a search ${perSearch(floor)} on average`,
    targets: (wf) => [
      [`search calls ≤ ceil(N/100) + ${SEARCH_SLACK}`, `${int(wf.api.search)} (${signed(wf.api.search - minimum)})`, verdict(searchOk(wf))],
      [`API calls ≤ ceil(N/100) + ${API_CALL_SLACK}`, `${int(wf.api.all)} (${signed(wf.api.all - minimum)}: ${apiKinds(wf.api)})`, verdict(allOk(wf))],
    ],
  });
}
