/**
 * The data-plane actions a promotion needs, one method per step (DESIGN §4). The operator sequences them
 * (PromotionCoordinator) and owns the epoch compare-and-set; a driver performs them against the regions.
 * The real driver (talking to the region agents' promotion API) is a separate issue: until it is wired the
 * operator runs with UnwiredPromotionDriver and every promotion fails with PromotionNotWiredError.
 */
export interface RegionRef {
  namespace: string;
  globalDatabase: string;
  region: string;
}

export interface PromotionDriver {
  /** Make `region` refuse writes from now on (read-only, writers terminated); it must accept nothing in epochs < `epoch`. */
  fence(ref: RegionRef, epoch: number): Promise<void>;
  /** Wait until `target` has applied everything in its local mirror (and, for a switchover, the old primary's final position). */
  waitForCatchUp(target: RegionRef, opts: { finalPositionOf?: RegionRef; timeoutMs: number }): Promise<{ appliedStreamSeq: number }>;
  /** Promote `target` to primary in `epoch` (sequences set past the highest seen, capture started). */
  promote(target: RegionRef, epoch: number): Promise<void>;
  /** Restart `region` as a secondary of `newPrimary` in `epoch`, recording its unreplicated transactions first. */
  demote(ref: RegionRef, newPrimary: string, epoch: number): Promise<{ lostTransactions: number }>;
}

export class PromotionNotWiredError extends Error {
  override readonly name = 'PromotionNotWiredError';
}

/** The default driver: every step fails with a clear message, so drills and failovers report honestly. */
export class UnwiredPromotionDriver implements PromotionDriver {
  private fail(step: string): never {
    throw new PromotionNotWiredError(
      `promotion step "${step}" is not available: the operator runs without a promotion driver (the region agents' promotion API is not wired into operator/src/failover yet)`,
    );
  }
  fence(): Promise<void> {
    return this.fail('fence');
  }
  waitForCatchUp(): Promise<{ appliedStreamSeq: number }> {
    return this.fail('waitForCatchUp');
  }
  promote(): Promise<void> {
    return this.fail('promote');
  }
  demote(): Promise<{ lostTransactions: number }> {
    return this.fail('demote');
  }
}
