import { failoverDrills } from './failover-drills.js';
import { globalOverview } from './global-overview.js';
import type { Dashboard, Panel } from './grafana.js';
import { operator } from './operator.js';
import { replication } from './replication.js';

export type { Dashboard, Panel, Target, TemplateVariable } from './grafana.js';
export { METRICS, baseMetricName, selectorsIn, type Component, type MetricInfo, type SelectorRef } from './metric-catalog.js';

/** Every dashboard with the file it is written to (dashboards/<file>). */
export function allDashboards(): { file: string; dashboard: Dashboard }[] {
  return [
    { file: 'global-overview.json', dashboard: globalOverview() },
    { file: 'replication.json', dashboard: replication() },
    { file: 'failover-drills.json', dashboard: failoverDrills() },
    { file: 'operator.json', dashboard: operator() },
  ];
}

/** The JSON text of a dashboard as committed (2-space indent, trailing newline). */
export function dashboardJson(d: Dashboard): string {
  return JSON.stringify(d, null, 2) + '\n';
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

/** Every PromQL expression of a dashboard: panel targets and annotation queries. */
export function queriesOf(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ dashboard: d.uid, panel: p.title, refId: t.refId, expr: t.expr });
      if (p.panels) visit(p.panels);
    }
  };
  visit(d.panels);
  for (const a of d.annotations.list as { name?: string; expr?: string }[]) {
    if (a.expr) out.push({ dashboard: d.uid, panel: `annotation: ${a.name ?? ''}`, refId: 'annotation', expr: a.expr });
  }
  return out;
}

/** Grafana's variables replaced for evaluation outside Grafana (tests, docs). */
export function substituteVariables(expr: string, vars: { globaldatabase: string; region?: string; controller?: string; rateInterval?: string; range?: string }): string {
  return expr
    .replaceAll('$globaldatabase', vars.globaldatabase)
    .replaceAll('$region', vars.region ?? '.+')
    .replaceAll('$controller', vars.controller ?? '.+')
    .replaceAll('$__rate_interval', vars.rateInterval ?? '1m')
    .replaceAll('$__range', vars.range ?? '5m');
}
