/** Messages between bench/inbound.ts and its child processes (inbound-sandbox.ts, inbound-baseline.ts). */
import type { RunStats } from '../kernel/stats';

export interface SandboxReady {
  type: 'ready';
  url: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** Parent → baseline child: page one job through from the start (or exit). */
export type BaselineCommand = { cmd: 'run'; jobId: string } | { cmd: 'exit' };

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

export interface BaselineFailed {
  type: 'error';
  message: string;
}

export type BaselineMessage = BaselineReady | BaselineDone | BaselineFailed;
