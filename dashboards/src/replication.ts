import { dashboard, Layout, target, type Dashboard } from './grafana.js';
import { GR, LAG_BY_REGION, epochAnnotation, quantile, rate } from './queries.js';
import { databaseVariables } from './variables.js';

export function replication(): Dashboard {
  const l = new Layout();
  l.row('Lag');
  l.add({
    type: 'timeseries',
    title: 'Replication lag by region',
    description: 'now − commit time of the newest transaction each secondary applied (heartbeats keep it true when idle).',
    unit: 's',
    w: 12,
    h: 8,
    targets: [target(LAG_BY_REGION, '{{region}}')],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
    custom: { thresholdsStyle: { mode: 'dashed' } },
  });
  l.add({
    type: 'timeseries',
    title: 'Apply delay p50 / p99 by region',
    description: 'Per transaction: commit time on the secondary − commit time on the primary.',
    unit: 's',
    w: 12,
    h: 8,
    targets: [
      target(quantile(0.5, 'borealis_apply_delay_seconds'), '{{region}} p50'),
      target(quantile(0.99, 'borealis_apply_delay_seconds'), '{{region}} p99'),
    ],
  });
  l.add({
    type: 'heatmap',
    title: 'Apply delay distribution',
    description: 'Transactions applied per second by apply delay bucket, all selected regions.',
    unit: 's',
    w: 12,
    h: 8,
    targets: [target(`sum by (le) (rate(borealis_apply_delay_seconds_bucket{${GR}}[$__rate_interval]))`, '{{le}}', { format: 'heatmap' })],
  });
  l.add({
    type: 'timeseries',
    title: 'Stream pending messages',
    description: 'Messages in the region\'s local stream (mirror) not yet applied: a backlog grows when apply is slower than capture.',
    unit: 'short',
    w: 12,
    h: 8,
    targets: [target(`max by (region) (borealis_stream_pending_messages{${GR}})`, '{{region}}')],
  });

  l.row('Throughput');
  l.add({
    type: 'timeseries',
    title: 'Captured and applied transactions/s',
    description: 'Transactions captured from the primary\'s WAL and applied on each secondary (heartbeats included).',
    unit: 'ops',
    w: 12,
    h: 8,
    targets: [
      target(rate('borealis_captured_transactions_total'), '{{region}} captured'),
      target(rate('borealis_applied_transactions_total'), '{{region}} applied'),
    ],
  });
  l.add({
    type: 'timeseries',
    title: 'Replication bytes/s',
    description: 'Message body bytes published (out, on the primary) and received for apply (in, on secondaries).',
    unit: 'Bps',
    w: 12,
    h: 8,
    targets: [target(rate('borealis_replication_bytes_total', GR, 'region, direction'), '{{region}} {{direction}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Published messages/s',
    description: 'Stream messages the primary published (under load one message carries several transactions), and those carrying a chunk of a transaction too large for one message.',
    unit: 'ops',
    w: 8,
    h: 8,
    targets: [
      target(rate('borealis_published_messages_total'), '{{region}} messages'),
      target(rate('borealis_published_chunks_total'), '{{region}} chunks'),
    ],
  });
  l.add({
    type: 'timeseries',
    title: 'Transactions per message',
    description: 'Capture batching: captured transactions / published messages.',
    unit: 'short',
    w: 8,
    h: 8,
    targets: [target(`${rate('borealis_captured_transactions_total')} / ${rate('borealis_published_messages_total')}`, '{{region}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Apply group size p50 / p99',
    description: 'Transactions applied per PostgreSQL transaction (group apply when behind).',
    unit: 'short',
    w: 8,
    h: 8,
    targets: [
      target(quantile(0.5, 'borealis_apply_group_transactions'), '{{region}} p50'),
      target(quantile(0.99, 'borealis_apply_group_transactions'), '{{region}} p99'),
    ],
  });

  l.row('Heartbeats and errors');
  l.add({
    type: 'timeseries',
    title: 'Heartbeats/s',
    description: 'Heartbeats committed on the primary (sent) and applied on each secondary (applied); applied falling to 0 means replication stalled.',
    unit: 'ops',
    w: 8,
    h: 8,
    targets: [target(rate('borealis_heartbeats_total', GR, 'region, kind'), '{{region}} {{kind}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Agent errors and unsupported changes',
    description: 'Errors by component, and changes that could not be replicated by reason (never skipped silently).',
    unit: 'short',
    w: 8,
    h: 8,
    targets: [
      target(`sum by (region, component) (increase(borealis_agent_errors_total{${GR}}[$__rate_interval]))`, '{{region}} {{component}}'),
      target(`sum by (region, reason) (increase(borealis_unsupported_changes_total{${GR}}[$__rate_interval]))`, '{{region}} unsupported: {{reason}}'),
    ],
  });
  l.add({
    type: 'timeseries',
    title: 'DDL applied',
    description: 'Schema changes applied from borealis.ddl_log.',
    unit: 'short',
    decimals: 0,
    w: 8,
    h: 8,
    targets: [target(`sum by (region) (increase(borealis_ddl_applied_total{${GR}}[$__rate_interval]))`, '{{region}}')],
  });

  l.row('Agent processes');
  l.add({
    type: 'timeseries',
    title: 'Agent CPU',
    description: 'CPU time used by each region agent per second (1 = one core).',
    unit: 'percentunit',
    w: 8,
    h: 7,
    targets: [target(`sum by (region) (rate(process_cpu_seconds_total{${GR}}[$__rate_interval]))`, '{{region}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Agent memory (RSS)',
    description: 'Resident memory of each region agent.',
    unit: 'bytes',
    w: 8,
    h: 7,
    targets: [target(`max by (region) (process_resident_memory_bytes{${GR}})`, '{{region}}')],
  });
  l.add({
    type: 'timeseries',
    title: 'Agent event loop lag p99',
    description: 'Node.js event loop delay of each agent; high values delay capture, apply and heartbeats.',
    unit: 's',
    w: 8,
    h: 7,
    targets: [target(`max by (region) (nodejs_eventloop_lag_p99_seconds{${GR}})`, '{{region}}')],
  });
  return dashboard({
    uid: 'borealis-replication',
    title: 'Borealis / Replication',
    description: 'Lag, apply delay, throughput, stream backlog and heartbeats per region.',
    variables: databaseVariables(),
    panels: l.panels,
    annotations: [epochAnnotation],
  });
}
