/**
 * What a chaos trial does, chosen from the campaign's seed before anything runs (so `--seed S` gives the same
 * plans on every machine, and `--only K` re-runs trial K alone with the plan it had): the kind of work, the
 * faults the CRM sandboxes inject while it runs, and the crash.
 *
 * - Kind: one of the integration jobs a CRM has (Salesforce: the three inbound and the three outbound kinds;
 *   HubSpot and Dataverse: accounts inbound), or a burst of concurrent write-backs over accounts of all three CRMs.
 * - Faults: a share of the CRM's API calls (CALL_FAILURE_RATE, split between the failures picked) answered as
 *   that CRM answers a rate limit, a 5xx or, for Salesforce DML, a locked row; optionally added latency on a
 *   share of calls; optionally every issued access token expired at random moments (a real expiry in the
 *   sandbox's token store, so the next call meets the CRM's own 401 and the client refreshes).
 * - Crash: the worker SIGKILLed once the run (or burst) has made some progress, a new worker started; in some
 *   trials the Temporal dev server or PostgreSQL stopped and restarted under the new worker a little later.
 */
import { Prng } from '../../sandbox/salesforce/prng';

export const TRIAL_KINDS = [
  'salesforce accounts-inbound',
  'salesforce tasks-inbound',
  'salesforce touchpoints-inbound',
  'salesforce tasks-outbound',
  'salesforce touchpoints-outbound',
  'salesforce campaign-touch-outbound',
  'hubspot accounts-inbound',
  'dynamics accounts-inbound',
  'write-back burst',
] as const;
export type TrialKind = (typeof TRIAL_KINDS)[number];

export type Crm = 'salesforce' | 'hubspot' | 'dynamics';
export type FailureKind = 'rate-limit' | '5xx' | 'lock';

/** The share of CRM API calls that fail, split evenly between the failures a plan picks. */
export const CALL_FAILURE_RATE = 0.1;
/** Salesforce locked rows: the share of records in a DML call refused with UNABLE_TO_LOCK_ROW (outbound and write-back only). */
export const LOCK_RATE = 0.02;
/** The share of calls delayed when a plan adds latency. */
export const LATENCY_RATE = 0.1;

export interface FaultPlan {
  /** The failures answered instead of the CRM, each at `rate` of the calls (lock: of the records in a DML call). */
  failures: Array<{ kind: FailureKind; rate: number }>;
  /** Added latency on LATENCY_RATE of the calls. */
  latencyMs?: number;
  /** Every issued access token expired every this many milliseconds, from a random first moment. */
  tokenExpiryEveryMs?: number;
  /** Seeds the sandboxes' fault PRNGs. */
  seed: number;
}

export type Outage = 'temporal' | 'postgres';

export interface CrashPlan {
  /** The worker is SIGKILLed once this share of the run's progress units (pages, write-backs) is done… */
  killAt: number;
  /** …and this long after that point is reached. */
  killDelayMs: number;
  /** Temporal or PostgreSQL stopped and started again under the new worker. */
  outage?: { service: Outage; at: number; delayMs: number; downMs: number };
}

export interface TrialPlan {
  trial: number;
  kind: TrialKind;
  faults: FaultPlan;
  crash: CrashPlan;
  /** Seeds what the trial generates (hub records, burst targets and values). */
  seed: number;
}

export const crmOf = (kind: TrialKind): Crm | 'all' => (kind === 'write-back burst' ? 'all' : (kind.split(' ')[0] as Crm));

/** Whether the trial writes records to Salesforce through DML, where a locked row can refuse them. */
const writesToSalesforce = (kind: TrialKind) => kind === 'write-back burst' || kind.endsWith('-outbound');

function failureKinds(kind: TrialKind): FailureKind[] {
  return writesToSalesforce(kind) ? ['rate-limit', '5xx', 'lock'] : ['rate-limit', '5xx'];
}

/** The plan of every trial of a campaign with `seed`, trial numbers from 1. */
export function planCampaign(seed: number, trials: number): TrialPlan[] {
  const rng = new Prng(seed);
  const plans: TrialPlan[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const kind = rng.pick(TRIAL_KINDS);
    const available = failureKinds(kind);
    let picked = available.filter(() => rng.chance(0.6));
    if (picked.length === 0) picked = [rng.pick(available)];
    const callFailures = picked.filter((k) => k !== 'lock');
    const share = callFailures.length ? CALL_FAILURE_RATE / callFailures.length : 0;
    const failures = picked.map((k) => ({ kind: k, rate: k === 'lock' ? LOCK_RATE : share }));
    const latency = rng.chance(0.5) ? rng.int(100, 400) : undefined;
    const expiry = rng.chance(0.5) ? rng.int(2000, 5000) : undefined;
    const faults: FaultPlan = { failures, seed: rng.int(1, 2 ** 30), ...(latency ? { latencyMs: latency } : {}), ...(expiry ? { tokenExpiryEveryMs: expiry } : {}) };
    const outageRoll = rng.next();
    const outage: Outage | undefined = outageRoll < 0.25 ? 'temporal' : outageRoll < 0.5 ? 'postgres' : undefined;
    const killAt = 0.1 + rng.next() * 0.5;
    const crash: CrashPlan = {
      killAt,
      killDelayMs: rng.int(0, 300),
      ...(outage ? { outage: { service: outage, at: killAt + rng.next() * (0.95 - killAt), delayMs: rng.int(0, 1500), downMs: rng.int(1000, 5000) } } : {}),
    };
    plans.push({ trial, kind, faults, crash, seed: rng.int(1, 2 ** 30) });
  }
  return plans;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The plan column of the table: `kind; faults`. */
export function describeFaults(f: FaultPlan): string {
  const parts = f.failures.map((x) => `${x.kind === 'rate-limit' ? 'rate limit' : x.kind === 'lock' ? 'lock/record' : '5xx'} ${pct(x.rate)}`);
  if (f.latencyMs) parts.push(`+${f.latencyMs} ms on ${pct(LATENCY_RATE)}`);
  if (f.tokenExpiryEveryMs) parts.push(`tokens expire/${(f.tokenExpiryEveryMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}
