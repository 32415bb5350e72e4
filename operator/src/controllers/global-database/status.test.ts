import { describe, expect, it } from 'vitest';
import { resolveSpec } from '../../api/index.js';
import type { AgentStatusReport, RegionReport } from './agent-status.js';
import { canonical, computeStatus, type StatusInput } from './status.js';

const spec = resolveSpec({
  primaryRegion: 'a',
  regions: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
  replication: { maxLagSeconds: 1 },
});
const t0 = new Date('2026-01-01T00:00:00Z');
const primary = (over: Partial<AgentStatusReport> = {}): AgentStatusReport => ({
  region: 'a',
  role: 'primary',
  epoch: 1,
  primaryRegion: 'a',
  ready: true,
  capture: { confirmedLsn: '0/10', lastStreamSeq: 42 },
  ...over,
});
const secondary = (region: string, lagSeconds: number, streamSeq = 40): AgentStatusReport => ({
  region,
  role: 'secondary',
  epoch: 1,
  primaryRegion: 'a',
  ready: true,
  apply: { epoch: 1, streamSeq, commitLsn: '0/F', commitTs: 0, lagSeconds, pendingMessages: 2 },
});
const input = (reports: RegionReport[], over: Partial<StatusInput> = {}): StatusInput => ({
  spec,
  generation: 3,
  current: undefined,
  epoch: 1,
  primaryRegion: 'a',
  reports,
  now: t0,
  ...over,
});
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions!.find((c) => c.type === type)!;

describe('computeStatus', () => {
  it('is Ready when every region answers ready and secondaries are within maxLagSeconds', () => {
    const s = computeStatus(
      input([
        { region: 'a', status: primary(), at: t0 },
        { region: 'b', status: secondary('b', 0.2), at: t0 },
        { region: 'c', status: secondary('c', 0.5), at: t0 },
      ]),
    );
    expect(s).toMatchObject({
      phase: 'Ready',
      epoch: 1,
      primaryRegion: 'a',
      regionsReady: '3/3',
      maxLagSeconds: 0.5,
      observedGeneration: 3,
    });
    expect(s.regions![0]).toEqual({
      name: 'a',
      role: 'primary',
      ready: true,
      epoch: 1,
      appliedLsn: '0/10',
      streamSeq: 42,
    });
    expect(s.regions![1]).toEqual({
      name: 'b',
      role: 'secondary',
      ready: true,
      epoch: 1,
      appliedLsn: '0/F',
      streamSeq: 40,
      lagSeconds: 0.2,
      pendingMessages: 2,
    });
    expect(cond(s, 'Ready').status).toBe('True');
    expect(cond(s, 'Replicating')).toMatchObject({ status: 'True', reason: 'WithinMaxLag' });
    expect(cond(s, 'Degraded').status).toBe('False');
    expect(cond(s, 'FailingOver')).toMatchObject({ status: 'False', reason: 'Idle' });
  });

  it('is Degraded, naming the region, when a secondary lags or an agent does not answer', () => {
    const s = computeStatus(
      input(
        [
          { region: 'a', status: primary(), at: t0 },
          { region: 'b', status: secondary('b', 3.25), at: t0 },
          { region: 'c', error: 'connect ECONNREFUSED', at: t0 },
        ],
        {
          current: { phase: 'Ready' },
        },
      ),
    );
    expect(s).toMatchObject({ phase: 'Degraded', regionsReady: '2/3', maxLagSeconds: 3.25 });
    expect(cond(s, 'Replicating')).toMatchObject({ status: 'False', reason: 'NoApplyPosition' });
    expect(cond(s, 'Replicating').message).toBe('over 1s or unknown: b (3.25s); c (unknown)');
    expect(cond(s, 'Degraded').message).toBe('c not ready; b lagging');
    expect(s.regions![2]).toEqual({
      name: 'c',
      role: 'unknown',
      ready: false,
      message: 'connect ECONNREFUSED',
    });
  });

  it('is Provisioning while no region ever answered, and flags a region in the wrong role', () => {
    expect(computeStatus(input([])).phase).toBe('Provisioning');
    const s = computeStatus(
      input([
        { region: 'a', status: primary(), at: t0 },
        { region: 'b', status: { ...secondary('b', 0), role: 'primary' }, at: t0 },
        { region: 'c', status: secondary('c', 0), at: t0 },
      ]),
    );
    expect(s.regions![1]!.message).toBe('agent reports role primary, expected secondary');
    expect(s.regionsReady).toBe('2/3');
  });

  it('shows FailingOver while promoting and keeps lastTransitionTime of unchanged conditions', () => {
    const reports: RegionReport[] = [
      { region: 'a', status: primary(), at: t0 },
      { region: 'b', status: secondary('b', 0), at: t0 },
      { region: 'c', status: secondary('c', 0), at: t0 },
    ];
    const first = computeStatus(input(reports));
    const later = new Date(t0.getTime() + 60_000);
    const promoting = computeStatus(
      input(reports, {
        current: first,
        now: later,
        promoting: { type: 'switchover', from: 'a', to: 'b' },
      }),
    );
    expect(promoting.phase).toBe('FailingOver');
    expect(cond(promoting, 'FailingOver')).toMatchObject({
      status: 'True',
      reason: 'SwitchoverInProgress',
      message: 'switchover a → b',
      lastTransitionTime: '2026-01-01T00:01:00Z',
    });
    expect(cond(promoting, 'Ready').lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    // Same inputs, later clock: identical status (no write needed).
    expect(canonical(computeStatus(input(reports, { current: first, now: later })))).toBe(
      canonical(first),
    );
  });
});
