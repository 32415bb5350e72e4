import type pg from 'pg';

export interface ApplyPosition {
  epoch: number;
  streamSeq: number;
  commitLsn: string;
  /** µs since the Unix epoch */
  commitTs: number;
}

export async function readPosition(client: pg.ClientBase): Promise<ApplyPosition | null> {
  const r = await client.query<{ epoch: string; stream_seq: string; commit_lsn: string; commit_us: string }>(
    `SELECT epoch, stream_seq, commit_lsn::text AS commit_lsn,
            (extract(epoch FROM commit_ts) * 1000000)::bigint AS commit_us
       FROM borealis.apply_position WHERE id = 1`,
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    epoch: Number(row.epoch),
    streamSeq: Number(row.stream_seq),
    commitLsn: row.commit_lsn,
    commitTs: Number(row.commit_us),
  };
}

/** Written in the same PostgreSQL transaction as the changes it covers (exactly-once effect). */
export const WRITE_POSITION_SQL = `
INSERT INTO borealis.apply_position (id, epoch, stream_seq, commit_lsn, commit_ts, applied_at)
VALUES (1, $1, $2, $3::pg_lsn, timestamptz 'epoch' + $4::bigint * interval '1 microsecond', clock_timestamp())
ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, stream_seq = excluded.stream_seq,
  commit_lsn = excluded.commit_lsn, commit_ts = excluded.commit_ts, applied_at = excluded.applied_at`;

const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/**
 * Pure: the position write and COMMIT as one simple-protocol query (one round trip instead of two at
 * the end of every apply group). The values are inlined — only after checking they are safe
 * integers and an LSN of hex digits, so nothing but those characters reaches the SQL text.
 */
export function writePositionAndCommitSql(p: ApplyPosition): string {
  const commitTs = Number.isFinite(p.commitTs) ? Math.round(p.commitTs) : p.commitTs;
  for (const [name, v] of [
    ['epoch', p.epoch],
    ['streamSeq', p.streamSeq],
    ['commitTs', commitTs],
  ] as const) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`apply position ${name} is not an integer: ${String(v)}`);
  }
  if (!LSN.test(p.commitLsn)) throw new RangeError(`apply position commitLsn is not an LSN: ${JSON.stringify(p.commitLsn)}`);
  const sql = WRITE_POSITION_SQL.replace('$1', String(p.epoch))
    .replace('$2', String(p.streamSeq))
    .replace('$3', `'${p.commitLsn}'`)
    .replace('$4', String(commitTs));
  return `${sql}; COMMIT`;
}
