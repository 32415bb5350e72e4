import { describe, expect, it } from 'vitest';
import { resolveSpec } from '../api/index.js';
import type { RegionReport } from '../controllers/global-database/agent-status.js';
import { decideFailover, rankCandidates } from './decide.js';

const spec = resolveSpec({
  primaryRegion: 'a',
  regions: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
  failover: { mode: 'automatic', detectionSeconds: 10, rpoGuardSeconds: 2 },
});
const now = new Date('2026-01-01T00:01:00Z');
const sec = (
  region: string,
  streamSeq: number,
  lagSeconds: number,
  commitTsSec: number,
  ready = true,
): RegionReport => ({
  region,
  at: now,
  status: {
    region,
    role: 'secondary',
    epoch: 1,
    primaryRegion: 'a',
    ready,
    apply: {
      epoch: 1,
      streamSeq,
      commitLsn: '0/1',
      commitTs: commitTsSec * 1e6,
      lagSeconds,
      pendingMessages: 0,
    },
  },
});
const deadPrimary: RegionReport = { region: 'a', at: now, error: 'connect ECONNREFUSED' };
const since = (s: number): Date => new Date(now.getTime() - s * 1000);
const t = now.getTime() / 1000;

describe('rankCandidates', () => {
  it('puts the most advanced ready secondary first, never a lagging one while a more advanced one answers', () => {
    expect(
      rankCandidates(
        [deadPrimary, sec('b', 90, 0.1, t), sec('c', 100, 5, t), sec('d', 200, 0, t, false)],
        'a',
      ).map((c) => c.region),
    ).toEqual(['c', 'b']);
  });
});

describe('decideFailover', () => {
  const base = { spec, primaryRegion: 'a', now };
  it('does nothing while the primary is healthy', () => {
    const healthy: RegionReport = {
      region: 'a',
      at: now,
      status: { region: 'a', role: 'primary', epoch: 1, primaryRegion: 'a', ready: true },
    };
    expect(
      decideFailover({
        ...base,
        reports: [healthy],
        primaryUnhealthySince: undefined,
        primaryLastHealthyAt: now,
      }),
    ).toEqual({ kind: 'healthy' });
  });

  it('waits for detectionSeconds', () => {
    const d = decideFailover({
      ...base,
      reports: [deadPrimary, sec('b', 10, 0, t)],
      primaryUnhealthySince: since(4),
      primaryLastHealthyAt: since(4),
    });
    expect(d).toMatchObject({ kind: 'waiting', unhealthyForSeconds: 4 });
  });

  it('fails over to the most advanced secondary when within the RPO guard', () => {
    const d = decideFailover({
      ...base,
      reports: [deadPrimary, sec('b', 10, 0.1, t - 11), sec('c', 12, 0.1, t - 10.5)],
      primaryUnhealthySince: since(10),
      primaryLastHealthyAt: since(10),
    });
    expect(d).toEqual({
      kind: 'failover',
      target: 'c',
      estimatedRpoSeconds: 0.5,
      reason: 'primary a unhealthy for 10.0s: connect ECONNREFUSED',
    });
  });

  it('refuses beyond the RPO guard unless forced, and when no secondary is ready', () => {
    const reports = [deadPrimary, sec('b', 10, 0.1, t - 20)];
    const d = decideFailover({
      ...base,
      reports,
      primaryUnhealthySince: since(10),
      primaryLastHealthyAt: since(10),
    });
    expect(d).toMatchObject({ kind: 'refuse', target: 'b', estimatedRpoSeconds: 10 });
    expect(d.kind === 'refuse' && d.reason).toContain('more than rpoGuardSeconds 2');
    expect(
      decideFailover({
        ...base,
        reports,
        primaryUnhealthySince: since(10),
        primaryLastHealthyAt: since(10),
        force: true,
      }),
    ).toMatchObject({ kind: 'failover', target: 'b' });
    expect(
      decideFailover({
        ...base,
        reports: [deadPrimary, sec('b', 10, 0, t, false)],
        primaryUnhealthySince: since(30),
        primaryLastHealthyAt: undefined,
      }),
    ).toMatchObject({
      kind: 'refuse',
      reason: 'primary a is down (connect ECONNREFUSED) and no secondary is ready to take over',
    });
  });
});
