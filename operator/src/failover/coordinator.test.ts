/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GlobalDatabase } from '../api/index.js';
import type { AgentStatusReport } from '../controllers/global-database/agent-status.js';
import type { KubeClient } from '../runtime/index.js';
import { PromotionCoordinator } from './coordinator.js';
import type { EpochRecord, EpochStore } from './epoch-store.js';
import type { AppliedPosition } from './protocol.js';
import type { PromotionDriver } from './promotion-driver.js';

const gdb: GlobalDatabase = {
  apiVersion: 'borealis.dev/v1alpha1',
  kind: 'GlobalDatabase',
  metadata: { name: 'g', namespace: 'n' },
  spec: {
    primaryRegion: 'a',
    regions: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    failover: { rpoGuardSeconds: 5 },
  },
};
const history = [{ epoch: 3, primary: 'a', at: '2026-01-01T00:00:00Z' }];

class MemoryEpochs implements EpochStore {
  constructor(public record: EpochRecord) {}
  async read(): Promise<EpochRecord> {
    return this.record;
  }
  async compareAndSet(
    _ns: string,
    _n: string,
    expected: EpochRecord,
    next: EpochRecord,
  ): Promise<boolean> {
    if (
      expected.epoch !== this.record.epoch ||
      expected.primaryRegion !== this.record.primaryRegion
    )
      return false;
    this.record = next;
    return true;
  }
}

const nowUs = (): number => Date.now() * 1000;
const pos = (streamSeq: number, ageMs = 100): AppliedPosition => ({
  epoch: 3,
  streamSeq,
  commitLsn: `0/${streamSeq.toString(16).toUpperCase()}`,
  commitTs: nowUs() - ageMs * 1000,
});

/** A fake region agent protocol: records every call, answers like the agents do; `fail` makes an op of a region reject. */
function setup(
  o: {
    held?: Record<string, AppliedPosition | null>;
    fail?: Record<string, string>;
    status?: Partial<AgentStatusReport>;
    epochs?: MemoryEpochs;
    onAdmin?: (call: string) => void;
    gate?: Record<string, Promise<void>>;
  } = {},
) {
  const calls: string[] = [];
  const patches: unknown[] = [];
  const epochs = o.epochs ?? new MemoryEpochs({ epoch: 3, primaryRegion: 'a', history });
  const held = o.held ?? { b: pos(10), c: pos(8) };
  const driver: PromotionDriver = {
    status: async (_g, region) => ({
      region,
      role: 'secondary',
      epoch: 3,
      primaryRegion: 'a',
      ready: true,
      apply: {
        epoch: 3,
        streamSeq: 10,
        commitLsn: '0/A',
        commitTs: nowUs(),
        lagSeconds: 0.1,
        pendingMessages: 0,
      },
      ...o.status,
    }),
    admin: async <T>(_g: GlobalDatabase, region: string, op: string, body: unknown): Promise<T> => {
      const call = `${op} ${region}`;
      o.onAdmin?.(call);
      await o.gate?.[call];
      if (o.fail?.[call]) throw new Error(o.fail[call]);
      calls.push(call);
      const answers: Record<string, unknown> = {
        fence: { finalSeq: 10, finalLsn: '0/A' },
        'stop-apply': { position: held[region] ?? null },
        rejoin: { mode: (body as { mode: string }).mode, lost: [] },
      };
      return (answers[op] ?? { ok: true }) as T;
    },
    seedUrl: async (_g, region, primary) => `postgresql://${primary}-from-${region}`,
  };
  const client = {
    mergePatch: async (...args: unknown[]) => void patches.push(args[4]),
  } as unknown as KubeClient;
  const changes: string[] = [];
  const c = new PromotionCoordinator(
    client,
    driver,
    epochs,
    'test',
    pino({ level: 'silent' }),
    (ns, n) => changes.push(`${ns}/${n}`),
  );
  return { c, calls, patches, epochs, changes };
}

const lastFailover = (patches: unknown[]): unknown =>
  (patches.at(-1) as { status: { lastFailover: unknown } }).status.lastFailover;

