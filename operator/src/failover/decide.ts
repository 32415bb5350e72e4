import type { ResolvedSpec } from '../api/index.js';
import type { RegionReport } from '../controllers/global-database/agent-status.js';

export interface Candidate {
  region: string;
  streamSeq: number;
  lagSeconds: number;
  /** Commit time (µs since epoch) of the newest applied transaction. */
  commitTs: number;
}

/** Secondaries that answered ready with an apply position, most advanced first (highest stream sequence, then least lag, then name). */
export function rankCandidates(
  reports: readonly RegionReport[],
  primaryRegion: string,
): Candidate[] {
  return reports
    .filter((r) => r.region !== primaryRegion && r.status?.ready && r.status.apply)
    .map((r) => ({
      region: r.region,
      streamSeq: r.status!.apply!.streamSeq,
      lagSeconds: r.status!.apply!.lagSeconds,
      commitTs: r.status!.apply!.commitTs,
    }))
    .sort(
      (a, b) =>
        b.streamSeq - a.streamSeq ||
        a.lagSeconds - b.lagSeconds ||
        a.region.localeCompare(b.region),
    );
}

export type FailoverDecision =
  | { kind: 'healthy' }
  | { kind: 'waiting'; unhealthyForSeconds: number; reason: string }
  | { kind: 'failover'; target: string; estimatedRpoSeconds: number; reason: string }
  | { kind: 'refuse'; target?: string; estimatedRpoSeconds?: number; reason: string };

export interface DecideInput {
  spec: ResolvedSpec;
  primaryRegion: string;
  reports: readonly RegionReport[];
  /** Since when the primary's agent has not reported healthy (undefined: it is healthy now). */
  primaryUnhealthySince: Date | undefined;
  /** The last time the primary reported healthy (its commits up to then may exist only there). */
  primaryLastHealthyAt: Date | undefined;
  now: Date;
  force?: boolean;
}

/** Is a primary report healthy: answered, ready, and still primary. */
export function primaryHealthy(r: RegionReport | undefined): boolean {
  return !!r?.status && r.status.ready && r.status.role === 'primary';
}

/**
 * Automatic failover decision (DESIGN §4): after detectionSeconds without a healthy primary, choose the
 * secondary that has applied the most; refuse when its estimated data loss exceeds the RPO guard (unless forced).
 */
export function decideFailover(input: DecideInput): FailoverDecision {
  const primary = input.reports.find((r) => r.region === input.primaryRegion);
  if (primaryHealthy(primary) || !input.primaryUnhealthySince) return { kind: 'healthy' };
  const unhealthyFor = (input.now.getTime() - input.primaryUnhealthySince.getTime()) / 1000;
  const why = primary?.error ?? primary?.status?.message ?? 'not ready';
  if (unhealthyFor < input.spec.failover.detectionSeconds)
    return {
      kind: 'waiting',
      unhealthyForSeconds: unhealthyFor,
      reason: `primary ${input.primaryRegion} unhealthy for ${unhealthyFor.toFixed(1)}s of ${input.spec.failover.detectionSeconds}s: ${why}`,
    };
  const [best] = rankCandidates(input.reports, input.primaryRegion);
  if (!best)
    return {
      kind: 'refuse',
      reason: `primary ${input.primaryRegion} is down (${why}) and no secondary is ready to take over`,
    };
  // Commits the primary made after the best secondary's newest applied one may be lost: bound that window by
  // the primary's last healthy report (heartbeats commit every 100–250 ms), or by the secondary's lag when unknown.
  const estimatedRpoSeconds = input.primaryLastHealthyAt
    ? Math.max(0, input.primaryLastHealthyAt.getTime() / 1000 - best.commitTs / 1e6)
    : best.lagSeconds;
  const rounded = Math.round(estimatedRpoSeconds * 1000) / 1000;
  if (rounded > input.spec.failover.rpoGuardSeconds && !input.force)
    return {
      kind: 'refuse',
      target: best.region,
      estimatedRpoSeconds: rounded,
      reason: `RPO guard: best secondary ${best.region} may lose ${rounded}s of commits, more than rpoGuardSeconds ${input.spec.failover.rpoGuardSeconds} (force a FailoverDrill or raise the guard)`,
    };
  return {
    kind: 'failover',
    target: best.region,
    estimatedRpoSeconds: rounded,
    reason: `primary ${input.primaryRegion} unhealthy for ${unhealthyFor.toFixed(1)}s: ${why}`,
  };
}
