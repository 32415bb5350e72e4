import type { DrillFault } from '../../api/index.js';
import type { RegionRef } from '../../failover/index.js';

/** A running write prober: writes continuously through the writer endpoint, keeping a numbered ledger (DESIGN §6). */
export interface ProberRun {
  /** Resolves with the time of the first write acknowledged at or after `after` by `region` (the new primary serving). */
  firstAcknowledgedWriteAfter(after: Date, timeoutMs: number, region: string): Promise<Date>;
  /** Stops writing and compares the ledger with the new primary: acknowledged writes it lacks. */
  /** Ends the prober without a verdict (idempotent; after stop() or when the drill failed). */
  close(): Promise<void>;
  stop(
    newPrimary: RegionRef,
  ): Promise<{ lostTransactions: number; lostWindowSeconds: number; acknowledged: number }>;
}

/** Fault injection and workload for drills (the operator's: operator/src/drills/harness.ts). */
export interface DrillHarness {
  startProber(db: RegionRef & { writesPerSecond: number }): Promise<ProberRun>;
  /** Injects `fault` into `region`; the returned function undoes it. */
  injectFault(region: RegionRef, fault: DrillFault): Promise<() => Promise<void>>;
}
