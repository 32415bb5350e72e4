// The Prometheus launcher (cli/src/prometheus) against the real Debian prometheus binary, scraping a
// real region-agent metrics registry served over HTTP on 127.0.0.1, with the project's rule files.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusStartError, defaultRuleFiles, startPrometheus, thresholdRulesYaml, type RunningPrometheus } from '../../cli/src/prometheus/index.js';
import { AgentMetrics } from '../../region-agent/src/metrics/index.js';
import { eventually } from '../support/eventually.js';

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> =>
  eventually(what, fn, timeoutMs, 250);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pids of running processes with this exact argument suffix in their command line. */
function processesWithArg(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.endsWith(arg))) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

describe('startPrometheus', () => {
  let server: Server;
  let metricsUrl: string;
  let prom: RunningPrometheus | undefined;
  let dir: string;
  const lag = { seconds: 0.2 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'borealis-obs-prom-test-'));
    const metrics = new AgentMetrics('eu-west', {
      role: () => 'secondary',
      epoch: () => 4,
      ready: () => true,
      lagSeconds: () => lag.seconds,
      pendingMessages: () => 0,
    });
    server = createServer((_req, res) => {
      metrics
        .text()
        .then((t) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(t))
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const address = server.address();
    metricsUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`;
    // Thresholds from "configuration": a 0.5 s lag bound.
    const thresholds = join(dir, 'thresholds.yaml');
    writeFileSync(thresholds, thresholdRulesYaml({ maxLagSeconds: 0.5, rpoGuardSeconds: 5 }));
    prom = await startPrometheus({
      targets: [{ job: 'borealis-agent', url: metricsUrl, labels: { globaldatabase: 'itest', region: 'eu-west' } }],
      ruleFiles: [...defaultRuleFiles({ thresholds: false }), thresholds],
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and scrapes the target with its labels', async () => {
    expect(prom!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const targets = await until('target up', async () => {
      const t = await prom!.client.targets();
      return t.every((x) => x.health === 'up') && t.length === 1 ? t : undefined;
    });
    expect(targets[0]!.scrapeUrl).toBe(metricsUrl);
    expect(targets[0]!.labels).toMatchObject({ job: 'borealis-agent', globaldatabase: 'itest', region: 'eu-west' });
    const epoch = await prom!.client.query('borealis_epoch{globaldatabase="itest"}');
    expect(epoch).toHaveLength(1);
    expect(epoch[0]!.metric).toMatchObject({ region: 'eu-west', job: 'borealis-agent' });
    expect(epoch[0]!.value[1]).toBe('4');
  });

  it('loads every rule of dashboards/rules with the thresholds given, and evaluates them without error', async () => {
    const rules = await until('rules evaluated', async () => {
      const r = await prom!.client.rules();
      return r.length > 0 && r.every((x) => x.health === 'ok') ? r : undefined;
    });
    const names = rules.map((r) => r.name);
    expect(names).toContain('BorealisReplicationLagHigh');
    expect(names).toContain('borealis:region_lag_seconds');
    const bound = await prom!.client.query('borealis:replication_lag_bound_seconds');
    expect(bound.map((s) => s.value[1])).toEqual(['0.5']);
  });

  it('moves the lag alert to pending when the agent reports lag above the configured bound', async () => {
    const before = await prom!.client.alerts();
    expect(before.filter((a) => a.labels.alertname === 'BorealisReplicationLagHigh')).toEqual([]);
    lag.seconds = 0.8;
    const alert = await until('BorealisReplicationLagHigh pending', async () =>
      (await prom!.client.alerts()).find((a) => a.labels.alertname === 'BorealisReplicationLagHigh'),
    );
    expect(alert.state).toBe('pending');
    expect(alert.labels).toMatchObject({ globaldatabase: 'itest', region: 'eu-west', severity: 'warning' });
    expect(Number(alert.value)).toBeCloseTo(0.8, 5);
  });

  it('stop() ends the process by pid and removes its own temp dir', async () => {
    const { pid, dir: promDir } = prom!;
    expect(alive(pid)).toBe(true);
    await prom!.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(promDir)).toBe(false);
    prom = undefined;
  });

  it('fails with PrometheusStartError on an invalid rule file and leaves nothing behind', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - record: y\n        expr: sum(\n');
    const own = join(dir, 'own');
    const err = await startPrometheus({ targets: [], ruleFiles: [bad], dir: own, readyTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusStartError);
    expect(String((err as Error).cause)).toMatch(/bad\.yaml|parse|exited/i);
    expect(processesWithArg(join(own, 'prometheus.yml'))).toEqual([]);
  });
});
