/**
 * The Dataverse section of bench/inbound.ts (`--dynamics-accounts N`, default 20,000, 2,000 with --quick;
 * `--dynamics-only` skips the Salesforce sizes and the HubSpot section): the accounts-inbound job of a
 * Dataverse connection (configFromTemplate('accounts-inbound', 'dynamics'): accountid, name, accountnumber,
 * websiteurl, ownerid.internalemailaddress) over N accounts made by the sandbox's admin API
 * (`POST /__admin/generate`), measured as every CRM section is (bench/inbound-crm.ts: the paging floor, then a
 * real full run on a real worker against the connector's readPage and writeInboundPage in a plain loop in the
 * baseline process, each side on an empty hub database of its own). One page is one GET of the accounts
 * through change tracking (`Prefer: odata.track-changes`, 5,000 rows: DATAVERSE_LIMITS.pageSize). The Dataverse
 * sandbox runs in a child process of its own (bench/inbound-sandbox.ts, BENCH_SANDBOX_KIND=dynamics), started
 * for this section and stopped after it.
 *
 * Targets: accounts/s of the workflow ≥ 0.8 × the baseline's; the workflow run's reads of the accounts
 * (`GET /api/data/v9.2/accounts`) ≤ ceil(N/5000) + ACCOUNT_READS_SLACK and all its Web API calls ≤ ceil(N/5000)
 * + API_CALL_SLACK (from the sandbox's request log; token requests apart). The section fails the command only
 * if a side did not create exactly N hub accounts.
 */
import { DATAVERSE_LIMITS } from '../activities/crm/dynamics/session';
import { measureCrmSection, reportCrmSection, type CrmSection, type CrmSectionResult, type CrmSide, type LogEntry } from './inbound-crm';
import { int, secs, signed, verdict } from './measure';
import type { Cleanup } from './processes';
import type { Stack } from './stack';

export const DYNAMICS_CONNECTION_ID = 'bench-dynamics';
const DYNAMICS_JOB = 'bench-dynamics-accounts-inbound';
/** Accounts made by default: one hub account each, as HubSpot's section writes companies. */
export const DEFAULT_DYNAMICS_ACCOUNTS = 20_000;
export const QUICK_DYNAMICS_ACCOUNTS = 2_000;
/** The admin API generates at most this many in one call. */
const GENERATE_CHUNK = 200_000;
const PAGE_SIZE = DATAVERSE_LIMITS.pageSize;
const API_PREFIX = '/api/data/v9.2/';

/**
 * Reads of the accounts beyond one per page: the progress count (countRunSource: `$count=true`, one row). The
 * first change-tracking read ends on a delta link, not on an empty page, so N a multiple of 5,000 costs nothing.
 */
const ACCOUNT_READS_SLACK = 1;
/**
 * All Web API calls beyond one per page, as the request log shows them: the count above (1); the table index,
 * one EntityDefinitions call a session (1); the metadata of each table described, five calls a table (columns,
 * option sets, multi-select option sets, lookups, text columns), at the validation in beginRun: accounts and
 * systemusers, the table `ownerid.internalemailaddress` reads through (10); one read of the system users for the
 * owners' emails (1; the session keeps them a minute, so a run longer than that reads them once more a minute).
 */
const API_CALL_SLACK = ACCOUNT_READS_SLACK + 1 + 5 * 2 + 1;

interface DataverseApiUse {
  /** Every Web API request (`/api/data/`): what counts as Dataverse API calls. */
  all: number;
  /** Change-tracking page reads of the accounts. */
  pages: number;
  /** `$count=true` reads of the accounts. */
  count: number;
  /** EntityDefinitions without a key: the table index. */
  index: number;
  /** EntityDefinitions(…) and its Attributes, per table's logical name. */
  metadata: Map<string, number>;
  /** Reads of the system users. */
  users: number;
  other: number;
  errors: number;
  /** Token requests (Entra's client-credentials endpoint), apart. */
  tokens: number;
  /** Sandbox-side time answering the page reads. */
  pageServerMs: number;
  otherPaths: string[];
}

const decoded = (path: string) => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

function dataverseApiUse(requests: LogEntry[]): DataverseApiUse {
  const use: DataverseApiUse = { all: 0, pages: 0, count: 0, index: 0, metadata: new Map(), users: 0, other: 0, errors: 0, tokens: 0, pageServerMs: 0, otherPaths: [] };
  for (const r of requests) {
    if (/\/oauth2\/v2\.0\/token$/.test(r.path)) {
      use.tokens++;
      continue;
    }
    if (!r.path.startsWith(API_PREFIX)) continue;
    use.all++;
    if (r.status >= 400) use.errors++;
    const rest = decoded(r.path).slice(API_PREFIX.length);
    const query = decoded(r.query);
    const table = /^EntityDefinitions\(LogicalName='([^']+)'\)/.exec(rest)?.[1];
    if (r.method === 'GET' && rest === 'accounts' && /\$count=true/.test(query)) use.count++;
    else if (r.method === 'GET' && rest === 'accounts') {
      use.pages++;
      use.pageServerMs += r.durationMs;
    } else if (r.method === 'GET' && rest === 'EntityDefinitions') use.index++;
    else if (r.method === 'GET' && table) use.metadata.set(table, (use.metadata.get(table) ?? 0) + 1);
    else if (r.method === 'GET' && rest === 'systemusers') use.users++;
    else {
      use.other++;
      use.otherPaths.push(`${r.method} ${rest}`);
    }
  }
  return use;
}

