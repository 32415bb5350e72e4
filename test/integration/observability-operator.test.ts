// The Operator dashboard and the operator alert rule against a running operator: a real etcd +
// kube-apiserver (built by hack/tools.sh), the operator reconciling the example GlobalDatabase and
// FailoverDrill, and a real Prometheus scraping the operator's /metrics.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import { METRICS, allDashboards, baseMetricName, queriesOf, selectorsIn, substituteVariables } from '../../dashboards/src/index.js';
import { defaultRuleFiles, rulesDir, startPrometheus, type RunningPrometheus } from '../../cli/src/prometheus/index.js';
import { freePort, kubeApiServerToolsBuilt, startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver.js';
import { eventually } from '../support/eventually.js';

const root = join(import.meta.dirname, '..', '..');
const ns = 'obs';

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> =>
  eventually(what, fn, timeoutMs, 500);

describe.skipIf(!kubeApiServerToolsBuilt())('operator dashboard on a running operator', () => {
  let api: KubeApiServer | undefined;
  let operator: Operator | undefined;
  let prom: RunningPrometheus | undefined;
  let metricsUrl: string;

  beforeAll(async () => {
    api = await startKubeApiServer();
    const client = KubeClient.fromString(api.kubeconfigYaml);
    await api.kubectl(['apply', '--server-side', '-f', join(root, 'charts', 'borealis', 'crds')]);
    await api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/globaldatabases.borealis.dev', 'crd/failoverdrills.borealis.dev']);
    await api.kubectl(['create', 'namespace', ns]);
    operator = new Operator({
      client,
      log: pino({ level: 'silent' }),
      namespace: ns,
      // Nothing listens there: the region agents are unreachable (no kubelet runs pods here).
      agents: new HttpAgentStatusSource(`http://127.0.0.1:${await freePort()}/{region}/status`, 300),
      pollIntervalMs: 500,
      httpPort: 0,
      httpHost: '127.0.0.1',
    });
    await operator.start();
    metricsUrl = `http://127.0.0.1:${operator.httpAddress()!.port}/metrics`;
    await api.kubectl(['apply', '-n', ns, '-f', join(root, 'examples', 'global-database.yaml')]);
    await api.kubectl(['apply', '-n', ns, '-f', join(root, 'examples', 'failover-drill-failover.yaml')]);
    prom = await startPrometheus({
      targets: [{ job: 'borealis-operator', url: metricsUrl, labels: {} }],
      ruleFiles: defaultRuleFiles(),
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
    });
    await until('reconciles of both controllers scraped', async () => {
      const r = await prom!.client.query('sum by (controller) (borealis_operator_reconcile_total) > 0');
      return r.length === 2;
    });
    // Rate windows of the dashboard ($__rate_interval = 20s) filled with samples.
    await new Promise((r) => setTimeout(r, 21_000));
  }, 240_000);

  afterAll(async () => {
    try {
      await prom?.stop();
    } finally {
      try {
        await operator?.stop();
      } finally {
        await api?.stop();
      }
    }
  }, 120_000);

  it('promtool check metrics passes on the operator /metrics', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('the controller variable lists both controllers', async () => {
    expect((await prom!.client.labelValues('controller', 'borealis_operator_reconcile_total')).sort()).toEqual(['failoverdrill', 'globaldatabase']);
  });

  it('every Operator dashboard query parses and returns data when its selectors match series', async () => {
    const dashboard = allDashboards().find((d) => d.dashboard.uid === 'borealis-operator')!.dashboard;
    const noSeries: string[] = [];
    let withData = 0;
    for (const q of queriesOf(dashboard)) {
      const expr = substituteVariables(q.expr, { globaldatabase: '', rateInterval: '20s', range: '1m' });
      const where = `${q.panel} [${q.refId}]: ${expr}`;
      const result = await prom!.client.query(expr);
      const unmatched: string[] = [];
      for (const s of selectorsIn(q.expr)) {
        expect(METRICS[baseMetricName(s.name)]?.component, where).toBe('operator');
        if ((await prom!.client.query(substituteVariables(s.selector, { globaldatabase: '' }))).length === 0) unmatched.push(s.selector);
      }
      // Every panel has data, also before the first reconcile error (the error panels fall back to 0).
      expect(result.length, `${where} returned nothing`).toBeGreaterThan(0);
      withData++;
      // Only a result label that has not happened yet may match nothing (a counter series starts on its first event).
      for (const s of unmatched) expect(s, where).toMatch(/result="error"/);
      if (unmatched.length) noSeries.push(`${where} (no ${unmatched.join(', ')} yet)`);
    }
    console.log(`operator queries with data: ${withData}; of which before a first error: ${noSeries.length}\n  ${noSeries.join('\n  ')}`);
    expect(withData).toBe(queriesOf(dashboard).length);
  });

  it('the operator alert rule parses and its rule group is healthy', async () => {
    interface RuleDoc {
      groups: { name: string; rules: { alert?: string; expr: string }[] }[];
    }
    const doc = parse(readFileSync(join(rulesDir(), 'borealis-rules.yaml'), 'utf8')) as RuleDoc;
    const group = doc.groups.find((g) => g.name === 'borealis-operator.alerts')!;
    for (const r of group.rules) await prom!.client.query(r.expr);
    const loaded = await until('rules evaluated', async () => {
      const rules = await prom!.client.rules();
      return rules.every((r) => r.health === 'ok') ? rules : undefined;
    });
    expect(loaded.map((r) => r.name)).toContain('BorealisOperatorReconcileErrors');
  });
});
