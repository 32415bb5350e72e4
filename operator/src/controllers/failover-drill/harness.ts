import type { DrillFault } from '../../api/index.js';
import type { RegionRef } from '../../failover/index.js';

/** A running write prober: writes continuously through the writer endpoint, keeping a numbered ledger (DESIGN §6). */
export interface ProberRun {
  /** Resolves with the time of the first write acknowledged at or after `after` (the new primary serving). */
  firstAcknowledgedWriteAfter(after: Date, timeoutMs: number): Promise<Date>;
  /** Stops writing and compares the ledger with the new primary: acknowledged writes it lacks. */
  stop(newPrimary: RegionRef): Promise<{ lostTransactions: number; lostWindowSeconds: number }>;
}

/** Fault injection and workload for drills. Its real implementation (kind/pods/link proxies) is a separate issue. */
export interface DrillHarness {
  startProber(db: RegionRef & { writesPerSecond: number }): Promise<ProberRun>;
  /** Injects `fault` into `region`; the returned function undoes it. */
  injectFault(region: RegionRef, fault: DrillFault): Promise<() => Promise<void>>;
}

export class DrillHarnessNotWiredError extends Error {
  override readonly name = 'DrillHarnessNotWiredError';
}

export class UnwiredDrillHarness implements DrillHarness {
  startProber(): Promise<ProberRun> {
    return Promise.reject(new DrillHarnessNotWiredError('no workload prober is wired into the operator: the drill cannot measure RTO/RPO (operator/src/controllers/failover-drill/harness.ts)'));
  }
  injectFault(): Promise<() => Promise<void>> {
    return Promise.reject(new DrillHarnessNotWiredError('no fault injector is wired into the operator (operator/src/controllers/failover-drill/harness.ts)'));
  }
}
