import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'error' | 'requeue';

/** The operator's metrics (DESIGN §7): names are a contract used by dashboards and alert rules. */
export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller'>;
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
  // promtool check metrics rejects prom-client's gauges named *_total (nodejs_active_* carry the same figures).
  for (const n of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    registry.removeSingleMetric(n);
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
