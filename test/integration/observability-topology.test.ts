// Dashboards and rules against a running local topology (1 primary + 2 secondaries with region agents,
// the control plane) scraped by a real Prometheus (Debian package) with the Borealis rules loaded:
//  - `promtool check metrics` passes on every /metrics endpoint;
//  - every catalogued metric of a running component is scraped (series, or metadata for event-only ones);
//  - every panel query, annotation and rule expression parses on Prometheus, and panel queries and
//    recording rules return data wherever all their series come from running components;
//  - the replication lag alert goes pending when a secondary's apply stops (its NATS server frozen).
// Components not running in the local topology yet (promotion metrics, the operator) are listed and
// checked only when they appear: see docs/observability.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, baseMetricName, selectorsIn, type Component } from '../../dashboards/src/index.js';
import { rulesDir, startTopologyPrometheus, type RunningPrometheus } from '../../cli/src/prometheus/index.js';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';
import { checkDashboardQueries } from '../support/dashboard-queries.js';
import { eventually } from '../support/eventually.js';

const GD = 'itest';
/** Components the local topology runs: their series must exist. */
const RUNNING: Component[] = ['agent', 'control-plane', 'prometheus', 'rules'];
const vars = { globaldatabase: GD, rateInterval: '20s', range: '1m' };

let topo: Topology | undefined;
let prom: RunningPrometheus | undefined;

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 500): Promise<T> =>
  eventually(what, fn, timeoutMs, intervalMs);

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Components whose metrics Prometheus has seen (metadata), beyond the mandatory ones. */
async function presentComponents(): Promise<Set<Component>> {
  const meta = await prom!.client.metadata();
  const out = new Set<Component>(RUNNING);
  for (const [name, info] of Object.entries(METRICS)) if (meta[name] || meta[`${name}_bucket`]) out.add(info.component);
  return out;
}

interface RuleDoc {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}
const rules = readdirSync(rulesDir())
  .filter((f) => f.endsWith('.yaml') && !f.includes('test'))
  .flatMap((f) => (parse(readFileSync(join(rulesDir(), f), 'utf8')) as RuleDoc).groups.flatMap((g) => g.rules));

beforeAll(async () => {
  topo = await startTopology({
    regions: 3,
    postgresSettings: { fsync: 'off' },
    agentConfig: { heartbeat: { intervalMs: 100 } },
  });
  prom = await startTopologyPrometheus(topo.describe(), { globaldatabase: GD, scrapeIntervalSeconds: 1, evaluationIntervalSeconds: 1 });
  // Some user work for the data path: a table (DDL), rows (captured, published, applied, bytes).
  const writer = topo.describe().writer;
  await sql(writer, 'CREATE TABLE obs_items (id bigserial PRIMARY KEY, payload text NOT NULL)');
  for (let i = 0; i < 20; i++) await sql(writer, `INSERT INTO obs_items (payload) SELECT repeat('x', 200) FROM generate_series(1, 50)`);
  await until('every target scraped and up', async () => {
    const t = await prom!.client.targets();
    return t.length === 4 && t.every((x) => x.health === 'up');
  });
  // Rates over 20 s windows need samples spread over the window; lag series need a secondary's first apply.
  await until(
    'applied transactions rate on both secondaries and DDL applied',
    async () => {
      const rate = await prom!.client.query(`borealis:applied_transactions:rate1m{globaldatabase="${GD}"} > 0`);
      const ddl = await prom!.client.query(`borealis_ddl_applied_total{globaldatabase="${GD}"} > 0`);
      return rate.length >= 2 && ddl.length >= 2;
    },
    90_000,
  );
  await new Promise((r) => setTimeout(r, 22_000));
}, 300_000);

afterAll(async () => {
  try {
    await prom?.stop();
  } finally {
    await topo?.stop();
  }
}, 120_000);

