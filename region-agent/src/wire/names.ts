/** Names shared by every part: subjects, streams, slots, headers (DESIGN §3). */

/**
 * Every primary term (epoch) has its own source stream and subject (docs/promotion.md): epoch 1 keeps the
 * original names; epoch n ≥ 2 uses `borealis.<db>.e<n>.tx` and `BOREALIS_<DB>_EPOCH<n>`. A fenced old
 * primary can therefore only append to its own epoch's stream, which no region applies past the fork point.
 */
export function txSubject(db: string, epoch = 1): string {
  return epoch <= 1 ? `borealis.${db}.tx` : `borealis.${db}.e${epoch}.tx`;
}

/** The source stream of an epoch, in that epoch's primary region's cluster. */
export function sourceStreamName(db: string, epoch = 1): string {
  return epoch <= 1 ? `BOREALIS_${db.toUpperCase()}` : `BOREALIS_${db.toUpperCase()}_EPOCH${epoch}`;
}

/** The mirror of an epoch's source stream held in a region's own cluster. */
export function mirrorStreamName(db: string, region: string, epoch = 1): string {
  const r = region.toUpperCase().replace(/-/g, '_');
  return epoch <= 1 ? `BOREALIS_${db.toUpperCase()}_${r}` : `BOREALIS_${db.toUpperCase()}_EPOCH${epoch}_${r}`;
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
