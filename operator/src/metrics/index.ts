import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'error' | 'requeue';

/** The operator's metrics (DESIGN §7): names are a contract used by dashboards and alert rules. */
export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller'>;
  /** Promotion steps (fence, catch-up, hold, epoch, lease, promote, rejoin, follow) by kind (switchover, failover). */
  promotionPhase: Histogram<'phase' | 'kind'>;
  /** Promotions by kind and result (succeeded, refused, failed). */
  failovers: Counter<'kind' | 'result'>;
  /** The last drill's client-observed RTO and RPO (DESIGN §6), as the local control plane exports them. */
  failoverRto: Gauge;
  failoverRpo: Gauge;
}

export function createOperatorMetrics(opts: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // promtool check metrics rejects gauges named *_total (nodejs_active_* carry the same figures) — as the agents do.
    for (const n of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      registry.removeSingleMetric(n);
  }
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'borealis_operator_reconcile_total',
      help: 'Reconciles run by the operator, by controller and result (success, error).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'borealis_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile, by controller.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    promotionPhase: new Histogram({
      name: 'borealis_promotion_phase_seconds',
      help: 'Duration of each promotion step the operator ran (fence, catch-up, hold, epoch, lease, promote, rejoin, follow).',
      labelNames: ['phase', 'kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
      registers: [registry],
    }),
    failovers: new Counter({
      name: 'borealis_failovers_total',
      help: 'Promotions by kind (switchover, failover) and result (succeeded, refused, failed).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    failoverRto: new Gauge({
      name: 'borealis_failover_rto_seconds',
      help: 'RTO of the last FailoverDrill: fault injection (or switchover request) to the first write acknowledged by the new primary.',
      registers: [registry],
    }),
    failoverRpo: new Gauge({
      name: 'borealis_failover_rpo_transactions',
      help: 'RPO of the last FailoverDrill: acknowledged writes of its prober missing on the new primary.',
      registers: [registry],
    }),
  };
}

/** Times `fn` and counts its result under `controller`. */
export async function observeReconcile<T>(
  m: OperatorMetrics,
  controller: string,
  fn: () => Promise<T>,
): Promise<T> {
  const end = m.reconcileDuration.startTimer({ controller });
  try {
    const out = await fn();
    m.reconcileTotal.inc({ controller, result: 'success' });
    return out;
  } catch (err) {
    m.reconcileTotal.inc({ controller, result: 'error' });
    throw err;
  } finally {
    end();
  }
}
