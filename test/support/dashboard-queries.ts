// Runs every dashboard panel query against a real Prometheus: each must parse, and a query whose series all
// come from components that are running (and exist before any event) must return data, as must each of its
// selectors on its own (a wrong label value shows here). Shared by the local-topology and the kind tests.
import { expect } from 'vitest';
import type { PrometheusClient } from '../../cli/src/prometheus/index.js';
import {
  METRICS,
  allDashboards,
  baseMetricName,
  queriesOf,
  selectorsIn,
  substituteVariables,
  type Component,
} from '../../dashboards/src/index.js';

export async function checkDashboardQueries(
  client: PrometheusClient,
  vars: Parameters<typeof substituteVariables>[1],
  present: ReadonlySet<Component>,
): Promise<{ checked: string[]; skipped: string[] }> {
  const checked: string[] = [];
  const skipped: string[] = [];
  for (const { dashboard } of allDashboards()) {
    for (const q of queriesOf(dashboard)) {
      const expr = substituteVariables(q.expr, vars);
      const where = `${q.dashboard} / ${q.panel} [${q.refId}]: ${expr}`;
      const result = await client.query(expr).catch((err: unknown) => {
        throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
      });
      const infos = selectorsIn(q.expr).map((s) => METRICS[baseMetricName(s.name)]!);
      const mustHaveData =
        infos.every((i) => present.has(i.component) && i.seriesBeforeFirstEvent) &&
        q.refId !== 'annotation';
      if (mustHaveData) {
        expect(result.length, `${where} returned nothing`).toBeGreaterThan(0);
        checked.push(`${q.dashboard} / ${q.panel} [${q.refId}]`);
      } else {
        skipped.push(
          `${q.dashboard} / ${q.panel} [${q.refId}]: ${[...new Set(infos.map((i) => i.component))].join(', ')}`,
        );
      }
      for (const s of selectorsIn(q.expr)) {
        const info = METRICS[baseMetricName(s.name)]!;
        if (!present.has(info.component) || !info.seriesBeforeFirstEvent) continue;
        const got = await client.query(substituteVariables(s.selector, vars));
        expect(got.length, `${where}: selector ${s.selector} matches nothing`).toBeGreaterThan(0);
      }
    }
  }
  return { checked, skipped };
}
