/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GlobalDatabase } from '../api/index.js';
import { LeasePusher } from './lease.js';
import type { PromotionDriver } from './promotion-driver.js';

const gdb = (epoch: number, primaryRegion: string): GlobalDatabase => ({
  apiVersion: 'borealis.dev/v1alpha1',
  kind: 'GlobalDatabase',
  metadata: { name: 'g', namespace: 'n' },
  spec: { primaryRegion: 'a', regions: [{ name: 'a' }, { name: 'b' }] },
  status: { epoch, primaryRegion },
});

function setup(paused = false, renewMs = 1_000) {
  const sent: { region: string; body: { epoch: number; validUntilMs: number } }[] = [];
  const driver = {
    admin: async (_g: GlobalDatabase, region: string, op: string, body: unknown) => {
      if (op === 'lease')
        sent.push({ region, body: body as { epoch: number; validUntilMs: number } });
      return {};
    },
  } as unknown as PromotionDriver;
  const p = new LeasePusher(
    driver,
    { leaseMs: 3_000, renewMs },
    () => paused,
    pino({ level: 'silent' }),
  );
  return { p, sent };
}

describe('LeasePusher', () => {
  it('grants a new primary its first lease at once, as an absolute time on the operator clock', async () => {
    const { p, sent } = setup();
    const before = Date.now();
    p.track('n/g', gdb(1, 'a'));
    await new Promise((r) => setTimeout(r, 5));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ region: 'a', body: { epoch: 1 } });
    expect(sent[0]!.body.validUntilMs).toBeGreaterThanOrEqual(before + 3_000);
    expect(p.lastGranted('n/g', 'a', 1)).toBe(sent[0]!.body.validUntilMs);
    // Tracking the same term again does not send again (the interval renews).
    p.track('n/g', gdb(1, 'a'));
    expect(sent).toHaveLength(1);
  });

  it('follows the coordinator to the new primary before the status says so, and never renews while paused', async () => {
    const { p, sent } = setup(false, 20);
    p.track('n/g', gdb(1, 'a'));
    p.setPrimary('n/g', 'b', 2);
    p.track('n/g', gdb(1, 'a')); // a stale snapshot of the status
    p.start();
    await new Promise((r) => setTimeout(r, 120));
    p.stop();
    const targets = sent.map((s) => `${s.region}@${s.body.epoch}`);
    expect(targets[0]).toBe('a@1');
    expect(targets.length).toBeGreaterThan(2);
    expect(new Set(targets.slice(1))).toEqual(new Set(['b@2']));
    const paused = setup(true);
    paused.p.track('n/g', gdb(1, 'a'));
    expect(paused.sent).toEqual([]);
  });

  it('assumes a lease granted by an earlier operator process may last until leaseMs after this one started', () => {
    const { p } = setup();
    const t = p.lastGranted('n/g', 'a', 7);
    expect(t).toBeGreaterThan(Date.now() + 2_900);
    expect(t).toBeLessThanOrEqual(Date.now() + 3_000);
  });
});
