/**
 * Messages between bench/inbound.ts and its child processes (inbound-sandbox.ts, inbound-baseline.ts), and the
 * parent's side of the baseline process (BaselineProcess).
 */
import type { RunStats } from '../kernel/stats';
import { BenchChild } from './processes';

export interface SandboxReady {
  type: 'ready';
  url: string;
  /** Salesforce: the connected app and the refresh token; HubSpot: its public app's; Dataverse: the app registration's (no refresh token). */
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** HubSpot only: the private app's access token (what the benchmarks' HubSpot connections use). */
  accessToken?: string;
  /** Dataverse only: the Entra tenant and token endpoint of the client-credentials app (clientId, clientSecret above). */
  dataverse?: { tenantId: string; tokenUrl: string; scope: string };
}

/**
 * Parent → baseline child:
 * - `run`: page one job through from the start and write it (the baseline; also the accounts imports);
 * - `page`: the paging floor, the same reads and nothing written;
 * - `load`: read all the job's pages into memory (not measured), for `write`;
 * - `write`: the hub write floor, the loaded pages written one after the other (then dropped);
 * - `exit`.
 */
export type BaselineCommand = { cmd: 'run'; jobId: string } | { cmd: 'page'; jobId: string } | { cmd: 'load'; jobId: string } | { cmd: 'write' } | { cmd: 'exit' };

export interface BaselineReady {
  type: 'ready';
}

export interface BaselineDone {
  type: 'done';
  jobId: string;
  /** Wall clock inside the child, first fetch to last commit. */
  ms: number;
  stats: RunStats;
  /** Page fetches (API calls), the empty last one included. */
  fetches: number;
  /** Summed time in fetchInboundPage (HTTP round trip + JSON) and in writeInboundPage (map, match, transaction). */
  fetchMs: number;
  writeMs: number;
}

/** The paging floor: the job's pages read one after the other, nothing written. */
export interface BaselinePaged {
  type: 'paged';
  jobId: string;
  /** Wall clock inside the child, first fetch to last answer. */
  ms: number;
  records: number;
  /** Page fetches (API calls), the empty last one included. */
  fetches: number;
}

/** The job's pages, read into the child's memory for `write`. */
export interface BaselineLoaded {
  type: 'loaded';
  jobId: string;
  ms: number;
  records: number;
  /** Non-empty pages held. */
  pages: number;
}

/** The hub write floor: the loaded pages written by writeInboundPage, nothing read from the CRM. */
export interface BaselineWritten {
  type: 'written';
  jobId: string;
  /** Wall clock inside the child, first write to last commit. */
  ms: number;
  stats: RunStats;
  pages: number;
}

export interface BaselineFailed {
  type: 'error';
  message: string;
}

export type BaselineMessage = BaselineReady | BaselineDone | BaselinePaged | BaselineLoaded | BaselineWritten | BaselineFailed;

/** The baseline process (bench/inbound-baseline.ts). */
export class BaselineProcess extends BenchChild<BaselineCommand, BaselineMessage> {
  constructor(env: NodeJS.ProcessEnv, nodeOptions: string[] = []) {
    super('inbound-baseline.ts', env, 'the baseline process', nodeOptions);
  }

  /** Pages the job through and writes it: the baseline (and the accounts imports). */
  run(jobId: string): Promise<BaselineDone> {
    return this.request({ cmd: 'run', jobId }, 'done');
  }

  /** The paging floor: the same reads, nothing written. */
  page(jobId: string): Promise<BaselinePaged> {
    return this.request({ cmd: 'page', jobId }, 'paged');
  }

  /** Reads all the job's pages into the child's memory, for write(). */
  load(jobId: string): Promise<BaselineLoaded> {
    return this.request({ cmd: 'load', jobId }, 'loaded');
  }

  /** The hub write floor: the loaded pages written, nothing read from the CRM. */
  write(): Promise<BaselineWritten> {
    return this.request({ cmd: 'write' }, 'written');
  }
}