describe('PromotionCoordinator', () => {
  it('switchover: fence, catch up, hold, CAS with the fork, promote, rejoin clean, others follow — in that order', async () => {
    const { c, calls, epochs, patches, changes } = setup();
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r).toMatchObject({ ok: true, from: 'a', to: 'b', epoch: 4, lostTransactions: 0 });
    expect(calls).toEqual(['fence a', 'stop-apply b', 'promote b', 'rejoin a', 'follow c']);
    expect(epochs.record.epoch).toBe(4);
    expect(epochs.record.primaryRegion).toBe('b');
    expect(epochs.record.history.at(-1)).toMatchObject({
      epoch: 4,
      primary: 'b',
      fork: { epoch: 3, seq: 10, commitLsn: '0/A', stream: 'BOREALIS_APP_EPOCH3_B' },
    });
    expect(r.phases.map((p) => p.name)).toEqual([
      'fence',
      'catch-up',
      'hold',
      'epoch',
      'promote',
      'rejoin',
      'follow',
    ]);
    expect(lastFailover(patches)).toMatchObject({
      type: 'switchover',
      from: 'a',
      to: 'b',
      epoch: 4,
      result: 'Succeeded',
      rpoTransactions: 0,
    });
    expect(changes).toEqual(['n/g', 'n/g']);
    expect(c.current('n', 'g')).toBeUndefined();
  });

  it('switchover stops before the epoch when the old primary cannot be fenced (never two writers)', async () => {
    const { c, calls, epochs, patches } = setup({ fail: { 'fence a': 'agent a unreachable' } });
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r).toMatchObject({ ok: false, refused: true });
    expect(r.error).toContain('agent a unreachable');
    expect(calls).toEqual([]);
    expect(epochs.record.epoch).toBe(3);
    expect(lastFailover(patches)).toMatchObject({ result: 'Refused' });
  });

  it('switchover unfences the old primary when the target holds another position', async () => {
    const { c, calls, epochs } = setup({ held: { b: pos(9) } });
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r.ok).toBe(false);
    expect(calls).toEqual(['fence a', 'stop-apply b', 'resume-apply b', 'unfence a']);
    expect(epochs.record.epoch).toBe(3);
  });

  it('refuses a switchover to a region that is not a ready secondary of the epoch', async () => {
    const { c, calls } = setup({ status: { ready: false, message: 'seeding' } });
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r).toMatchObject({ ok: false, refused: true });
    expect(r.error).toContain('not a ready secondary of epoch 3');
    expect(calls).toEqual([]);
  });

  it('failover: holds every secondary, promotes the most advanced, forks at its position; the dead primary is skipped', async () => {
    const { c, calls, epochs } = setup({
      held: { b: pos(8), c: pos(12) },
      fail: { 'fence a': 'unreachable' },
    });
    const r = await c.promote(gdb, 'failover', undefined, { primaryLastHealthyAt: new Date() });
    expect(r).toMatchObject({ ok: true, from: 'a', to: 'c', epoch: 4 });
    expect(calls).toEqual(['stop-apply b', 'stop-apply c', 'promote c', 'follow b']);
    expect(epochs.record.history.at(-1)).toMatchObject({
      primary: 'c',
      fork: { epoch: 3, seq: 12, stream: 'BOREALIS_APP_EPOCH3_C' },
    });
    expect(r.candidates).toHaveLength(2);
    expect(r.lossWindowSeconds).toBeLessThan(1);
  });

  it('failover refuses a named target behind another secondary (unless forced) and resumes apply', async () => {
    const { c, calls, epochs } = setup({ held: { b: pos(8), c: pos(12) } });
    const r = await c.promote(gdb, 'failover', 'b');
    expect(r).toMatchObject({ ok: false, refused: true });
    expect(r.error).toContain('would lose more');
    expect(calls).toContain('resume-apply b');
    expect(calls).toContain('resume-apply c');
    expect(epochs.record.epoch).toBe(3);
    const forced = await setup({ held: { b: pos(8), c: pos(12) } }).c.promote(
      gdb,
      'failover',
      'b',
      { force: true },
    );
    expect(forced).toMatchObject({ ok: true, to: 'b' });
  });

  it('failover honours the RPO guard: a candidate 9 s behind the last healthy report is refused', async () => {
    const { c, epochs } = setup({ held: { b: pos(10, 9_000), c: null } });
    const r = await c.promote(gdb, 'failover', undefined, { primaryLastHealthyAt: new Date() });
    expect(r).toMatchObject({ ok: false, refused: true });
    expect(r.error).toMatch(/RPO guard: b is 9\.\ds behind/);
    expect(epochs.record.epoch).toBe(3);
  });

  it('does not promote when another promotion changed the epoch first', async () => {
    const epochs = new MemoryEpochs({ epoch: 3, primaryRegion: 'a', history });
    const { c, calls } = setup({
      epochs,
      onAdmin: (call) => {
        if (call === 'stop-apply c') epochs.record = { epoch: 4, primaryRegion: 'c', history };
      },
    });
    const r = await c.promote(gdb, 'failover', undefined);
    expect(r.ok).toBe(false);
    expect(r.error).toContain('another promotion won');
    expect(calls.filter((x) => x.startsWith('promote'))).toEqual([]);
  });

  it('allows one promotion per database at a time (others can join it) and refuses to promote the current primary', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { c } = setup({ gate: { 'fence a': gate } });
    const first = c.promote(gdb, 'switchover', 'b');
    await new Promise((r) => setTimeout(r, 5));
    expect(c.current('n', 'g')).toEqual({ type: 'switchover', from: 'a', to: 'b' });
    await expect(c.promote(gdb, 'switchover', 'b')).rejects.toThrow('already under way');
    expect(c.running('n', 'g')).toBeDefined();
    release();
    await first;
    await expect(c.promote(gdb, 'switchover', 'b')).rejects.toThrow(
      'region b is already the primary',
    );
  });
});
