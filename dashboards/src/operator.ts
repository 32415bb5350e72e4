import { dashboard, datasourceVariable, Layout, queryVariable, target, type Dashboard } from './grafana.js';

const C = 'controller=~"$controller"';

export function operator(): Dashboard {
  const l = new Layout();
  l.row('Reconciles');
  l.add({
    type: 'stat',
    title: 'Reconciles/s',
    description: 'Reconciles of the selected controllers per second.',
    unit: 'ops',
    w: 8,
    h: 4,
    targets: [target(`sum(rate(borealis_operator_reconcile_total{${C}}[$__rate_interval]))`, 'reconciles/s')],
  });
  l.add({
    type: 'stat',
    title: 'Error ratio',
    description: 'Share of reconciles that ended in error.',
    unit: 'percentunit',
    w: 8,
    h: 4,
    // `or vector(0)`: the error series of a controller starts with its first error; until then the ratio is 0, not "no data".
    targets: [target(`(sum(rate(borealis_operator_reconcile_total{${C}, result="error"}[$__rate_interval])) or vector(0)) / sum(rate(borealis_operator_reconcile_total{${C}}[$__rate_interval]))`, 'errors')],
    thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 0.01 }, { color: 'red', value: 0.1 }],
  });
  l.add({
    type: 'stat',
    title: 'Reconcile duration p99',
    description: 'The slowest reconciles across the selected controllers.',
    unit: 's',
    w: 8,
    h: 4,
    targets: [target(`histogram_quantile(0.99, sum by (le) (rate(borealis_operator_reconcile_duration_seconds_bucket{${C}}[$__rate_interval])))`, 'p99')],
  });
  l.add({
    type: 'timeseries',
    title: 'Reconciles/s by controller and result',
    description: 'Reconcile outcomes per controller.',
    unit: 'ops',
    w: 12,
    h: 8,
    targets: [target(`sum by (controller, result) (rate(borealis_operator_reconcile_total{${C}}[$__rate_interval]))`, '{{controller}} {{result}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Reconcile errors/s',
    description: 'Reconciles ending in error per controller (alert BorealisOperatorReconcileErrors after 10 minutes).',
    unit: 'ops',
    w: 12,
    h: 8,
    // Controllers without an error yet show 0 (their error series does not exist before the first error).
    targets: [target(`sum by (controller) (rate(borealis_operator_reconcile_total{${C}, result="error"}[$__rate_interval])) or (0 * sum by (controller) (rate(borealis_operator_reconcile_total{${C}}[$__rate_interval])))`, '{{controller}}')],
  });
  l.row('Durations');
  l.add({
    type: 'timeseries',
    title: 'Reconcile duration p50 / p99 by controller',
    description: 'How long one reconcile takes.',
    unit: 's',
    w: 12,
    h: 8,
    targets: [
      target(`histogram_quantile(0.5, sum by (controller, le) (rate(borealis_operator_reconcile_duration_seconds_bucket{${C}}[$__rate_interval])))`, '{{controller}} p50'),
      target(`histogram_quantile(0.99, sum by (controller, le) (rate(borealis_operator_reconcile_duration_seconds_bucket{${C}}[$__rate_interval])))`, '{{controller}} p99'),
    ],
  });
  l.add({
    type: 'heatmap',
    title: 'Reconcile duration distribution',
    description: 'Reconciles per second by duration bucket.',
    unit: 's',
    w: 12,
    h: 8,
    targets: [target(`sum by (le) (rate(borealis_operator_reconcile_duration_seconds_bucket{${C}}[$__rate_interval]))`, '{{le}}', { format: 'heatmap' })],
  });
  return dashboard({
    uid: 'borealis-operator',
    title: 'Borealis / Operator',
    description: 'Reconciles, errors and durations of the Borealis operator\'s controllers (cluster-wide: no globaldatabase/region filter).',
    variables: [
      datasourceVariable(),
      queryVariable({
        name: 'controller',
        label: 'Controller',
        query: 'label_values(borealis_operator_reconcile_total, controller)',
        description: 'Operator controllers (globaldatabase, failoverdrill)',
        multi: true,
        allValue: '.+',
      }),
    ],
    panels: l.panels,
  });
}
