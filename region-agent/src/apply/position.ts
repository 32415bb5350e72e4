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
