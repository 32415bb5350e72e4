import type { AgentStatus } from '@borealis/region-agent';
import { describe, expect, it } from 'vitest';
import { formatSeconds, rate, renderStatusTable, statusCells, transactionCount } from './render.js';

const primary: AgentStatus = {
  region: 'us-east',
  role: 'primary',
  epoch: 1,
  primaryRegion: 'us-east',
  database: 'app',
  ready: true,
  capture: {
    slot: 'borealis_app',
    stream: 'S',
    confirmedLsn: '0/3050690',
    lastStreamSeq: 28,
    capturedTransactions: 40,
  },
};
const secondary: AgentStatus = {
  region: 'eu-west',
  role: 'secondary',
  epoch: 1,
  primaryRegion: 'us-east',
  database: 'app',
  ready: false,
  message: 'seeding',
  apply: {
    stream: 'M',
    epoch: 1,
    streamSeq: 27,
    commitLsn: '0/3050000',
    commitTs: 0,
    appliedTransactions: 39,
    lagSeconds: 0.082,
    applyDelayP50Seconds: 0.0012,
    applyDelayP99Seconds: 3.91,
    pendingMessages: 1,
  },
};

describe('status table', () => {
  it('shows the primary position from capture and secondaries from apply, with lag and percentiles', () => {
    expect(
      statusCells({ name: 'us-east', role: 'primary', status: primary, txPerSecond: 12.4 }),
    ).toEqual(['us-east', 'primary', 'yes', 'seq 28 @ 0/3050690', '-', '-', '-', '12', '-']);
    expect(
      statusCells({ name: 'eu-west', role: 'secondary', status: secondary, txPerSecond: null }),
    ).toEqual([
      'eu-west',
      'secondary',
      'no',
      'seq 27 @ 0/3050000',
      '82ms',
      '1.2ms',
      '3.91s',
      '-',
      '1',
    ]);
  });

  it('reports an unreachable agent and the not-ready reason', () => {
    const text = renderStatusTable([
      { name: 'us-east', role: 'primary', status: { error: 'ECONNREFUSED' } },
      { name: 'eu-west', role: 'secondary', status: secondary },
    ]);
    expect(text.split('\n')[0]).toMatch(
      /^REGION\s+ROLE\s+READY\s+POSITION\s+LAG\s+P50\s+P99\s+TX\/S\s+PENDING$/,
    );
    expect(text).toContain('unreachable: ECONNREFUSED');
    expect(text).toContain('  eu-west: seeding');
  });

  it('counts captured transactions on the primary and applied ones on secondaries', () => {
    expect(transactionCount(primary)).toBe(40);
    expect(transactionCount(secondary)).toBe(39);
  });
});

describe('formatSeconds / rate', () => {
  it('formats human durations', () => {
    expect(formatSeconds(0.0004)).toBe('0.40ms');
    expect(formatSeconds(0.012)).toBe('12ms');
    expect(formatSeconds(2.5)).toBe('2.50s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(-1)).toBe('-');
    expect(formatSeconds(null)).toBe('-');
  });
  it('computes tx/s between samples, null when unknown or reset', () => {
    expect(rate(10, 30, 2)).toBe(10);
    expect(rate(undefined, 30, 2)).toBeNull();
    expect(rate(30, 10, 2)).toBeNull();
    expect(rate(1, 2, 0)).toBeNull();
  });
});
