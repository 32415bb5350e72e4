/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { describe, expect, it } from 'vitest';
import type { FailoverDrill, FailoverDrillStatus, GlobalDatabase } from '../../api/index.js';
import type { PromotionResult } from '../../failover/index.js';
import { chooseTarget, runDrill, type DrillPorts } from './drill-runner.js';
import type { DrillHarness } from './harness.js';

const gdb = (over: Partial<GlobalDatabase['status']> = {}): GlobalDatabase => ({
  apiVersion: 'borealis.dev/v1alpha1',
  kind: 'GlobalDatabase',
  metadata: { name: 'g', namespace: 'n' },
  spec: {
    primaryRegion: 'a',
    regions: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    failover: { detectionSeconds: 1 },
  },
  status: {
    epoch: 1,
    primaryRegion: 'a',
    regions: [
      { name: 'a', ready: true, streamSeq: 50 },
      { name: 'b', ready: true, streamSeq: 40 },
      { name: 'c', ready: true, streamSeq: 45 },
    ],
    ...over,
  },
});
const drill = (spec: Partial<FailoverDrill['spec']>): FailoverDrill => ({
  apiVersion: 'borealis.dev/v1alpha1',
  kind: 'FailoverDrill',
  metadata: { name: 'd', namespace: 'n', generation: 1 },
  spec: { globalDatabase: 'g', type: 'switchover', ...spec },
});

function ports(over: Partial<DrillPorts> = {}) {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const writes: FailoverDrillStatus[] = [];
  let writer = 'a';
  let database = gdb();
  const harness: DrillHarness = {
    startProber: async () => ({
      firstAcknowledgedWriteAfter: async (after: Date) => new Date(after.getTime() + 4200),
      close: async () => undefined,
      stop: async () => ({ lostTransactions: 0, lostWindowSeconds: 0, acknowledged: 120 }),
    }),
    injectFault: async () => {
      database = gdb({
        regions: [{ name: 'a', ready: false }, ...gdb().status!.regions!.slice(1)],
      });
      return async () => undefined;
    },
  };
  const p: DrillPorts = {
    getGlobalDatabase: async (_ns, name) => (name === 'g' ? database : undefined),
    promote: async (_g, type, to): Promise<PromotionResult> => {
      // A failover without a named target: the coordinator picks the most advanced held secondary.
      writer = to ?? 'c';
      return {
        ok: true,
        type,
        from: 'a',
        to: writer,
        epoch: 2,
        startedAt: new Date(clock),
        completedAt: new Date(clock),
        phases: [{ name: 'promote', startedAt: new Date(clock).toISOString(), seconds: 0.3 }],
      };
    },
    writerRegion: async () => writer,
    writeStatus: async (s) => void writes.push(s),
    harness,
    sleep: async (ms) => void (clock += ms),
    now: () => new Date((clock += 100)),
    ...over,
  };
  return { p, writes };
}

describe('chooseTarget', () => {
  it('takes the declared target, else (switchover) the most advanced ready secondary; a failover leaves it to the coordinator', () => {
    expect(chooseTarget(drill({ targetRegion: 'b' }), gdb())).toBe('b');
    expect(chooseTarget(drill({}), gdb())).toBe('c');
    expect(chooseTarget(drill({ type: 'failover', fault: 'kill' }), gdb())).toBeUndefined();
    expect(() => chooseTarget(drill({ targetRegion: 'a' }), gdb())).toThrow(
      'spec.targetRegion "a" is already the primary',
    );
    expect(() => chooseTarget(drill({ targetRegion: 'z' }), gdb())).toThrow(
      'spec.targetRegion "z" is not a region of GlobalDatabase g (regions: a, b, c)',
    );
  });
});

