import type { DrillReportInput } from './types.js';

/**
 * A plausible, deterministic failover drill (3 regions, kill of the primary) for tests and for
 * previewing the report layout. Not a measurement: real reports come from `borealis drill`.
 */
export function syntheticDrill(opts: { t0?: number; rtoSeconds?: number; lostTransactions?: number } = {}): DrillReportInput {
  const t0 = opts.t0 ?? Date.UTC(2026, 0, 15, 12, 0, 0);
  const rto = opts.rtoSeconds ?? 5.7;
  const lostCount = opts.lostTransactions ?? 3;
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const writes: DrillReportInput['writes'] = [];
  let seq = 0;
  for (let t = t0 - 10_000; t <= t0 + 20_000; t += 50) {
    seq++;
    if (t < t0) writes.push({ t, ok: true, region: 'us-east', seq });
    else if (t < t0 + rto * 1000) writes.push({ t, ok: false, seq, error: t < t0 + 3000 ? 'connection terminated' : 'writer endpoint refused (promotion)' });
    else writes.push({ t, ok: true, region: 'eu-west', seq });
  }
  const detectEnd = t0 + 3000;
  const phases = [
    { name: 'detect', start: t0, end: detectEnd },
    { name: 'fence', start: detectEnd, end: detectEnd + 400 },
    { name: 'promote', start: detectEnd + 400, end: detectEnd + 2000 },
    { name: 'reroute', start: detectEnd + 2000, end: t0 + rto * 1000 - 50 },
  ];
  const lag: DrillReportInput['lag'] = [
    { region: 'eu-west', samples: [] },
    { region: 'ap-south', samples: [] },
  ];
  for (let t = t0 - 10_000; t <= t0 + 20_000; t += 250) {
    const base = 0.01 + rand() * 0.03;
    // Without a primary no heartbeat arrives: lag grows with time until the new primary takes over.
    const outage = t >= t0 && t < t0 + rto * 1000 ? (t - t0) / 1000 : 0;
    if (t < detectEnd + 2000) lag[0]!.samples.push({ t, seconds: base + outage });
    lag[1]!.samples.push({ t, seconds: base * 1.5 + outage * 1.15 + (t >= t0 + rto * 1000 && t < t0 + rto * 1000 + 1500 ? 0.4 : 0) });
  }
  const lostSeqs = writes.filter((w) => w.ok && w.t < t0).slice(-lostCount).map((w) => w.seq!);
  const lostTimes = writes.filter((w) => lostSeqs.includes(w.seq!)).map((w) => w.t);
  return {
    globalDatabase: 'app',
    type: 'failover',
    fault: 'kill',
    regions: [
      { name: 'us-east', roleBefore: 'primary', roleAfter: 'down' },
      { name: 'eu-west', roleBefore: 'secondary', roleAfter: 'primary' },
      { name: 'ap-south', roleBefore: 'secondary', roleAfter: 'secondary' },
    ],
    from: 'us-east',
    to: 'eu-west',
    t0,
    epochBefore: 1,
    epochAfter: 2,
    writes,
    lag,
    phases,
    rto: { seconds: rto, firstWriteAt: t0 + rto * 1000 },
    rpo: { transactions: lostSeqs.length, windowSeconds: lostTimes.length ? (Math.max(...lostTimes) - Math.min(...lostTimes)) / 1000 : 0, lostSeqs },
    result: 'passed',
    notes: ['synthetic data: a preview of the report layout, not a measurement'],
  };
}
