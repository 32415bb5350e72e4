/**
 * What a drill measured, as the drill command hands it to renderDrillReport(). Times are
 * milliseconds since the Unix epoch (Date.now() of the process that measured them).
 */
export interface DrillReportInput {
  /** e.g. "Failover drill: kill us-east". Default: built from type, fault and regions. */
  title?: string;
  globalDatabase?: string;
  type: 'switchover' | 'failover';
  /** The injected fault (failover drills); null for a planned switchover. */
  fault: 'kill' | 'freeze' | 'partition' | null;
  /** Every region, with its role before and after the drill. */
  regions: {
    name: string;
    roleBefore: 'primary' | 'secondary';
    roleAfter: 'primary' | 'secondary' | 'down';
  }[];
  /** The old and the new primary region. */
  from: string;
  to: string;
  /** Fault injection (or switchover request) time: t0 of RTO (DESIGN §6). */
  t0: number;
  /** Epoch before and after the promotion. */
  epochBefore?: number;
  epochAfter?: number;
  /** Every prober write through the writer endpoint: when it was acknowledged or failed, and which region served it. */
  writes: { t: number; ok: boolean; region?: string; seq?: number; error?: string }[];
  /** Replication lag samples per region (seconds), e.g. from each agent's /status. */
  lag: { region: string; samples: { t: number; seconds: number }[] }[];
  /** Promotion phases (detect, fence, promote, reroute), each from start to end. */
  phases: { name: string; start: number; end: number }[];
  /** RTO: t0 → first write acknowledged on the new primary; null when no write succeeded (drill failed). */
  rto: { seconds: number | null; firstWriteAt?: number };
  /** RPO: acknowledged writes absent on the new primary, as a count and a time window (first → last lost ack). */
  rpo: { transactions: number; windowSeconds: number; lostSeqs?: number[] };
  /** Outcome line, e.g. "passed" or the reason it failed. */
  result?: string;
  /** Free-form notes (e.g. WAN latency, machine). */
  notes?: string[];
}
