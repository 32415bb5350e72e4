// Unplanned failover under writes (real PostgreSQL 15 + nats-server + agents, local topology): freeze,
// partition and kill -9 of the primary region, each with RPO counted against the prober's ledger and checked against what
// the old primary recorded in borealis.lost_transactions; the old primary is refused a client write after it
// comes back (no split brain), rejoins as a secondary (re-seeded) and converges. The RPO guard refuses a lossy
// promotion without --force.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill, type DrillResult } from '../../cli/src/promotion/index.js';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';

let topo: Topology;

beforeAll(async () => {
  topo = await startTopology({
    regions: 3,
    postgresSettings: { fsync: 'off' },
    agentConfig: { heartbeat: { intervalMs: 100 } },
    promotion: { detectionMs: 2_000, leaseMs: 1_500, rpoGuardSeconds: 5 },
    keepFiles: !!process.env.KEEP,
  });
  if (process.env.KEEP) console.log('topology dir', topo.dir);
});

afterAll(async () => {
  await topo?.stop();
});

function checkFailover(r: DrillResult, from: string): void {
  console.log(
    `${r.drill.fault} ${from}: RTO ${r.rtoSeconds} s (detect ${r.phases.detectS}, decide+fence ${r.phases.decideFenceS}, promote ${r.phases.promoteS}, reroute ${r.phases.rerouteS}); ` +
      `RPO ${r.rpo.transactions} (window ${r.rpo.windowSeconds} s); recorded lost ${r.rejoin.lostRecorded}; writes ${JSON.stringify(r.writes)}`,
  );
  expect(r.drill.from).toBe(from);
  expect(r.drill.to).not.toBe(from);
  expect(r.rtoSeconds).not.toBeNull();
  expect(r.writes.acknowledged).toBeGreaterThan(40);
  // No acknowledged write came from the old primary once the writer endpoint moved.
  expect(r.writes.acknowledgedByOldPrimaryAfterT0).toBe(0);
  // Every acknowledged write missing on the new primary is one the old primary recorded as lost.
  expect(r.rejoin.rejoined).toBe(true);
  const recorded = new Set(r.rejoin.lostProbeNumbers);
  for (const n of r.rpo.lostNumbers) expect(recorded.has(n)).toBe(true);
  // No split brain: a client writing straight to the old primary after it came back is refused.
  expect(r.splitBrain.checked).toBe(true);
  expect(r.splitBrain.oldPrimaryRejectedWrite).toBe(true);
  expect(r.converged.ok).toBe(true);
}

