/** The JSON document served at GET /status by every region agent (a contract for the CLI and operator). */
export interface AgentStatus {
  region: string;
  role: 'primary' | 'secondary';
  epoch: number;
  primaryRegion: string;
  database: string;
  /** True once the agent bootstrapped its database and its stream work runs. */
  ready: boolean;
  /** Human-readable reason while not ready, or the last error. */
  message?: string;
  /** Promotion state (docs/promotion.md). */
  promotion?: {
    /** Set once this primary was fenced (its final stream position; finalSeq -1 when it fenced itself). */
    fenced: { epoch: number; stream: string; finalSeq: number; finalLsn: string } | null;
    /** A secondary whose apply is held for a promotion decision. */
    applyHeld: boolean;
    /** Why this region cannot follow the current epoch without a re-seed. */
    diverged: string | null;
    /** ms since the Unix epoch of the read before the last lease renewal (primary with an epoch store). */
    leaseRenewedAt: number | null;
    history: { epoch: number; primary: string; at: string; fork?: { epoch: number; seq: number; commitLsn: string; stream: string } }[];
  };
  capture?: {
    slot: string;
    stream: string;
    /** Commit LSN of the newest transaction acknowledged by JetStream (slot confirmed up to here). */
    confirmedLsn: string;
    /** Stream sequence of the newest acknowledged message. */
    lastStreamSeq: number;
    capturedTransactions: number;
  };
  apply?: {
    stream: string;
    /** Last applied (epoch, streamSeq, commitLsn, commitTs µs) as stored in borealis.apply_position. */
    epoch: number;
    streamSeq: number;
    commitLsn: string;
    commitTs: number;
    appliedTransactions: number;
    /** now − commitTs of the newest applied transaction, seconds (DESIGN §6). */
    lagSeconds: number;
    /** Percentiles of per-transaction apply delay over the last 10 s, seconds (null when nothing applied). */
    applyDelayP50Seconds: number | null;
    applyDelayP99Seconds: number | null;
    /** Messages in the local mirror not yet applied. */
    pendingMessages: number;
  };
}
