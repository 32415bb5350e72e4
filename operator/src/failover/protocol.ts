/**
 * The shapes of the region agents' promotion protocol the operator speaks (docs/promotion.md, agent side in
 * region-agent/src/promotion). Kept structurally identical to the agent's types; a unit test checks the names.
 */

/** The last transaction of the previous epoch that a new epoch contains. */
export interface EpochFork {
  epoch: number;
  seq: number;
  commitLsn: string;
  /** A stream holding the previous epoch's messages up to `seq` (the promoted region's mirror). */
  stream: string;
}

export interface EpochEntry {
  epoch: number;
  primary: string;
  /** Absent for epoch 1. */
  fork?: EpochFork;
  /** ISO time the epoch was written. */
  at: string;
}

/** An applied (or final) position as the agents report it. */
export interface AppliedPosition {
  epoch: number;
  streamSeq: number;
  commitLsn: string;
  /** Commit time of the transaction, µs since the Unix epoch. */
  commitTs: number;
}

/** The mirror of an epoch's source stream held in a region's own NATS cluster (region-agent/src/wire/names.ts). */
export function mirrorStreamName(db: string, region: string, epoch = 1): string {
  const r = region.toUpperCase().replace(/-/g, '_');
  return epoch <= 1
    ? `BOREALIS_${db.toUpperCase()}_${r}`
    : `BOREALIS_${db.toUpperCase()}_EPOCH${epoch}_${r}`;
}
