import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createOperatorMetrics } from '../operator/src/metrics/index.js';
import { AgentMetrics } from '../region-agent/src/metrics/index.js';
import { METRICS, allDashboards, baseMetricName, dashboardJson, queriesOf, selectorsIn, type Panel } from './src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}

const ruleFiles = readdirSync(join(here, 'rules'))
  .filter((f) => f.endsWith('.yaml') && !f.includes('test'))
  .map((f) => ({ file: f, doc: parse(readFileSync(join(here, 'rules', f), 'utf8')) as RuleFile }));
const rules = ruleFiles.flatMap((f) => f.doc.groups.flatMap((g) => g.rules.map((r) => ({ ...r, file: f.file, group: g.name }))));
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const dashboards = allDashboards();

function leafPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

describe('dashboards', () => {
  it('the committed JSON is what the code generates (UPDATE_DASHBOARDS=1 rewrites it)', () => {
    for (const { file, dashboard } of dashboards) {
      const path = join(here, file);
      const generated = dashboardJson(dashboard);
      if (process.env.UPDATE_DASHBOARDS === '1') writeFileSync(path, generated);
      expect(readFileSync(path, 'utf8'), `${file} is stale: run UPDATE_DASHBOARDS=1 npx vitest run --project unit dashboards`).toBe(generated);
    }
    const committed = readdirSync(here).filter((f) => f.endsWith('.json') && f !== 'tsconfig.json');
    expect(committed.sort()).toEqual(dashboards.map((d) => d.file).sort());
  });

  it('have the four stable uids and unique titles', () => {
    expect(dashboards.map((d) => d.dashboard.uid)).toEqual(['borealis-overview', 'borealis-replication', 'borealis-failover', 'borealis-operator']);
    expect(new Set(dashboards.map((d) => d.dashboard.title)).size).toBe(dashboards.length);
    for (const { dashboard } of dashboards) expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
  });

  it('every panel queries the ${datasource} Prometheus, has a unit, a description and a unique title', () => {
    for (const { dashboard } of dashboards) {
      const panels = leafPanels(dashboard.panels);
      expect(panels.length).toBeGreaterThan(5);
      expect(new Set(panels.map((p) => p.title)).size, dashboard.uid).toBe(panels.length);
      expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
      for (const p of panels) {
        const where = `${dashboard.uid} / ${p.title}`;
        expect(p.datasource, where).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets?.length, where).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.datasource, where).toEqual({ type: 'prometheus', uid: '${datasource}' });
          expect(t.expr.trim(), where).not.toBe('');
        }
        expect(p.fieldConfig?.defaults.unit, where).toMatch(/^[A-Za-z]+$/);
        expect(p.description?.length ?? 0, where).toBeGreaterThan(10);
      }
    }
  });

  it('panels sit on the 24-column grid without overlapping', () => {
    for (const { dashboard } of dashboards) {
      const boxes = dashboard.panels.map((p) => p.gridPos);
      for (const [i, a] of boxes.entries()) {
        expect(a.x + a.w).toBeLessThanOrEqual(24);
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${dashboard.uid}: ${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(false);
        }
      }
    }
  });

  it('database dashboards have datasource, globaldatabase and region variables and filter every selector by globaldatabase', () => {
    for (const { dashboard } of dashboards.filter((d) => d.dashboard.uid !== 'borealis-operator')) {
      expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'globaldatabase', 'region']);
      for (const q of queriesOf(dashboard)) {
        for (const s of selectorsIn(q.expr)) {
          expect(s.selector, `${q.dashboard} / ${q.panel}: ${q.expr}`).toContain('globaldatabase="$globaldatabase"');
        }
      }
    }
    const op = dashboards.find((d) => d.dashboard.uid === 'borealis-operator')!.dashboard;
    expect(op.templating.list.map((v) => v.name)).toEqual(['datasource', 'controller']);
  });

  it('uses only catalogued metrics, and every catalogued metric appears in a panel or a rule', () => {
    const used = new Set<string>();
    for (const { dashboard } of dashboards) {
      for (const q of queriesOf(dashboard)) {
        for (const s of selectorsIn(q.expr)) {
          const name = baseMetricName(s.name);
          expect(METRICS[name], `${q.dashboard} / ${q.panel} uses ${s.name}, not in dashboards/src/metric-catalog.ts`).toBeDefined();
          used.add(name);
        }
      }
    }
    for (const r of rules) {
      for (const s of selectorsIn(r.expr)) {
        const name = baseMetricName(s.name);
        expect(METRICS[name] !== undefined || recorded.has(name), `rule ${r.alert ?? r.record} uses ${s.name}`).toBe(true);
        used.add(name);
      }
    }
    for (const name of Object.keys(METRICS)) expect(used.has(name), `${name} is catalogued but used nowhere`).toBe(true);
  });

  it('the catalogue agrees with the region agent registry (the source of truth)', async () => {
    const m = new AgentMetrics('us-east', {
      role: () => 'primary',
      epoch: () => 1,
      ready: () => true,
      lagSeconds: () => 0,
      pendingMessages: () => 0,
    });
    const exported = new Map((await m.registry.getMetricsAsJSON()).map((x) => [x.name, String(x.type)]));
    const agentEntries = Object.entries(METRICS).filter(([, info]) => info.component === 'agent');
    for (const [name, info] of agentEntries) {
      expect(exported.get(name), `${name} is not exported by AgentMetrics`).toBe(info.type);
    }
    const borealis = [...exported.keys()].filter((n) => n.startsWith('borealis_'));
    for (const name of borealis) expect(METRICS[name]?.component, `${name} is missing from the catalogue`).toBe('agent');
  });
});

