import { describe, expect, it } from 'vitest';
import { longestWriteGap, missingAcknowledged, type LedgerEntry } from './prober.js';

const ledger: LedgerEntry[] = [
  { n: 1, sentAt: 0, ackAt: 10, port: 1 },
  { n: 2, sentAt: 20, ackAt: 30, port: 1 },
  { n: 3, sentAt: 40, error: 'refused' },
  { n: 4, sentAt: 60, ackAt: 70, port: 1 },
  { n: 5, sentAt: 1000, ackAt: 1500, port: 2 },
  { n: 6, sentAt: 1600, ackAt: 1610, port: 2 },
];

describe('prober ledger', () => {
  it('counts only acknowledged numbers missing on the new primary, with their acknowledgement window', () => {
    const m = missingAcknowledged(ledger, new Set([1, 3, 5, 6]));
    expect(m.count).toBe(2);
    expect(m.numbers).toEqual([2, 4]);
    expect(m.windowSeconds).toBeCloseTo(0.04, 6);
  });

  it('an unacknowledged number present on the new primary is not a loss, nor is its absence', () => {
    expect(missingAcknowledged(ledger, new Set([1, 2, 4, 5, 6])).count).toBe(0);
  });

  it('the write gap is the longest stretch between acknowledgements overlapping the window', () => {
    expect(longestWriteGap(ledger, 100, 1500)).toBe(1430);
    expect(longestWriteGap(ledger, 0, 50)).toBe(40);
  });
});
