import { describe, expect, it } from 'vitest';
import { DelayWindow } from './delay-window.js';
import { writePositionAndCommitSql } from './position.js';

describe('writePositionAndCommitSql', () => {
  it('inlines the position and commits in the same query', () => {
    const sql = writePositionAndCommitSql({ epoch: 2, streamSeq: 41, commitLsn: '0/1A2B3C4', commitTs: 1763900000123456 });
    expect(sql).toContain("VALUES (1, 2, 41, '0/1A2B3C4'::pg_lsn, timestamptz 'epoch' + 1763900000123456::bigint");
    expect(sql).not.toMatch(/\$\d/);
    expect(sql.endsWith('; COMMIT')).toBe(true);
  });
  it('refuses anything but integers and a hex LSN', () => {
    expect(() => writePositionAndCommitSql({ epoch: 1, streamSeq: 1, commitLsn: "0/1'; DROP TABLE x; --", commitTs: 1 })).toThrow(/not an LSN/);
    expect(() => writePositionAndCommitSql({ epoch: 1.5, streamSeq: 1, commitLsn: '0/1', commitTs: 1 })).toThrow(/epoch/);
    expect(() => writePositionAndCommitSql({ epoch: 1, streamSeq: Number.NaN, commitLsn: '0/1', commitTs: 1 })).toThrow(/streamSeq/);
  });
});

describe('DelayWindow', () => {
  it('answers percentiles of the samples inside the window only', () => {
    const w = new DelayWindow(1000);
    expect(w.percentile(50, 0)).toBeNull();
    for (let i = 0; i < 100; i++) w.add(i / 1000, 1000 + i);
    expect(w.percentile(50, 1100)).toBe(0.049);
    expect(w.percentile(99, 1100)).toBe(0.098);
    // Samples before now - windowMs leave; a new sample invalidates the cached order.
    expect(w.percentile(50, 2050)).toBe(0.074);
    w.add(0, 2060);
    expect(w.percentile(0, 2060)).toBe(0);
    expect(w.percentile(50, 10_000)).toBeNull();
  });
});