describe('unplanned failover', () => {
  it('freeze of the primary region: promotion of the most advanced secondary, RPO from the ledger, rejoin', async () => {
    const r = await runDrill(topo, topo.coordinator!, { type: 'failover', fault: 'freeze', writesPerSec: 40, preMs: 1500 });
    checkFailover(r, 'us-east');
    const held = r.promotion.candidates!.filter((c) => c.reachable);
    expect(held.length).toBe(2);
    const best = Math.max(...held.map((c) => c.streamSeq!));
    expect(held.find((c) => c.region === r.drill.to)!.streamSeq).toBe(best);
    expect((await topo.control!.store.read())?.record).toMatchObject({ epoch: 2, primary: r.drill.to });
  });

  it('partition of the primary region: it keeps running cut off, fences itself, and rejoins after the heal', async () => {
    const from = topo.coordinator!.current!.primary;
    const r = await runDrill(topo, topo.coordinator!, { type: 'failover', fault: 'partition', writesPerSec: 40, preMs: 1500 });
    checkFailover(r, from);
    expect(r.promotion.epoch).toBe(3);
  });

  it('kill -9 of every process of the primary region: promotion, then the region restarts, rejoins and converges', async () => {
    const from = topo.coordinator!.current!.primary;
    const epoch = topo.coordinator!.current!.epoch;
    const r = await runDrill(topo, topo.coordinator!, { type: 'failover', fault: 'kill', writesPerSec: 40, preMs: 1500 });
    checkFailover(r, from);
    expect(r.promotion.epoch).toBe(epoch + 1);
  });

  it('automatic failover: with the setting on, a frozen primary region is failed over by the control plane itself', async () => {
    const from = topo.coordinator!.current!.primary;
    topo.coordinator!.setAutomatic(true);
    try {
      const r = await runDrill(topo, topo.coordinator!, { type: 'failover', fault: 'freeze', writesPerSec: 40, preMs: 1500 });
      expect(r.drill.automatic).toBe(true);
      expect(r.promotion.automatic).toBe(true);
      expect(r.phases.detectS).toBeGreaterThanOrEqual(topo.coordinator!.opts.detectionMs / 1000 - 0.25);
      checkFailover(r, from);
    } finally {
      topo.coordinator!.setAutomatic(false);
    }
  });

  it('the RPO guard refuses a promotion that would lose more than the guard allows, --force overrides', async () => {
    const primary = topo.coordinator!.current!.primary;
    const epoch = topo.coordinator!.current!.epoch;
    const secondaries = topo.regions.filter((r) => r.name !== primary);
    // Stop every secondary's apply for longer than the guard while the primary keeps committing heartbeats.
    const guard = topo.coordinator!.opts.rpoGuardSeconds;
    // Every secondary is seeded and applying before the test holds it.
    for (const r of secondaries) {
      const until = Date.now() + 60_000;
      for (;;) {
        const st = (await (await fetch(`${r.urls.http}/status`)).json()) as { apply?: { streamSeq: number; lagSeconds: number } };
        if (st.apply && st.apply.streamSeq > 0 && st.apply.lagSeconds >= 0 && st.apply.lagSeconds < 1) break;
        if (Date.now() > until) throw new Error(`${r.name} is not applying`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    for (const r of secondaries) {
      const res = await fetch(`${r.urls.http}/admin/stop-apply`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
    }
    await new Promise((res) => setTimeout(res, (guard + 1) * 1000));
    const refused = await fetch(`${topo.controlPlane.url}/promotion/failover`, { method: 'POST', body: '{}' });
    const body = (await refused.json()) as { error: string };
    expect(refused.status).toBe(409);
    expect(body.error).toMatch(/RPO guard/);
    // Nothing moved: same epoch, same primary, writer endpoint accepts again.
    expect((await topo.control!.store.read())?.record).toMatchObject({ epoch, primary });
    expect(topo.writer.refusingConnections).toBe(false);
    // The held secondaries resumed and catch up.
    const deadline = Date.now() + 30_000;
    for (const r of secondaries) {
      for (;;) {
        const st = (await (await fetch(`${r.urls.http}/status`)).json()) as { apply?: { lagSeconds: number } };
        if (st.apply && st.apply.lagSeconds >= 0 && st.apply.lagSeconds < 1) break;
        if (Date.now() > deadline) throw new Error(`${r.name} did not catch up after the refused failover`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    // Held again past the guard, --force promotes anyway and reports the estimated loss window.
    for (const r of secondaries) await fetch(`${r.urls.http}/admin/stop-apply`, { method: 'POST', body: '{}' });
    await new Promise((res) => setTimeout(res, (guard + 1) * 1000));
    const forced = await fetch(`${topo.controlPlane.url}/promotion/failover`, { method: 'POST', body: JSON.stringify({ force: true }) });
    const report = (await forced.json()) as { forced: boolean; lossWindowSeconds: number; epoch: number; to: string };
    expect(forced.status).toBe(200);
    expect(report.forced).toBe(true);
    expect(report.lossWindowSeconds).toBeGreaterThan(guard);
    expect(report.epoch).toBe(epoch + 1);
    expect((await topo.control!.store.read())?.record).toMatchObject({ epoch: epoch + 1, primary: report.to });
  });
});
