import { describe, expect, it } from 'vitest';
import { catchUpPlan, nextEpochAfter, type EpochEntry } from './types.js';

const history: EpochEntry[] = [
  { epoch: 1, primary: 'us-east', at: 't1' },
  { epoch: 2, primary: 'eu-west', at: 't2', fork: { epoch: 1, seq: 100, commitLsn: '0/100', stream: 'BOREALIS_APP_EU_WEST' } },
  { epoch: 3, primary: 'us-east', at: 't3', fork: { epoch: 2, seq: 40, commitLsn: '0/200', stream: 'BOREALIS_APP_EPOCH2_US_EAST' } },
];

describe('epoch history', () => {
  it('names the epoch forked from a given one', () => {
    expect(nextEpochAfter(history, 1)?.epoch).toBe(2);
    expect(nextEpochAfter(history, 2)?.epoch).toBe(3);
    expect(nextEpochAfter(history, 3)).toBeUndefined();
  });

  it('plans a catch-up across two epochs up to each fork, from the promoted regions’ mirrors', () => {
    const plan = catchUpPlan(history, { epoch: 1, streamSeq: 90 }, 3);
    expect(plan).toEqual({
      ok: true,
      steps: [
        { fromEpoch: 1, toEpoch: 2, stream: 'BOREALIS_APP_EU_WEST', afterSeq: 90, throughSeq: 100 },
        { fromEpoch: 2, toEpoch: 3, stream: 'BOREALIS_APP_EPOCH2_US_EAST', afterSeq: 0, throughSeq: 40 },
      ],
    });
  });

  it('needs no step in the current epoch', () => {
    expect(catchUpPlan(history, { epoch: 3, streamSeq: 7 }, 3)).toEqual({ ok: true, steps: [] });
  });

  it('an applied position past the fork has diverged', () => {
    const plan = catchUpPlan(history, { epoch: 1, streamSeq: 101 }, 2);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reason).toMatch(/diverged.*101.*forked at 100/);
  });

  it('a position exactly at the fork continues with an empty range', () => {
    const plan = catchUpPlan(history, { epoch: 1, streamSeq: 100 }, 2);
    expect(plan).toEqual({ ok: true, steps: [{ fromEpoch: 1, toEpoch: 2, stream: 'BOREALIS_APP_EU_WEST', afterSeq: 100, throughSeq: 100 }] });
  });

  it('an epoch with no known successor cannot be followed', () => {
    const plan = catchUpPlan([history[0]!], { epoch: 1, streamSeq: 5 }, 2);
    expect(plan.ok).toBe(false);
  });
});
