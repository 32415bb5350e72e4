import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thresholdRulesYaml } from './config.js';
import { startPrometheus, type RunningPrometheus } from './launcher.js';
import { defaultRuleFiles } from './rule-files.js';
import { topologyScrapeTargets, type ScrapableTopology } from './targets.js';

export interface TopologyPrometheusOptions {
  /** Value of the `globaldatabase` target label (default "local"). */
  globaldatabase?: string;
  /** Alert thresholds (defaults: the GlobalDatabase defaults, 1 s and 5 s). */
  maxLagSeconds?: number;
  rpoGuardSeconds?: number;
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
  binary?: string;
}

/**
 * `borealis up --prometheus`: a real Prometheus scraping every agent and the control plane of a local
 * topology (`topology.describe()`), with the Borealis rules and thresholds loaded. Its files live in
 * a temp dir removed by stop().
 */
export async function startTopologyPrometheus(topology: ScrapableTopology, opts: TopologyPrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'borealis-prometheus-'));
  try {
    const thresholds = join(dir, 'borealis-thresholds.yaml');
    writeFileSync(thresholds, thresholdRulesYaml({ maxLagSeconds: opts.maxLagSeconds ?? 1, rpoGuardSeconds: opts.rpoGuardSeconds ?? 5 }));
    const prom = await startPrometheus({
      targets: topologyScrapeTargets(topology, opts.globaldatabase ?? 'local'),
      ruleFiles: [...defaultRuleFiles({ thresholds: false }), thresholds],
      dir,
      scrapeIntervalSeconds: opts.scrapeIntervalSeconds ?? 5,
      evaluationIntervalSeconds: opts.evaluationIntervalSeconds,
      binary: opts.binary,
    });
    const stop = () => prom.stop();
    let stopping: Promise<void> | undefined;
    return {
      ...prom,
      stop: () => {
        stopping ??= stop().finally(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
