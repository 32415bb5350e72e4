// A real switchover drill (cli/src/promotion runDrill) on a local topology watched by a real
// Prometheus: afterwards every Failover & drills panel has data, the epoch/failover alerts fire,
// and the drill's own report renders in headless Chromium with its phases, writes and lag drawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, allDashboards, baseMetricName, queriesOf, selectorsIn, substituteVariables } from '../../dashboards/src/index.js';
import { startTopologyPrometheus, type RunningPrometheus } from '../../cli/src/prometheus/index.js';
import { runDrill, type DrillResult } from '../../cli/src/promotion/index.js';
import { renderDrillReport } from '../../cli/src/report/index.js';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';
import { eventually } from '../support/eventually.js';

const GD = 'drill';
let topo: Topology | undefined;
let prom: RunningPrometheus | undefined;
let result: DrillResult;
let dir: string;

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> =>
  eventually(what, fn, timeoutMs, 500);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'borealis-obs-drill-test-'));
  topo = await startTopology({ regions: 3, postgresSettings: { fsync: 'off' }, agentConfig: { heartbeat: { intervalMs: 100 } } });
  prom = await startTopologyPrometheus(topo.describe(), { globaldatabase: GD, scrapeIntervalSeconds: 1, evaluationIntervalSeconds: 1 });
  await until('every target up', async () => {
    const t = await prom!.client.targets();
    return t.length === 4 && t.every((x) => x.health === 'up');
  });
  // Samples before the drill, so that rates and increases over the range see the change.
  await new Promise((r) => setTimeout(r, 5_000));
  result = await runDrill(topo, topo.coordinator!, { type: 'switchover', writesPerSec: 50 });
  await until('the promotion scraped', async () => (await prom!.client.query(`borealis_failovers_total{globaldatabase="${GD}"}`)).length > 0);
  await new Promise((r) => setTimeout(r, 3_000));
}, 300_000);

afterAll(async () => {
  try {
    await prom?.stop();
  } finally {
    await topo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

describe('a switchover drill under Prometheus', () => {
  it('completes with no data loss', () => {
    expect(result.rtoSeconds).not.toBeNull();
    expect(result.rpo.transactions).toBe(0);
  });

  it('gives every Failover & drills panel data', async () => {
    const dashboard = allDashboards().find((d) => d.dashboard.uid === 'borealis-failover')!.dashboard;
    for (const q of queriesOf(dashboard)) {
      // $__range covers the whole run; the annotation marks the epoch change of the drill.
      const expr = substituteVariables(q.expr, { globaldatabase: GD, rateInterval: '20s', range: '5m' });
      const where = `${q.panel} [${q.refId}]: ${expr}`;
      for (const s of selectorsIn(q.expr)) expect(['agent', 'control-plane', 'promotion'], where).toContain(METRICS[baseMetricName(s.name)]!.component);
      const r = q.refId === 'annotation'
        ? await prom!.client.query(`max_over_time((${expr})[2m:1s])`)
        : await prom!.client.query(expr);
      expect(r.length, `${where} returned nothing`).toBeGreaterThan(0);
    }
  });

  it('reports the promotion: failovers counted, RTO recorded, phases observed, epoch moved', async () => {
    const failovers = await prom!.client.query(`sum(borealis_failovers_total{globaldatabase="${GD}"})`);
    expect(Number(failovers[0]!.value[1])).toBe(1);
    const phases = await prom!.client.query(`sum by (phase) (borealis_promotion_phase_seconds_count{globaldatabase="${GD}"})`);
    expect(phases.map((p) => p.metric.phase)).toContain('promote');
    const epochs = await prom!.client.query(`max by (region) (borealis_epoch{globaldatabase="${GD}", job="borealis-agent"})`);
    expect(new Set(epochs.map((e) => e.value[1])).size).toBe(1);
    expect(Number(epochs[0]!.value[1])).toBeGreaterThan(1);
  });

  it('fires BorealisEpochChanged and BorealisFailoverHappened', async () => {
    const alerts = await until('both info alerts firing', async () => {
      const a = (await prom!.client.alerts()).filter((x) => x.state === 'firing').map((x) => x.labels.alertname);
      return a.includes('BorealisEpochChanged') && a.includes('BorealisFailoverHappened') ? a : undefined;
    }, 30_000);
    expect(alerts).toContain('BorealisEpochChanged');
  });

  it('renders the drill report in headless Chromium', async () => {
    const html = renderDrillReport(result.report);
    for (const p of result.report.phases) expect(html).toContain(`data-phase="${p.name}"`);
    for (const l of result.report.lag.filter((x) => x.samples.length > 0)) expect(html).toContain(`class="lag-line" data-region="${l.region}"`);
    expect(html).toContain('data-state="ok"');
    const page = join(dir, 'drill.html');
    const png = join(dir, 'drill.png');
    writeFileSync(page, html);
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${mkdtempSync(join(dir, 'profile-'))}`, '--window-size=1200,1400', `--screenshot=${png}`, `file://${page}`];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.env.CHROMIUM_BINARY ?? '/usr/bin/chromium', args, { stdio: 'ignore', detached: true });
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
  });
});
