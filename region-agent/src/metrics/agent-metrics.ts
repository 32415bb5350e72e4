import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Live values the gauges read at collect time (prom-client `collect`), so a scrape is never stale. */
export interface MetricSources {
  role(): 'primary' | 'secondary';
  epoch(): number;
  ready(): boolean;
  /** now − commitTs of the newest applied transaction, or null when this region does not apply. */
  lagSeconds(): number | null;
  /** Messages in the local stream not yet applied, or null when unknown. */
  pendingMessages(): number | null;
}

/**
 * The agent's Prometheus metrics (DESIGN §7). Names are a contract: dashboards and alert rules
 * use exactly these. Every series carries `region` (a default label of the registry).
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly appliedTransactions: Counter;
  readonly capturedTransactions: Counter;
  readonly replicationBytes: Counter<'direction'>;
  readonly applyDelay: Histogram;
  readonly heartbeats: Counter<'kind'>;
  readonly unsupportedChanges: Counter<'reason'>;
  readonly errors: Counter<'component'>;
  readonly ddlApplied: Counter;
  readonly applyGroupSize: Histogram;
  readonly publishedMessages: Counter;
  readonly publishedChunks: Counter;

  constructor(
    readonly region: string,
    sources: MetricSources,
  ) {
    this.registry.setDefaultLabels({ region });
    collectDefaultMetrics({ register: this.registry });
    // promtool check metrics rejects prom-client's gauges named *_total (nodejs_active_* carry the same figures).
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    const registers = [this.registry];

    new Gauge({
      name: 'borealis_replication_lag_seconds',
      help: 'now − commit time of the newest transaction this region applied (heartbeats keep it true when idle)',
      registers,
      collect() {
        const lag = sources.lagSeconds();
        if (lag !== null) this.set(lag);
      },
    });
    new Gauge({
      name: 'borealis_stream_pending_messages',
      help: 'Messages in the local stream not yet applied',
      registers,
      collect() {
        const pending = sources.pendingMessages();
        if (pending !== null) this.set(pending);
      },
    });
    new Gauge({
      name: 'borealis_region_role',
      help: '1 for the current role of this region, 0 for the others',
      labelNames: ['role'],
      registers,
      collect() {
        const role = sources.role();
        this.set({ role: 'primary' }, role === 'primary' ? 1 : 0);
        this.set({ role: 'secondary' }, role === 'secondary' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'borealis_epoch',
      help: 'Primary term (epoch) this agent is in',
      registers,
      collect() {
        this.set(sources.epoch());
      },
    });
    new Gauge({
      name: 'borealis_agent_ready',
      help: '1 when the agent is ready (bootstrapped, capturing or applying)',
      registers,
      collect() {
        this.set(sources.ready() ? 1 : 0);
      },
    });
    this.appliedTransactions = new Counter({
      name: 'borealis_applied_transactions_total',
      help: 'Transactions applied on this region',
      registers,
    });
    this.capturedTransactions = new Counter({
      name: 'borealis_captured_transactions_total',
      help: 'Transactions captured from the WAL and acknowledged by JetStream',
      registers,
    });
    this.publishedMessages = new Counter({
      name: 'borealis_published_messages_total',
      help: 'Stream messages published (one or more transactions each)',
      registers,
    });
    this.publishedChunks = new Counter({
      name: 'borealis_published_chunks_total',
      help: 'Stream messages that carry a chunk of a transaction too large for one message',
      registers,
    });
    this.replicationBytes = new Counter({
      name: 'borealis_replication_bytes_total',
      help: 'Message body bytes published (direction=out) or received for apply (direction=in)',
      labelNames: ['direction'],
      registers,
    });
    this.applyDelay = new Histogram({
      name: 'borealis_apply_delay_seconds',
      help: 'Per transaction: apply commit time on this region − commit time on the primary',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.applyGroupSize = new Histogram({
      name: 'borealis_apply_group_transactions',
      help: 'Transactions applied per PostgreSQL transaction (group apply)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    this.heartbeats = new Counter({
      name: 'borealis_heartbeats_total',
      help: 'Heartbeats committed on the primary (kind=sent) or applied on a secondary (kind=applied)',
      labelNames: ['kind'],
      registers,
    });
    this.unsupportedChanges = new Counter({
      name: 'borealis_unsupported_changes_total',
      help: 'Changes that could not be replicated, by reason (reported, never skipped silently)',
      labelNames: ['reason'],
      registers,
    });
    this.errors = new Counter({
      name: 'borealis_agent_errors_total',
      help: 'Errors by component (capture, apply, heartbeat, seed, transport)',
      labelNames: ['component'],
      registers,
    });
    this.ddlApplied = new Counter({
      name: 'borealis_ddl_applied_total',
      help: 'DDL statements applied on this region from borealis.ddl_log',
      registers,
    });
    // Create every labelled series at 0 so dashboards and rules see them before the first event.
    for (const direction of ['in', 'out']) this.replicationBytes.inc({ direction }, 0);
    for (const kind of ['sent', 'applied']) this.heartbeats.inc({ kind }, 0);
    for (const component of ['capture', 'apply', 'heartbeat', 'seed', 'transport']) this.errors.inc({ component }, 0);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