it('the catalogue agrees with the operator registry', async () => {
  const m = createOperatorMetrics({ defaultMetrics: false });
  const exported = new Map((await m.registry.getMetricsAsJSON()).map((x) => [x.name, String(x.type)]));
  const entries = Object.entries(METRICS).filter(([, info]) => info.component === 'operator');
  for (const [name, info] of entries) expect(exported.get(name), name).toBe(info.type);
  // Besides its own, the operator exports promotion figures under the same names as the local control plane.
  for (const [name, type] of exported) {
    expect(['operator', 'promotion'], `${name} is missing from the catalogue`).toContain(METRICS[name]?.component);
    expect(METRICS[name]!.type, name).toBe(type);
  }
});

describe('rules', () => {
  it('every alert has a severity, a summary and a description; names are unique', () => {
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
    for (const a of alerts) {
      expect(['info', 'warning', 'critical'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
    }
    for (const needed of ['BorealisReplicationLagHigh', 'BorealisReplicationStalled', 'BorealisRegionDown', 'BorealisRPOGuardAtRisk', 'BorealisFailoverHappened', 'BorealisEpochChanged', 'BorealisOperatorReconcileErrors']) {
      expect(alerts.map((a) => a.alert)).toContain(needed);
    }
  });

  it('recording rules follow level:metric:operations and are defined once', () => {
    const records = rules.filter((r) => r.record).map((r) => r.record!);
    expect(new Set(records).size).toBe(records.length);
    for (const r of records) expect(r).toMatch(/^borealis:[a-z0-9_]+(:[a-z0-9_]+)?$/);
  });

  it('every alert is exercised by the promtool unit tests', () => {
    const tests = readdirSync(join(here, 'rules')).filter((f) => f.includes('test')).map((f) => readFileSync(join(here, 'rules', f), 'utf8')).join('\n');
    for (const a of rules.filter((r) => r.alert)) {
      // A firing expectation, not only an "exp_alerts: []".
      const firing = new RegExp(`alertname: ${a.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`);
      expect(tests, `${a.alert} never expected to fire in dashboards/rules/*test*.yaml`).toMatch(firing);
    }
  });
});

describe('selectorsIn', () => {
  it('finds metric selectors and skips functions, keywords, label lists, ranges and variables', () => {
    const expr = 'histogram_quantile(0.99, sum by (region, le) (rate(borealis_apply_delay_seconds_bucket{region=~"$region", a="}"}[$__rate_interval]))) / on (region) group_left () up > bool 0 or vector(1)';
    expect(selectorsIn(expr)).toEqual([
      { name: 'borealis_apply_delay_seconds_bucket', selector: 'borealis_apply_delay_seconds_bucket{region=~"$region", a="}"}' },
      { name: 'up', selector: 'up' },
    ]);
  });

  it('skips offsets and numbers with exponents', () => {
    expect(selectorsIn('(x > 0) unless x offset 15m or y * 1e3 + z offset 1h30m')).toEqual([
      { name: 'x', selector: 'x' },
      { name: 'x', selector: 'x' },
      { name: 'y', selector: 'y' },
      { name: 'z', selector: 'z' },
    ]);
  });

  it('refuses an unknown function rather than mistaking it for a metric', () => {
    expect(() => selectorsIn('mystery(borealis_epoch)')).toThrow(/unknown PromQL function "mystery"/);
  });

  it('maps histogram series to their metric', () => {
    expect(baseMetricName('borealis_apply_delay_seconds_bucket')).toBe('borealis_apply_delay_seconds');
    expect(baseMetricName('borealis_apply_delay_seconds_count')).toBe('borealis_apply_delay_seconds');
    expect(baseMetricName('borealis_applied_transactions_total')).toBe('borealis_applied_transactions_total');
  });
});
