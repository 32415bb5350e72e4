import { dashboard, Layout, target, type Dashboard } from './grafana.js';
import { EPOCH_MAX, G, PRIMARY_BY_REGION, WRITE_AVAILABLE, epochAnnotation } from './queries.js';
import { databaseVariables } from './variables.js';

const PHASE_MEAN = `sum by (phase) (increase(borealis_promotion_phase_seconds_sum{${G}}[$__range])) / sum by (phase) (increase(borealis_promotion_phase_seconds_count{${G}}[$__range]))`;

export function failoverDrills(): Dashboard {
  const l = new Layout();
  l.row('Failovers in the time range');
  l.add({
    type: 'stat',
    title: 'Failovers',
    description: 'Promotions (switchovers and failovers) completed in the time range.',
    unit: 'short',
    decimals: 0,
    w: 4,
    h: 4,
    // The {kind,result} series start with the first promotion: 0 until then, not "no data".
    targets: [target(`sum(increase(borealis_failovers_total{${G}}[$__range])) or vector(0)`, 'failovers')],
  });
  l.add({
    type: 'stat',
    title: 'Last RTO',
    description: 'Fault injection to the first write acknowledged through the writer endpoint on the new primary (DESIGN §6).',
    unit: 's',
    w: 4,
    h: 4,
    targets: [target(`max(borealis_failover_rto_seconds{${G}})`, 'RTO')],
    thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 30 }, { color: 'red', value: 60 }],
  });
  l.add({
    type: 'stat',
    title: 'Last RPO',
    description: 'Acknowledged writes absent on the new primary after the last failover (transactions; a switchover must show 0).',
    unit: 'short',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(`max(borealis_failover_rpo_transactions{${G}})`, 'transactions lost')],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
  });
  l.add({
    type: 'stat',
    title: 'Fenced writes',
    description: 'Writes refused by fencing (an old primary after a higher epoch appeared) in the time range.',
    unit: 'short',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(`sum(increase(borealis_fenced_writes_total{${G}}[$__range]))`, 'fenced')],
  });
  l.add({
    type: 'stat',
    title: 'Epoch',
    description: 'The current primary term.',
    unit: 'none',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(EPOCH_MAX, 'epoch')],
  });
  l.add({
    type: 'stat',
    title: 'Primary region',
    description: 'The region whose agent reports role=primary.',
    unit: 'none',
    w: 4,
    h: 4,
    targets: [target(`borealis_region_role{${G}, role="primary"} == 1`, '{{region}}', { instant: true })],
    thresholds: [{ color: 'blue', value: null }],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'name', justifyMode: 'center', orientation: 'auto' },
  });

  l.row('Drills');
  l.add({
    type: 'timeseries',
    title: 'RTO per drill',
    description: 'RTO of the most recent failover or switchover, as it changed over time.',
    unit: 's',
    w: 8,
    h: 8,
    targets: [target(`max(borealis_failover_rto_seconds{${G}})`, 'RTO')],
    custom: { drawStyle: 'line', lineInterpolation: 'stepAfter', showPoints: 'always' },
  });
  l.add({
    type: 'timeseries',
    title: 'RPO per drill',
    description: 'Transactions lost by the most recent failover or switchover.',
    unit: 'short',
    decimals: 0,
    w: 8,
    h: 8,
    targets: [target(`max(borealis_failover_rpo_transactions{${G}})`, 'transactions lost')],
    custom: { drawStyle: 'line', lineInterpolation: 'stepAfter', showPoints: 'always' },
  });
  l.add({
    type: 'bargauge',
    title: 'Promotion phase durations (mean in range)',
    description: 'detect, fence, promote, reroute: where a promotion spends its time.',
    unit: 's',
    w: 8,
    h: 8,
    targets: [target(PHASE_MEAN, '{{phase}}', { instant: true })],
  });
  l.add({
    type: 'bargauge',
    title: 'Promotion phase durations (p99 in range)',
    description: 'The slowest promotions by phase (histogram p99 over the time range).',
    unit: 's',
    w: 8,
    h: 8,
    targets: [target(`histogram_quantile(0.99, sum by (phase, le) (increase(borealis_promotion_phase_seconds_bucket{${G}}[$__range])))`, '{{phase}}', { instant: true })],
  });
  l.add({
    type: 'timeseries',
    title: 'Fenced writes/s',
    description: 'Writes refused by fencing over time.',
    unit: 'ops',
    w: 8,
    h: 8,
    targets: [target(`sum(rate(borealis_fenced_writes_total{${G}}[$__rate_interval]))`, 'fenced writes')],
  });
  l.add({
    type: 'timeseries',
    title: 'Endpoint connections',
    description: 'Client connections through each endpoint; the writer endpoint drops to 0 while it refuses during promotion.',
    unit: 'short',
    decimals: 0,
    w: 8,
    h: 8,
    targets: [target(`sum by (endpoint) (borealis_endpoint_connections{${G}})`, '{{endpoint}}')],
  });

  l.row('Roles');
  l.add({
    type: 'state-timeline',
    title: 'Primary region over time',
    description: 'Which region held the primary role when.',
    unit: 'none',
    w: 12,
    h: 6,
    targets: [target(PRIMARY_BY_REGION.replace('region=~"$region"', 'region=~".+"'), '{{region}}')],
    mappings: { '0': { text: 'secondary', color: 'transparent', index: 0 }, '1': { text: 'primary', color: 'blue', index: 1 } },
    colorMode: 'thresholds',
  });
  l.add({
    type: 'state-timeline',
    title: 'Write availability',
    description: 'Available while a ready agent holds the primary role; the gap is the outage a drill measures.',
    unit: 'none',
    w: 12,
    h: 6,
    targets: [target(WRITE_AVAILABLE, 'writes')],
    mappings: { '0': { text: 'Unavailable', color: 'red', index: 0 }, '1': { text: 'Available', color: 'green', index: 1 } },
    colorMode: 'thresholds',
  });
  return dashboard({
    uid: 'borealis-failover',
    title: 'Borealis / Failover & drills',
    description: 'RTO/RPO per drill, promotion phases, fencing and roles over time.',
    variables: databaseVariables(),
    panels: l.panels,
    annotations: [epochAnnotation],
  });
}
