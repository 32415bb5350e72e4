import pg from 'pg';
import { startTopology, type Topology } from '../topology/index.js';
import { StatusSampler, renderStatusTable, renderTable } from '../status/index.js';
import {
  CREATE_DEMO_TABLE,
  DEMO_TABLE,
  behind,
  runWorkload,
  waitForConvergence,
  type WorkloadStats,
} from '../workload/index.js';
import { runK6Demo } from './demo-k6.js';
import { runDrill } from '../promotion/drill.js';
import { formatDrill } from '../promotion/format.js';
import { CommandError, waitForStopSignal, type CommandIO } from './io.js';
import { topologyOptions, type TopologyCliOptions } from './options.js';

export interface DemoOptions extends TopologyCliOptions {
  /** Workload duration, seconds. */
  duration: number;
  clients: number;
  rate: number;
  /** Time allowed for every region to converge after the workload, seconds. */
  convergeTimeout?: number;
  /** Run this k6 scenario of test/k6 (Data API load) instead of the built-in workload. */
  k6?: string;
}

function workloadLine(s: WorkloadStats): string {
  const secs = s.elapsedMs / 1000;
  return `workload: ${s.transactions} tx in ${secs.toFixed(0)} s (${(s.transactions / Math.max(secs, 0.001)).toFixed(0)} tx/s) — ${s.inserts} inserts, ${s.updates} updates, ${s.deletes} deletes, ${s.errors} errors`;
}

/**
 * `borealis demo`: 1 primary + N-1 secondaries, a mixed write workload through the writer endpoint with a
 * live per-region table every second, then a convergence check (row count + checksum of the demo table in
 * every region); stops and removes everything it started.
 */
export async function demo(opts: DemoOptions, io: CommandIO): Promise<void> {
  const signals = waitForStopSignal();
  const abort = new AbortController();
  void signals.promise.then((sig) => {
    io.err(`${sig} received: stopping`);
    abort.abort();
  });
  let topo: Topology | undefined;
  const t0 = Date.now();
  try {
    topo = await startTopology(topologyOptions(opts, (line) => io.err(line)));
    const readyS = (Date.now() - t0) / 1000;
    io.err(
      `topology of ${opts.regions} region(s) ready in ${readyS.toFixed(1)} s; writer ${topo.describe().writer}`,
    );
    if (abort.signal.aborted) return;

    if (opts.k6) {
      await runK6Demo(opts.k6, topo, opts, abort.signal, io);
      return;
    }
    const writer = topo.describe().writer;
    const admin = new pg.Client({ connectionString: writer });
    await admin.connect();
    try {
      await admin.query(CREATE_DEMO_TABLE);
    } finally {
      await admin.end();
    }
    io.err(
      `running a mixed workload for ${opts.duration} s: ${opts.clients} connections, target ${opts.rate} tx/s, table ${DEMO_TABLE}`,
    );

    const regions = topo.describe().regions;
    const tWorkload = Date.now();
    const sampler = new StatusSampler(regions);
    let lastLines = 0;
    let latest: WorkloadStats | undefined;
    const draw = async () => {
      const rows = await sampler.sample();
      const text = [
        `t+${((Date.now() - tWorkload) / 1000).toFixed(0)}s  ${latest ? workloadLine(latest) : 'workload starting'}`,
        renderStatusTable(rows),
      ].join('\n');
      if (io.isTTY && lastLines > 0) io.out(`\x1b[${lastLines}A\x1b[J${text}`);
      else io.out(io.isTTY ? text : text + '\n');
      lastLines = text.split('\n').length;
    };
    let drawing = Promise.resolve();
    const ticker = opts.agents
      ? setInterval(() => {
          drawing = drawing
            .then(draw)
            .catch((err: unknown) => io.err(`status: ${(err as Error).message}`));
        }, 1000)
      : undefined;
    let stats: WorkloadStats;
    try {
      stats = await runWorkload(
        {
          url: writer,
          clients: opts.clients,
          rate: opts.rate,
          durationMs: opts.duration * 1000,
          signal: abort.signal,
        },
        (s) => (latest = s),
      );
    } finally {
      if (ticker) clearInterval(ticker);
      await drawing;
    }
    latest = stats;
    if (opts.agents) await draw();
    io.out(workloadLine(stats));
    if (abort.signal.aborted) return;
    if (!opts.agents) {
      io.out('started without region agents: nothing replicates, convergence not checked');
      return;
    }

    io.err('workload stopped; waiting for every region to converge…');
    const result = await waitForConvergence(
      regions.map((r) => ({ name: r.name, url: r.postgres })),
      (opts.convergeTimeout ?? 60) * 1000,
      (sums, ms) =>
        io.err(`still waiting after ${(ms / 1000).toFixed(0)} s for ${behind(sums).join(', ')}`),
    );
    io.out(
      renderTable(
        ['REGION', 'ROWS', 'CHECKSUM', 'MATCH'],
        result.sums.map((s) => [
          s.region,
          s.rows === null ? '-' : String(s.rows),
          s.checksum ?? `error: ${s.error ?? '?'}`,
          s.rows === result.sums[0]!.rows && s.checksum === result.sums[0]!.checksum ? 'yes' : 'NO',
        ]),
      ),
    );
    if (!result.converged) {
      throw new CommandError(
        `regions did not converge within ${opts.convergeTimeout ?? 60} s after the workload stopped`,
      );
    }
    io.out(
      `ready in ${readyS.toFixed(1)} s; converged: ${regions.length} region(s) hold the same ${result.sums[0]!.rows} rows of ${DEMO_TABLE} (checksum ${result.sums[0]!.checksum}), ${(result.tookMs / 1000).toFixed(1)} s after the workload stopped`,
    );
    if (topo.coordinator && topo.regions.length > 1) {
      // The outage drill (docs/promotion.md): freeze the primary region under writes, fail over, rejoin it.
      io.err(`failover drill: freezing the primary region ${topo.primary.name} under 50 writes/s…`);
      const d = await runDrill(topo, topo.coordinator, { type: 'failover', fault: 'freeze', writesPerSec: 50, preMs: 2_000, settleMs: 1_000 });
      const lagBefore = d.report.lag
        .map((l) => {
          const before = l.samples.filter((x) => x.t < d.drill.t0);
          const last = before[before.length - 1];
          return last ? `${l.region} ${last.seconds.toFixed(3)} s` : null;
        })
        .filter((x): x is string => x !== null);
      io.out(`replication lag before the fault: ${lagBefore.join(', ')}`);
      io.out(formatDrill(d));
    }
  } finally {
    signals.dispose();
    if (topo) {
      const t1 = Date.now();
      await topo.stop();
      io.err(
        `stopped every process and removed ${topo.dir} in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
      );
    }
  }
}