const metadataCalls = (a: DataverseApiUse) => [...a.metadata.values()].reduce((s, x) => s + x, 0);

const apiKinds = (a: DataverseApiUse) =>
  [
    `${a.pages} pages`,
    a.count ? `${a.count} count` : '',
    a.index ? `${a.index} table index` : '',
    a.metadata.size ? `${metadataCalls(a)} metadata (${[...a.metadata].map(([t, x]) => `${t} ${x}`).join(', ')})` : '',
    a.users ? `${a.users} systemusers` : '',
    a.other ? `${a.other} other (${a.otherPaths.join(', ')})` : '',
    a.errors ? `${a.errors} errors` : '',
  ]
    .filter(Boolean)
    .join(', ');

/** The Dataverse section (bench/inbound-crm.ts does the measuring). */
const DATAVERSE: CrmSection<DataverseApiUse> = {
  label: 'Dataverse',
  kind: 'dynamics',
  connectionId: DYNAMICS_CONNECTION_ID,
  jobId: DYNAMICS_JOB,
  databasePrefix: 'bench_dynamics',
  noun: 'accounts',
  /** `n` accounts (owned by the application user, the only user of an empty org) generated by the admin API. */
  async seed(sandbox, n) {
    for (let done = 0; done < n; done += GENERATE_CHUNK) await sandbox.admin('POST', '/__admin/generate', { count: Math.min(GENERATE_CHUNK, n - done), seed: done + 1 });
  },
  /** The sandbox's client-credentials app and its token endpoint. */
  connection(sandbox) {
    if (!sandbox.dataverse) throw new Error('the Dataverse sandbox process gave no tenant or token endpoint');
    const { tenantId, tokenUrl } = sandbox.dataverse;
    return { baseUrl: sandbox.url, tenantId, tokenUrl, clientId: sandbox.credentials.clientId, clientSecret: sandbox.credentials.clientSecret };
  },
  apiUse: dataverseApiUse,
};

/** The Dataverse measurement: sandbox started and seeded, paging floor, workflow run, baseline run; everything it started stopped. */
export const measureDynamics = (stack: Stack, cleanup: Cleanup, n: number, log: (line: string) => void) => measureCrmSection(stack, cleanup, n, log, DATAVERSE);

/** The Dataverse section of the report, and its targets; `ok` false when a side did not create exactly N accounts. */
export function reportDynamics(r: CrmSectionResult<DataverseApiUse>): { ok: boolean; text: string } {
  const { n } = r;
  const minimum = Math.ceil(n / PAGE_SIZE);
  const readsOf = (a: DataverseApiUse) => a.pages + a.count;
  const readsOk = (wf: CrmSide<DataverseApiUse>) => readsOf(wf.api) <= minimum + ACCOUNT_READS_SLACK;
  const allOk = (wf: CrmSide<DataverseApiUse>) => wf.api.all <= minimum + API_CALL_SLACK;
  const perPage = (s: { api: DataverseApiUse }) => (s.api.pages ? `${(s.api.pageServerMs / s.api.pages).toFixed(1)} ms` : '-');
  return reportCrmSection(DATAVERSE, r, {
    title:
      `accounts-inbound on Dataverse, N = ${int(n)} accounts (generated in ${secs(r.seedMs)}; template mapping accountid, name, accountnumber, websiteurl, ownerid.internalemailaddress); ` +
      `measured the paging floor, then the workflow, then the baseline`,
    notes: [`  pages: change tracking (Prefer: odata.track-changes), ${int(PAGE_SIZE)} rows a GET; the owners' emails from one read of systemusers`],
    apiRows: (wf, bl) => [
      ['Web API calls (excl. tokens)', int(wf.api.all), int(bl.api.all), `minimum ceil(N/${PAGE_SIZE}) = ${int(minimum)}; target ≤ +${API_CALL_SLACK}: ${verdict(allOk(wf))} (${signed(wf.api.all - minimum)})`],
      ['  GET accounts', int(readsOf(wf.api)), int(readsOf(bl.api)), `target ≤ ceil(N/${PAGE_SIZE}) + ${ACCOUNT_READS_SLACK}: ${verdict(readsOk(wf))} (${signed(readsOf(wf.api) - minimum)}; the workflow's include the progress count)`],
      ['  by kind', apiKinds(wf.api), apiKinds(bl.api), ''],
      ['token requests', int(wf.api.tokens), int(bl.api.tokens), "not Web API calls; the worker opens its session in the run, the baseline process at start-up"],
      ['sandbox answering a page, mean', perPage(wf), perPage(bl), `its request log; ${secs(wf.api.pageServerMs)} / ${secs(bl.api.pageServerMs)} in all`],
    ],
    floorApi: (floor) => `${int(floor.api.all)} Web API calls (${apiKinds(floor.api)}); the sandbox answering a page ${perPage(floor)} on average`,
    targets: (wf) => [
      [`GET accounts ≤ ceil(N/${PAGE_SIZE}) + ${ACCOUNT_READS_SLACK}`, `${int(readsOf(wf.api))} (${signed(readsOf(wf.api) - minimum)}: ${wf.api.pages} pages, ${wf.api.count} count)`, verdict(readsOk(wf))],
      [`Web API calls ≤ ceil(N/${PAGE_SIZE}) + ${API_CALL_SLACK}`, `${int(wf.api.all)} (${signed(wf.api.all - minimum)}: ${apiKinds(wf.api)})`, verdict(allOk(wf))],
    ],
  });
}
