/**
 * Epoch records (docs/promotion.md). The authoritative copy lives in the epoch store (JetStream KV on the
 * control NATS cluster); each agent keeps the history it was told in borealis.agent_state.
 */

/** Where an epoch began: the last transaction of the previous epoch it contains. */
export interface EpochFork {
  /** The previous epoch. */
  epoch: number;
  /** Stream sequence (of the previous epoch's stream) of its last transaction in the new epoch. */
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

/** The value of the epoch store's key: the current epoch and every earlier one (ascending). */
export interface EpochRecord extends EpochEntry {
  history: EpochEntry[];
}

/** Pure: the epoch that follows `epoch` in a history (the one forked from it), if any. */
export function nextEpochAfter(history: EpochEntry[], epoch: number): EpochEntry | undefined {
  return history
    .filter((h) => h.fork && h.fork.epoch === epoch && h.epoch > epoch)
    .sort((a, b) => a.epoch - b.epoch)[0];
}

/** Pure: the catch-up plan from an applied position to the current epoch, or why it is impossible. */
export function catchUpPlan(
  history: EpochEntry[],
  position: { epoch: number; streamSeq: number },
  currentEpoch: number,
): { ok: true; steps: { fromEpoch: number; toEpoch: number; stream: string; afterSeq: number; throughSeq: number }[] } | { ok: false; reason: string } {
  const steps: { fromEpoch: number; toEpoch: number; stream: string; afterSeq: number; throughSeq: number }[] = [];
  let epoch = position.epoch;
  let seq = position.streamSeq;
  while (epoch < currentEpoch) {
    const next = nextEpochAfter(history, epoch);
    if (!next || !next.fork) return { ok: false, reason: `no epoch forked from epoch ${epoch} is known (re-seed the region)` };
    if (seq > next.fork.seq) {
      return {
        ok: false,
        reason: `diverged: applied epoch ${epoch} through stream sequence ${seq}, but epoch ${next.epoch} forked at ${next.fork.seq} (re-seed the region)`,
      };
    }
    steps.push({ fromEpoch: epoch, toEpoch: next.epoch, stream: next.fork.stream, afterSeq: seq, throughSeq: next.fork.seq });
    epoch = next.epoch;
    seq = 0;
  }
  if (epoch > currentEpoch) return { ok: false, reason: `applied epoch ${epoch} is newer than the current epoch ${currentEpoch}` };
  return { ok: true, steps };
}
