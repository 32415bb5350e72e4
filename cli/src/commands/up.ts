import { startTopology, type Topology } from '../topology/index.js';
import { startTopologyPrometheus, type RunningPrometheus } from '../prometheus/index.js';
import { claimState, releaseState, stateFilePath, writeState } from '../state/index.js';
import { CommandError, waitForStopSignal, type CommandIO } from './io.js';
import { topologyOptions, type TopologyCliOptions } from './options.js';

export interface UpOptions extends TopologyCliOptions {
  json?: boolean;
  /** Also start a real Prometheus scraping every agent and the control plane, rules loaded (docs/observability.md). */
  prometheus?: boolean;
}

/** Human summary of a ready topology. */
export function describeForHumans(topo: Topology): string {
  const d = topo.describe();
  const lines = [`writer         ${d.writer}`, `control plane  ${d.controlPlane}`];
  for (const r of d.regions) {
    lines.push(
      `${r.name.padEnd(9)} ${r.role.padEnd(9)} postgres ${r.postgres}  reader ${r.reader}  http ${r.http}  nats ${r.nats}`,
    );
  }
  return lines.join('\n');
}

/**
 * `borealis up`: starts the topology, records it in the state file, prints it (one JSON line with --json),
 * and runs until SIGINT/SIGTERM, then stops everything and removes the state file.
 */
export async function up(opts: UpOptions, io: CommandIO): Promise<void> {
  const statePath = stateFilePath();
  const startedAt = new Date().toISOString();
  claimState({ version: 1, pid: process.pid, startedAt, status: 'starting' }, statePath);
  const signals = waitForStopSignal();
  let topo: Topology | undefined;
  let prom: RunningPrometheus | undefined;
  try {
    const t0 = Date.now();
    try {
      topo = await startTopology(topologyOptions(opts, (line) => io.err(line)));
    } catch (err) {
      throw new CommandError(`the topology did not start: ${(err as Error).message}`, 1, {
        cause: err,
      });
    }
    if (signals.received()) {
      io.err(`${signals.received()} received while starting: stopping`);
      return;
    }
    if (opts.prometheus) {
      try {
        prom = await startTopologyPrometheus(topo.describe());
      } catch (err) {
        throw new CommandError(`Prometheus did not start: ${(err as Error).message}`, 1, { cause: err });
      }
    }
    writeState(
      {
        version: 1,
        pid: process.pid,
        startedAt,
        status: 'ready',
        dir: topo.dir,
        description: topo.describe(),
        processes: topo.pids(),
        options: {
          regions: opts.regions,
          readers: opts.readers,
          wanLatencyMs: opts.wanLatency,
          jitterMs: opts.jitter,
          agents: opts.agents,
        },
      },
      statePath,
    );
    if (opts.json) io.out(JSON.stringify(prom ? { ...topo.describe(), prometheus: prom.url } : topo.describe()));
    else io.out(describeForHumans(topo) + (prom ? `\nprometheus     ${prom.url}` : ''));
    io.err(
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; state ${statePath}; stop with Ctrl-C or "borealis down"`,
    );
    for (const r of topo.regions) {
      const procs = [r.postgres.process, ...r.readers.map((x) => x.process), r.nats.process];
      if (r.agent) procs.push(r.agent.process);
      for (const proc of procs) {
        void proc.waitExit().then((exit) => {
          if (!signals.received()) {
            io.err(
              `${proc.name} (pid ${proc.pid}) ${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`}`,
            );
          }
        });
      }
    }
    const sig = await signals.promise;
    io.err(`${sig} received: stopping the topology`);
  } finally {
    signals.dispose();
    try {
      await prom?.stop().catch((err: unknown) => io.err(`Prometheus did not stop cleanly: ${(err as Error).message}`));
      if (topo) {
        const t1 = Date.now();
        await topo.stop();
        io.err(`stopped and cleaned up in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      }
    } finally {
      releaseState(process.pid, statePath);
    }
  }
}