describe('runDrill', () => {
  it('switchover: writes every phase in order and ends Succeeded with RTO and RPO 0', async () => {
    const { p, writes } = ports();
    const s = await runDrill(drill({ targetRegion: 'b' }), p);
    expect(s).toMatchObject({
      result: 'Succeeded',
      from: 'a',
      to: 'b',
      epoch: 2,
      rtoSeconds: 4.2,
      rpoTransactions: 0,
      acknowledgedWrites: 120,
      phase: 'Completed',
    });
    expect(s.promotionPhases).toEqual([{ name: 'promote', seconds: 0.3 }]);
    expect(s.phases!.map((x) => x.name)).toEqual([
      'Preparing',
      'Promoting',
      'Rerouting',
      'Verifying',
      'Completed',
    ]);
    expect(s.phases!.slice(0, -1).every((x) => x.completedAt && x.seconds! > 0)).toBe(true);
    expect(writes.map((w) => w.phase)).toEqual([
      'Preparing',
      'Promoting',
      'Rerouting',
      'Verifying',
      'Completed',
    ]);
    // result is written only together with completedAt and the Completed condition.
    expect(
      writes
        .filter((w) => w.result)
        .map((w) => [w.completedAt !== undefined, w.conditions?.length]),
    ).toEqual([[true, 1]]);
    expect(s.conditions).toEqual([
      expect.objectContaining({ type: 'Completed', status: 'True', reason: 'Succeeded' }),
    ]);
  });

  it('failover: injects the fault, waits until the operator sees the primary down, then promotes', async () => {
    const { p } = ports();
    const s = await runDrill(drill({ type: 'failover', fault: 'kill' }), p);
    expect(s.result).toBe('Succeeded');
    expect(s.to).toBe('c');
    expect(s.phases!.map((x) => x.name)).toEqual([
      'Preparing',
      'InjectingFault',
      'Detecting',
      'Promoting',
      'Rerouting',
      'Verifying',
      'Completed',
    ]);
  });

  it('fails a switchover that lost acknowledged writes', async () => {
    const { p } = ports();
    p.harness = {
      ...p.harness,
      startProber: async () => ({
        firstAcknowledgedWriteAfter: async (a: Date) => a,
        close: async () => undefined,
        stop: async () => ({ lostTransactions: 3, lostWindowSeconds: 0.2, acknowledged: 50 }),
      }),
    };
    const s = await runDrill(drill({ targetRegion: 'b' }), p);
    expect(s).toMatchObject({ result: 'Failed', rpoTransactions: 3 });
    expect(s.message).toBe(
      'phase Verifying: switchover lost 3 acknowledged writes: a planned switchover must lose none',
    );
  });

  it('ends Failed with the phase and reason when promotion fails, is refused, or the prober cannot start; the prober is closed', async () => {
    const { p } = ports({
      promote: async (_g, type, to) => ({
        ok: false,
        type,
        from: 'a',
        to: to ?? '',
        startedAt: new Date(),
        completedAt: new Date(),
        phases: [],
        error: 'agent b unreachable',
      }),
    });
    let closed = 0;
    const inner = p.harness;
    p.harness = {
      ...inner,
      startProber: async (db) => ({
        ...(await inner.startProber(db)),
        close: async () => void closed++,
      }),
    };
    expect((await runDrill(drill({ targetRegion: 'b' }), p)).message).toBe(
      'phase Promoting: switchover a → b failed: agent b unreachable',
    );
    expect(closed).toBe(1);
    const refused = ports({
      promote: async (_g, type) => ({
        ok: false,
        refused: true,
        type,
        from: 'a',
        to: '',
        startedAt: new Date(),
        completedAt: new Date(),
        phases: [],
        error: 'RPO guard',
      }),
    });
    expect((await runDrill(drill({ type: 'failover', fault: 'kill' }), refused.p)).message).toBe(
      'phase Promoting: failover a → (none) refused: RPO guard',
    );
    const noProber = ports({
      harness: {
        startProber: () => Promise.reject(new Error('cannot reach the primary')),
        injectFault: async () => async () => undefined,
      },
    });
    const s = await runDrill(drill({ targetRegion: 'b' }), noProber.p);
    expect(s.result).toBe('Failed');
    expect(s.message).toBe('phase Preparing: cannot reach the primary');
  });
});
