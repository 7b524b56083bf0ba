/** Messages between bench/outbound.ts and its baseline process (bench/outbound-baseline.ts). */
import type { RunStats } from '../kernel/stats';

/**
 * Parent → baseline child:
 * - `import`: an inbound job paged through from the start and written (the accounts import, not measured);
 * - `run`: an outbound job synced from the start in the plain loop (the baseline), then its stamps settled;
 * - `exit`.
 */
export type OutboundCommand = { cmd: 'import'; jobId: string } | { cmd: 'run'; jobId: string } | { cmd: 'exit' };

export interface OutboundReady {
  type: 'ready';
}

export interface OutboundImported {
  type: 'imported';
  jobId: string;
  stats: RunStats;
}

export interface OutboundDone {
  type: 'done';
  jobId: string;
  /** Wall clock inside the child, loading the job to the last stamp settled. */
  ms: number;
  stats: RunStats;
  /** Pages synced (the empty read after a full last page is not one). */
  pages: number;
  /** Summed time in readOutboundRecords (hub reads, the empty last one included), syncOutboundPage, settlePendingStamps. */
  readMs: number;
  syncMs: number;
  settleMs: number;
  /** Links whose CRM stamp settlePendingStamps read back at the end. */
  settled: number;
}

export interface OutboundFailed {
  type: 'error';
  message: string;
}

export type OutboundMessage = OutboundReady | OutboundImported | OutboundDone | OutboundFailed;
