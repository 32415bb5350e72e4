import { describe, expect, it } from 'vitest';
import type { Transaction } from '../wire/index.js';
import { chunkTransaction, packMessages } from './batcher.js';

const tx = (n: number, size = 10): Transaction => ({
  xid: n,
  commitLsn: `0/${(n * 16).toString(16).toUpperCase()}`,
  commitTs: n,
  changes: [{ schema: 'public', table: 't', op: 'I', new: { id: String(n), pad: 'x'.repeat(size) } }],
});

describe('packMessages', () => {
  it('one message per transaction when the window has room for each', () => {
    const { messages, consumed } = packMessages([tx(1), tx(2)], 3, 10, 1_000_000, 64);
    // Packing happens only when more transactions are queued than messages may be sent.
    expect(consumed).toBe(2);
    expect(messages.map((m) => m.transactions)).toEqual([2]);
    expect(messages[0]!.lastLsn).toBe('0/20');
    expect(messages[0]!.body.epoch).toBe(3);
  });

  it('respects the transaction and byte limits and the number of messages allowed', () => {
    const queue = Array.from({ length: 10 }, (_, i) => tx(i + 1));
    const { messages, consumed } = packMessages(queue, 1, 3, 1_000_000, 2);
    expect(messages.map((m) => m.transactions)).toEqual([3, 3]);
    expect(consumed).toBe(6);
    const small = packMessages(queue, 1, 100, 250, 100);
    expect(small.messages.length).toBeGreaterThan(1);
    expect(small.consumed).toBe(10);
  });

  it('splits a transaction larger than a message into ordered chunks', () => {
    const big: Transaction = { ...tx(9), changes: Array.from({ length: 50 }, () => tx(9, 100).changes[0]!) };
    const chunks = chunkTransaction(big, 1, 1_000);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.chunk!.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks.filter((c) => c.chunk!.last)).toHaveLength(1);
    expect(chunks.at(-1)!.chunk!.last).toBe(true);
    expect(chunks.flatMap((c) => c.body.txs[0]!.changes)).toHaveLength(50);
    expect(chunks.reduce((n, c) => n + c.transactions, 0)).toBe(1);
  });
});
