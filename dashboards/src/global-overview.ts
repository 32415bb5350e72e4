import { dashboard, Layout, target, type Dashboard } from './grafana.js';
import { EPOCH_MAX, G, GR, LAG_BY_REGION, PRIMARY_BY_REGION, WRITE_AVAILABLE, epochAnnotation, rate } from './queries.js';
import { databaseVariables } from './variables.js';

const availabilityMappings = {
  '0': { text: 'Unavailable', color: 'red', index: 0 },
  '1': { text: 'Available', color: 'green', index: 1 },
};

export function globalOverview(): Dashboard {
  const l = new Layout();
  l.row('Now');
  l.add({
    type: 'stat',
    title: 'Write availability',
    description: 'Available while a ready agent holds the primary role (writes through the writer endpoint can succeed).',
    unit: 'none',
    w: 4,
    h: 4,
    targets: [target(WRITE_AVAILABLE, 'writes')],
    mappings: availabilityMappings,
    thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value', justifyMode: 'center', orientation: 'auto' },
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
  l.add({
    type: 'stat',
    title: 'Epoch',
    description: 'The primary term; it increases with every switchover or failover.',
    unit: 'none',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(EPOCH_MAX, 'epoch')],
  });
  l.add({
    type: 'stat',
    title: 'Max replication lag',
    description: 'The largest lag of any secondary: now − commit time of the newest transaction it applied (DESIGN §6).',
    unit: 's',
    w: 4,
    h: 4,
    targets: [target(`max(${LAG_BY_REGION})`, 'max lag')],
    thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 0.5 }, { color: 'red', value: 1 }],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'value', justifyMode: 'center', orientation: 'auto' },
  });
  l.add({
    type: 'stat',
    title: 'Regions ready',
    description: 'Agents that report ready, out of all agents scraped.',
    unit: 'none',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(`sum(borealis_agent_ready{${G}})`, 'ready'), target(`count(borealis_agent_ready{${G}})`, 'regions')],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value_and_name', justifyMode: 'center', orientation: 'auto' },
  });
  l.add({
    type: 'stat',
    title: 'Endpoint connections',
    description: 'Client connections open through the writer and reader endpoints.',
    unit: 'short',
    decimals: 0,
    w: 4,
    h: 4,
    targets: [target(`sum by (endpoint) (borealis_endpoint_connections{${G}})`, '{{endpoint}}')],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'value_and_name', justifyMode: 'auto', orientation: 'auto' },
  });

  l.row('Regions');
  const column = (expr: string, refId: string) => target(expr, refId, { instant: true, range: false, format: 'table' });
  l.add({
    type: 'table',
    title: 'Regions',
    description: 'One row per region: role, epoch, readiness, lag, apply rate and stream backlog.',
    unit: 'none',
    w: 24,
    h: 7,
    targets: [
      column(PRIMARY_BY_REGION, 'primary'),
      column(`max by (region) (borealis_epoch{${GR}})`, 'epoch'),
      column(`max by (region) (borealis_agent_ready{${GR}})`, 'ready'),
      column(`max by (region) (${LAG_BY_REGION})`, 'lag'),
      column(rate('borealis_applied_transactions_total'), 'applied'),
      column(`max by (region) (borealis_stream_pending_messages{${GR}})`, 'pending'),
    ],
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { region: 'Region', 'Value #A': 'Primary', 'Value #B': 'Epoch', 'Value #C': 'Ready', 'Value #D': 'Lag', 'Value #E': 'Applied tx/s', 'Value #F': 'Pending messages' } } },
    ],
    overrides: [
      { matcher: { id: 'byName', options: 'Lag' }, properties: [{ id: 'unit', value: 's' }] },
      { matcher: { id: 'byName', options: 'Applied tx/s' }, properties: [{ id: 'unit', value: 'ops' }] },
      { matcher: { id: 'byName', options: 'Primary' }, properties: [{ id: 'mappings', value: [{ type: 'value', options: { '0': { text: 'secondary', index: 0 }, '1': { text: 'primary', color: 'blue', index: 1 } } }] }] },
      { matcher: { id: 'byName', options: 'Ready' }, properties: [{ id: 'mappings', value: [{ type: 'value', options: { '0': { text: 'not ready', color: 'red', index: 0 }, '1': { text: 'ready', color: 'green', index: 1 } } }] }] },
    ],
  });
  l.add({
    type: 'state-timeline',
    title: 'Role over time',
    description: 'Which region held the primary role when.',
    unit: 'none',
    w: 12,
    h: 6,
    targets: [target(PRIMARY_BY_REGION, '{{region}}')],
    mappings: { '0': { text: 'secondary', color: 'transparent', index: 0 }, '1': { text: 'primary', color: 'blue', index: 1 } },
    colorMode: 'thresholds',
  });
  l.add({
    type: 'timeseries',
    title: 'Write availability over time',
    description: '1 while a ready agent holds the primary role.',
    unit: 'none',
    min: 0,
    max: 1,
    w: 12,
    h: 6,
    targets: [target(WRITE_AVAILABLE, 'write available')],
    mappings: availabilityMappings,
    custom: { drawStyle: 'line', lineInterpolation: 'stepAfter', fillOpacity: 20 },
  });
  l.add({
    type: 'timeseries',
    title: 'Replication lag by region',
    description: 'Lag of each secondary; the dashed line is the 1 s default bound (replication.maxLagSeconds).',
    unit: 's',
    w: 12,
    h: 8,
    targets: [target(LAG_BY_REGION, '{{region}}')],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
    custom: { thresholdsStyle: { mode: 'dashed' } },
  });
  l.add({
    type: 'timeseries',
    title: 'Epoch by region',
    description: 'The primary term each agent is in; a region behind the others has not seen the latest promotion.',
    unit: 'none',
    decimals: 0,
    w: 12,
    h: 8,
    targets: [target(`max by (region) (borealis_epoch{${GR}})`, '{{region}}')],
    custom: { lineInterpolation: 'stepAfter' },
  });
  return dashboard({
    uid: 'borealis-overview',
    title: 'Borealis / Global overview',
    description: 'Regions, roles, epoch, lag and write availability of one global database.',
    variables: databaseVariables(),
    panels: l.panels,
    annotations: [epochAnnotation],
  });
}