describe('observability on a running topology', () => {
  it('promtool check metrics passes on every /metrics endpoint', async () => {
    const targets = await prom!.client.targets();
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['borealis-agent', 'borealis-agent', 'borealis-agent', 'borealis-control-plane']);
    for (const t of targets) {
      const text = await (await fetch(t.scrapeUrl)).text();
      const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`, t.scrapeUrl).toBe('');
      expect(r.status, t.scrapeUrl).toBe(0);
    }
  });

  it('every catalogued metric of a running component is scraped, with globaldatabase and (agents) region', async () => {
    const meta = await prom!.client.metadata();
    const present = await presentComponents();
    const report: string[] = [];
    for (const [name, info] of Object.entries(METRICS)) {
      if (!present.has(info.component) || info.component === 'rules') {
        report.push(`${name}: from ${info.component}, not running here — not checked`);
        continue;
      }
      const series = info.type === 'histogram' ? `${name}_bucket` : name;
      if (info.seriesBeforeFirstEvent) {
        const job = { agent: 'borealis-agent', 'control-plane': 'borealis-control-plane' }[info.component as string];
        const got = await prom!.client.query(`count by (job, region) (${series}{globaldatabase="${GD}"${job ? `, job="${job}"` : ''}})`);
        expect(got.length, `${series} has no series`).toBeGreaterThan(0);
        // Every agent exports it, under its own region.
        if (info.component === 'agent') expect(got.map((s) => s.metric.region).sort(), name).toEqual(topo!.regions.map((r) => r.name).sort());
        report.push(`${name}: ${got.length} series`);
      } else {
        // Created on the first event: its # HELP/# TYPE must be scraped already.
        expect(meta[name]?.[0]?.type, `${name} metadata`).toBe(info.type);
        report.push(`${name}: metadata only (no event yet)`);
      }
    }
    console.log(`catalogue check:\n  ${report.join('\n  ')}`);
  });

  it('the dashboards\' template variables resolve', async () => {
    expect(await prom!.client.labelValues('globaldatabase', 'borealis_epoch')).toEqual([GD]);
    const regions = await prom!.client.labelValues('region', `borealis_region_role{globaldatabase="${GD}"}`);
    expect(regions.sort()).toEqual(topo!.regions.map((r) => r.name).sort());
  });

  it('every panel query and annotation parses, and returns data when its series come from running components', async () => {
    const present = await presentComponents();
    const { checked, skipped } = await checkDashboardQueries(prom!.client, vars, present);
    console.log(`panel queries with data: ${checked.length}; parse-only (component not running, event-only series, or annotation): ${skipped.length}\n  ${skipped.join('\n  ')}`);
    expect(checked.length).toBeGreaterThan(0);
  });

  it('every rule expression parses; recording rules of running components have data; every rule is healthy', async () => {
    const present = await presentComponents();
    for (const r of rules) {
      const where = `${r.alert ?? r.record}: ${r.expr}`;
      const result = await prom!.client.query(r.expr).catch((err: unknown) => {
        throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
      });
      const refs = selectorsIn(r.expr);
      for (const s of refs) {
        const info = METRICS[baseMetricName(s.name)];
        if (info && (!present.has(info.component) || !info.seriesBeforeFirstEvent)) continue;
        const got = await prom!.client.query(s.selector);
        expect(got.length, `${where}: selector ${s.selector} matches nothing`).toBeGreaterThan(0);
      }
      const allRunning = refs.every((s) => {
        const info = METRICS[baseMetricName(s.name)];
        return !info || (present.has(info.component) && info.seriesBeforeFirstEvent);
      });
      // Recording rules whose inputs exist must produce data; alerts are empty on a healthy topology.
      if (r.record && allRunning) expect(result.length, `${where} returned nothing`).toBeGreaterThan(0);
    }
    const loaded = await prom!.client.rules();
    expect(loaded.length).toBe(rules.length);
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
    // On a healthy topology no warning or critical alert is pending or firing.
    const alerts = (await prom!.client.alerts()).filter((a) => a.labels.severity !== 'info');
    expect(alerts.map((a) => `${a.labels.alertname} ${a.labels.region ?? ''} ${a.state}`)).toEqual([]);
  });

  it('the lag alert goes pending when a secondary stops applying, and clears when it resumes', async () => {
    const secondary = topo!.regions.find((r) => r.role === 'secondary')!;
    const other = topo!.regions.find((r) => r.role === 'secondary' && r.name !== secondary.name)!;
    // Freeze the secondary's NATS server: its mirror and apply's input stop while the agent keeps serving
    // /metrics. (Freezing only the postmaster would not do: existing backends, e.g. apply's, keep running.)
    expect(topo!.pause(secondary.name, 'nats')).toBe(true);
    try {
      const alert = await until(
        `BorealisReplicationLagHigh for ${secondary.name}`,
        async () =>
          (await prom!.client.alerts()).find(
            (a) => a.labels.alertname === 'BorealisReplicationLagHigh' && a.labels.region === secondary.name && (a.state === 'pending' || a.state === 'firing'),
          ),
        60_000,
      );
      expect(alert.labels).toMatchObject({ globaldatabase: GD, severity: 'warning', job: 'borealis-agent' });
      expect(Number(alert.value)).toBeGreaterThan(1);
      // The other secondary keeps up: no lag alert for it, and the RPO guard is not at risk.
      const alerts = await prom!.client.alerts();
      expect(alerts.filter((a) => a.labels.alertname === 'BorealisReplicationLagHigh' && a.labels.region === other.name)).toEqual([]);
      expect(alerts.filter((a) => a.labels.alertname === 'BorealisRPOGuardAtRisk')).toEqual([]);
    } finally {
      topo!.resume(secondary.name, 'nats');
    }
    await until(
      `BorealisReplicationLagHigh for ${secondary.name} to clear`,
      async () => !(await prom!.client.alerts()).some((a) => a.labels.alertname === 'BorealisReplicationLagHigh'),
      60_000,
    );
  });
});
