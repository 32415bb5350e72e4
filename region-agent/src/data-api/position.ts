import { lsnToBigInt } from '../lsn/index.js';

/**
 * A commit position: the primary term (epoch) and a WAL position of that term's primary. It is what a
 * write's response carries and what a `session` request waits for (docs/data-api.md, "Commit positions").
 *
 * `lsn` is the LSN of the write's commit record — the same figure capture sends as `commitLsn` and
 * secondaries store in borealis.apply_position — found with pg_walinspect between the WAL positions taken
 * right before and right after COMMIT. Apply keeps commit order, so `applied.lsn >= position.lsn` proves the
 * write was applied. Where pg_walinspect is unavailable `lsn` is the WAL insert position right after COMMIT
 * (past the commit record): still correct — a transaction committed after the write has been applied, and
 * with it the write — but satisfied only once a later commit (a heartbeat, every 100–250 ms) is applied.
 */
export interface CommitPosition {
  epoch: number;
  lsn: string;
}

/** Thrown for a session token that is not `<epoch>:<lsn>`. */
export class SessionTokenError extends Error {
  override name = 'SessionTokenError';
}

const TOKEN = /^([1-9][0-9]{0,15}):([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})$/;

/** `{epoch: 3, lsn: "0/16B3748"}` → `"3:0/16B3748"`. */
export function encodeSessionToken(p: CommitPosition): string {
  return `${p.epoch}:${p.lsn}`;
}

export function decodeSessionToken(token: string): CommitPosition {
  const m = TOKEN.exec(token);
  if (!m) throw new SessionTokenError(`session token ${JSON.stringify(token)} is not "<epoch>:<lsn>" (e.g. "1:0/16B3748")`);
  return { epoch: Number(m[1]), lsn: m[2]!.toUpperCase() };
}

/** What a region holds, as far as session reads are concerned. */
export type RegionProgress =
  /** The current primary of `epoch`: everything committed in that epoch is visible locally. */
  | { kind: 'primary'; epoch: number }
  /** A secondary that applied up to (epoch, commit LSN of the newest applied transaction). */
  | { kind: 'applied'; epoch: number; lsn: string }
  /** A secondary that has not applied anything yet (seeding, starting). */
  | { kind: 'none' };

export type Satisfaction =
  | { ok: true; /** the region moved to a later epoch than the position's: see docs on unplanned failover */ laterEpoch: boolean }
  | { ok: false; /** true when waiting cannot help (this region is a primary of an older term) */ stale: boolean };

/**
 * Has this region applied `p`? Positions of different epochs come from different primaries' WAL and are
 * never compared by LSN: a region in a later epoch has everything of `p`'s epoch it will ever get (a write
 * lost in an unplanned failover can never be applied), a region in an earlier epoch has not caught up yet.
 */
export function satisfies(progress: RegionProgress, p: CommitPosition): Satisfaction {
  switch (progress.kind) {
    case 'none':
      return { ok: false, stale: false };
    case 'primary':
      if (progress.epoch >= p.epoch) return { ok: true, laterEpoch: progress.epoch > p.epoch };
      return { ok: false, stale: true };
    case 'applied':
      if (progress.epoch > p.epoch) return { ok: true, laterEpoch: true };
      if (progress.epoch < p.epoch) return { ok: false, stale: false };
      return lsnToBigInt(progress.lsn) >= lsnToBigInt(p.lsn) ? { ok: true, laterEpoch: false } : { ok: false, stale: false };
  }
}

/** The later of two positions (by epoch, then LSN); either may be missing. */
export function laterPosition(a: CommitPosition | null, b: CommitPosition | null): CommitPosition | null {
  if (!a) return b;
  if (!b) return a;
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? a : b;
  return lsnToBigInt(a.lsn) >= lsnToBigInt(b.lsn) ? a : b;
}
