/** Names shared by every part: subjects, streams, slots, headers (DESIGN §3). */

export function txSubject(db: string): string {
  return `borealis.${db}.tx`;
}

/** The source stream, in the primary region's cluster. */
export function sourceStreamName(db: string): string {
  return `BOREALIS_${db.toUpperCase()}`;
}

/** The mirror of the source stream held in a secondary region's own cluster. */
export function mirrorStreamName(db: string, region: string): string {
  return `BOREALIS_${db.toUpperCase()}_${region.toUpperCase().replace(/-/g, '_')}`;
}

export function slotName(db: string): string {
  return `borealis_${db}`;
}

export const PUBLICATION = 'borealis';

export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  epoch: 'Borealis-Epoch',
  commitLsn: 'Borealis-Commit-Lsn',
  commitTs: 'Borealis-Commit-Ts',
} as const;

/** Nats-Msg-Id: `<epoch>-<commitLsn>` of the last transaction in the message (`-<chunk>` for chunks). */
export function messageId(epoch: number, commitLsn: string, chunkIndex?: number): string {
  return chunkIndex === undefined ? `${epoch}-${commitLsn}` : `${epoch}-${commitLsn}-${chunkIndex}`;
}
