/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GlobalDatabase } from '../api/index.js';
import type { KubeClient } from '../runtime/index.js';
import { PromotionCoordinator } from './coordinator.js';
import type { EpochRecord, EpochStore } from './epoch-store.js';
import type { PromotionDriver, RegionRef } from './promotion-driver.js';

const gdb: GlobalDatabase = { apiVersion: 'borealis.dev/v1alpha1', kind: 'GlobalDatabase', metadata: { name: 'g', namespace: 'n' }, spec: { primaryRegion: 'a', regions: [{ name: 'a' }, { name: 'b' }] } };

class MemoryEpochs implements EpochStore {
  constructor(public record: EpochRecord) {}
  async read(): Promise<EpochRecord> {
    return this.record;
  }
  async compareAndSet(_ns: string, _n: string, expected: EpochRecord, next: EpochRecord): Promise<boolean> {
    if (expected.epoch !== this.record.epoch || expected.primaryRegion !== this.record.primaryRegion) return false;
    this.record = next;
    return true;
  }
}

function setup(driver: Partial<PromotionDriver>, epochs = new MemoryEpochs({ epoch: 3, primaryRegion: 'a' })) {
  const calls: string[] = [];
  const patches: unknown[] = [];
  const d: PromotionDriver = {
    fence: async (r: RegionRef, e: number) => void calls.push(`fence ${r.region} ${e}`),
    waitForCatchUp: async (r: RegionRef, o) => (calls.push(`catch-up ${r.region}${o.finalPositionOf ? ` after ${o.finalPositionOf.region}` : ''}`), { appliedStreamSeq: 9 }),
    promote: async (r: RegionRef, e: number) => void calls.push(`promote ${r.region} ${e}`),
    demote: async (r: RegionRef, p: string, e: number) => (calls.push(`demote ${r.region} → ${p} ${e}`), { lostTransactions: 0 }),
    ...driver,
  };
  const client = { mergePatch: async (...args: unknown[]) => void patches.push(args[4]) } as unknown as KubeClient;
  const changes: string[] = [];
  const c = new PromotionCoordinator(client, d, epochs, 'test', pino({ level: 'silent' }), (ns, n) => changes.push(`${ns}/${n}`));
  return { c, calls, patches, epochs, changes };
}

describe('PromotionCoordinator', () => {
  it('switchover: fence, catch up with the old primary, CAS the epoch, promote, demote — in that order', async () => {
    const { c, calls, epochs, patches, changes } = setup({});
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r).toMatchObject({ ok: true, from: 'a', to: 'b', epoch: 4, lostTransactions: 0 });
    expect(calls).toEqual(['fence a 4', 'catch-up b after a', 'promote b 4', 'demote a → b 4']);
    expect(epochs.record).toEqual({ epoch: 4, primaryRegion: 'b' });
    expect(r.phases.map((p) => p.name)).toEqual(['fence', 'catch-up', 'epoch', 'promote', 'demote']);
    expect(patches).toHaveLength(1);
    expect((patches[0] as { status: { lastFailover: unknown } }).status.lastFailover).toMatchObject({ type: 'switchover', from: 'a', to: 'b', epoch: 4, result: 'Succeeded', rpoTransactions: 0 });
    expect(changes).toEqual(['n/g', 'n/g']);
    expect(c.current('n', 'g')).toBeUndefined();
  });

  it('switchover stops when the old primary cannot be fenced (never two writers); the epoch stays', async () => {
    const { c, calls, epochs } = setup({ fence: async () => Promise.reject(new Error('agent a unreachable')) });
    const r = await c.promote(gdb, 'switchover', 'b');
    expect(r).toMatchObject({ ok: false, error: 'agent a unreachable' });
    expect(calls).toEqual([]);
    expect(epochs.record).toEqual({ epoch: 3, primaryRegion: 'a' });
  });

  it('failover goes on when the dead primary cannot be fenced (the new epoch fences it)', async () => {
    const { c, calls, epochs } = setup({ fence: async () => Promise.reject(new Error('agent a unreachable')) });
    const r = await c.promote(gdb, 'failover', 'b');
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['catch-up b', 'promote b 4', 'demote a → b 4']);
    expect(epochs.record).toEqual({ epoch: 4, primaryRegion: 'b' });
  });

  it('does not promote when another promotion changed the epoch first', async () => {
    const epochs = new MemoryEpochs({ epoch: 3, primaryRegion: 'a' });
    const { c, calls } = setup(
      {
        waitForCatchUp: async () => {
          epochs.record = { epoch: 4, primaryRegion: 'c' };
          return { appliedStreamSeq: 1 };
        },
      },
      epochs,
    );
    const r = await c.promote(gdb, 'failover', 'b');
    expect(r.ok).toBe(false);
    expect(r.error).toContain('another promotion won');
    expect(calls.filter((x) => x.startsWith('promote'))).toEqual([]);
  });

  it('allows one promotion per database at a time and refuses to promote the current primary', async () => {
    let release!: () => void;
    const { c } = setup({ waitForCatchUp: () => new Promise((r) => (release = () => r({ appliedStreamSeq: 1 }))) });
    const first = c.promote(gdb, 'switchover', 'b');
    await new Promise((r) => setTimeout(r, 5));
    expect(c.current('n', 'g')).toEqual({ type: 'switchover', from: 'a', to: 'b' });
    await expect(c.promote(gdb, 'switchover', 'b')).rejects.toThrow('already under way');
    release();
    await first;
    await expect(c.promote(gdb, 'switchover', 'b')).rejects.toThrow('region b is already the primary');
  });
});
