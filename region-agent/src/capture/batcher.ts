import { transactionSize, type MessageBody, type Transaction } from '../wire/index.js';

export interface OutgoingMessage {
  body: MessageBody;
  /** Commit LSN of the last transaction in the message (also in Nats-Msg-Id). */
  lastLsn: string;
  lastCommitTs: number;
  transactions: number;
  chunk?: { index: number; last: boolean };
}

/**
 * Pure: takes queued transactions (commit order) and packs them into messages — consecutive
 * transactions share a message up to `maxTransactions` / `maxBytes`; a transaction larger than
 * `maxBytes` becomes ordered chunks of its changes. Returns the messages and how many queued
 * transactions they consumed.
 */
export function packMessages(
  queue: readonly Transaction[],
  epoch: number,
  maxTransactions: number,
  maxBytes: number,
  maxMessages: number,
): { messages: OutgoingMessage[]; consumed: number } {
  const messages: OutgoingMessage[] = [];
  let i = 0;
  while (i < queue.length && messages.length < maxMessages) {
    const first = queue[i]!;
    const firstSize = transactionSize(first);
    if (firstSize > maxBytes) {
      messages.push(...chunkTransaction(first, epoch, maxBytes));
      i++;
      continue;
    }
    const txs: Transaction[] = [first];
    let bytes = firstSize;
    i++;
    while (i < queue.length && txs.length < maxTransactions) {
      const next = queue[i]!;
      const size = transactionSize(next);
      if (bytes + size > maxBytes) break;
      txs.push(next);
      bytes += size;
      i++;
    }
    const last = txs[txs.length - 1]!;
    messages.push({
      body: { v: 1, epoch, txs },
      lastLsn: last.commitLsn,
      lastCommitTs: last.commitTs,
      transactions: txs.length,
    });
  }
  return { messages, consumed: i };
}

/** Splits one large transaction into ordered chunks of its changes, each under maxBytes when possible. */
export function chunkTransaction(tx: Transaction, epoch: number, maxBytes: number): OutgoingMessage[] {
  const parts: Transaction[] = [];
  let current: Transaction = { ...tx, changes: [] };
  let bytes = 200;
  for (const change of tx.changes) {
    const size = JSON.stringify(change).length;
    if (current.changes.length > 0 && bytes + size > maxBytes) {
      parts.push(current);
      current = { ...tx, changes: [] };
      bytes = 200;
    }
    current.changes.push(change);
    bytes += size;
  }
  parts.push(current);
  return parts.map((part, index) => {
    const chunk = { index, last: index === parts.length - 1 };
    return {
      body: { v: 1 as const, epoch, txs: [part], chunk },
      lastLsn: tx.commitLsn,
      lastCommitTs: tx.commitTs,
      transactions: chunk.last ? 1 : 0,
      chunk,
    };
  });
}
