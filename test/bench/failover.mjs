// `npm run bench:failover` — repeated drills on one local topology (3 regions, real PostgreSQL 15, nats-server
// and agents): BENCH_DRILLS planned switchovers (alternating targets) and BENCH_DRILLS unplanned failovers by
// BENCH_FAULT (freeze by default) of the primary region, each under BENCH_WRITES writes/s through the writer
// endpoint. Prints p50/p99 of the client-observed RTO, the RPO (acknowledged writes lost, from the prober's
// ledger) and the switchover write gap, then one JSON line:
// {"bench":"failover","switchover":{"p50S":…,"p99S":…,"lost":0,…},"failover":{"fault":"freeze","p50S":…,"p99S":…,"lostMax":…,…}}
//
// Environment (all optional): BENCH_DRILLS=10, BENCH_FAULT=freeze|partition, BENCH_WRITES=50,
// BENCH_REGIONS=3, BENCH_DETECTION_MS=2000.
import { startTopology } from '../../cli/dist/topology/index.js';
import { runDrill } from '../../cli/dist/promotion/index.js';

const drills = Number(process.env.BENCH_DRILLS ?? 10);
const fault = process.env.BENCH_FAULT ?? 'freeze';
const writesPerSec = Number(process.env.BENCH_WRITES ?? 50);
const regions = Number(process.env.BENCH_REGIONS ?? 3);
const detectionMs = Number(process.env.BENCH_DETECTION_MS ?? 2000);
if (!['freeze', 'partition'].includes(fault)) throw new Error('BENCH_FAULT must be freeze or partition (kill leaves the region down)');

/** Nearest-rank percentile. */
function pct(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}
const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);

const log = (line) => process.stderr.write(`${line}\n`);
const topo = await startTopology({
  regions,
  postgresSettings: { fsync: 'off' },
  agentConfig: { heartbeat: { intervalMs: 100 } },
  promotion: { detectionMs, leaseMs: 1500, rpoGuardSeconds: 10 },
});
const out = { switchover: [], failover: [] };
try {
  for (let i = 0; i < drills; i++) {
    const primary = topo.coordinator.current.primary;
    const target = topo.regions.map((r) => r.name).filter((n) => n !== primary)[i % (regions - 1)];
    const r = await runDrill(topo, topo.coordinator, { type: 'switchover', region: target, writesPerSec, preMs: 1500, settleMs: 1000 });
    out.switchover.push(r);
    log(`switchover ${i + 1}/${drills} ${r.drill.from}→${r.drill.to}: RTO ${r.rtoSeconds} s, write gap ${r.writeGapSeconds} s, lost ${r.rpo.transactions}, converged ${r.converged.ok}`);
  }
  for (let i = 0; i < drills; i++) {
    const r = await runDrill(topo, topo.coordinator, { type: 'failover', fault, writesPerSec, preMs: 1500, settleMs: 1000 });
    out.failover.push(r);
    log(
      `failover ${i + 1}/${drills} ${fault} ${r.drill.from}→${r.drill.to}: RTO ${r.rtoSeconds} s (detect ${r.phases.detectS}, decide+fence ${r.phases.decideFenceS}, promote ${r.phases.promoteS}, reroute ${r.phases.rerouteS}), lost ${r.rpo.transactions} (window ${r.rpo.windowSeconds} s), rejoined ${r.rejoin.rejoined}, converged ${r.converged.ok}`,
    );
  }
} finally {
  await topo.stop();
}
const sw = out.switchover;
const fo = out.failover;
const rto = (rs) => rs.map((r) => r.rtoSeconds).filter((x) => x !== null);
const summary = {
  bench: 'failover',
  regions,
  writesPerSec,
  detectionMs,
  switchover: {
    drills: sw.length,
    p50S: r3(pct(rto(sw), 50)),
    p99S: r3(pct(rto(sw), 99)),
    writeGapP50S: r3(pct(sw.map((r) => r.writeGapSeconds), 50)),
    writeGapP99S: r3(pct(sw.map((r) => r.writeGapSeconds), 99)),
    lost: sw.reduce((a, r) => a + r.rpo.transactions, 0),
    failed: sw.filter((r) => r.rtoSeconds === null || !r.converged.ok).length,
  },
  failover: {
    fault,
    drills: fo.length,
    p50S: r3(pct(rto(fo), 50)),
    p99S: r3(pct(rto(fo), 99)),
    detectP50S: r3(pct(fo.map((r) => r.phases.detectS), 50)),
    lostP50: pct(fo.map((r) => r.rpo.transactions), 50),
    lostMax: Math.max(0, ...fo.map((r) => r.rpo.transactions)),
    lostWindowMaxS: r3(Math.max(0, ...fo.map((r) => r.rpo.windowSeconds))),
    splitBrainRefused: fo.every((r) => r.splitBrain.oldPrimaryRejectedWrite === true),
    failed: fo.filter((r) => r.rtoSeconds === null || !r.converged.ok || !r.rejoin.rejoined).length,
  },
};
log(`switchover: RTO p50 ${summary.switchover.p50S} s, p99 ${summary.switchover.p99S} s; write gap p50 ${summary.switchover.writeGapP50S} s, p99 ${summary.switchover.writeGapP99S} s; lost ${summary.switchover.lost}`);
log(`failover (${fault}): RTO p50 ${summary.failover.p50S} s, p99 ${summary.failover.p99S} s; lost p50 ${summary.failover.lostP50}, max ${summary.failover.lostMax}`);
process.stdout.write(`${JSON.stringify(summary)}\n`);
