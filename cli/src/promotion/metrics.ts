import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Control-plane promotion metrics (DESIGN §7), registered on the control plane's registry. */
export class PromotionMetrics {
  readonly phase: Histogram<'phase' | 'kind'>;
  readonly rto: Gauge;
  readonly rpo: Gauge;
  readonly failovers: Counter<'kind' | 'result'>;
  readonly epoch: Gauge;
  readonly refusedConnections: Counter;

  constructor(
    registry: Registry,
    epoch: () => number,
    /** Writer-endpoint connections refused or dropped while fencing, since start (TcpEndpoint.refusedConnections). */
    fencedConnections: () => number = () => 0,
  ) {
    const registers = [registry];
    this.phase = new Histogram({
      name: 'borealis_promotion_phase_seconds',
      help: 'Duration of each promotion phase (detect, fence, catch_up, decide, promote, reroute, rejoin).',
      labelNames: ['phase', 'kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
      registers,
    });
    this.rto = new Gauge({
      name: 'borealis_failover_rto_seconds',
      help: 'RTO of the last drill: fault injection to the first write acknowledged by the new primary (client-observed).',
      registers,
    });
    this.rpo = new Gauge({
      name: 'borealis_failover_rpo_transactions',
      help: 'RPO of the last promotion: acknowledged writes (drill ledger) or recorded transactions missing on the new primary.',
      registers,
    });
    this.failovers = new Counter({
      name: 'borealis_failovers_total',
      help: 'Promotions by kind (switchover, failover, automatic) and result (ok, refused, failed).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.epoch = new Gauge({
      name: 'borealis_epoch',
      help: 'The current epoch in the epoch store (as the control plane last read it).',
      registers,
      collect() {
        this.set(epoch());
      },
    });
    this.refusedConnections = new Counter({
      name: 'borealis_fenced_writes_total',
      help: 'Writer-endpoint connections refused or dropped because a promotion was fencing the primary.',
      registers,
      // Computed at collect time from the endpoint's own count (monotonic for the topology's lifetime).
      collect() {
        this.reset();
        this.inc(fencedConnections());
      },
    });
  }
}
