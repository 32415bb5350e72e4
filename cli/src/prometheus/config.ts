import { stringify } from 'yaml';

/** One endpoint for Prometheus to scrape. */
export interface ScrapeTarget {
  /** Scrape job: `borealis-agent`, `borealis-control-plane`, `borealis-operator` (the rules expect these). */
  job: string;
  /** Full URL of the metrics endpoint, e.g. http://127.0.0.1:9101/metrics. */
  url: string;
  /** Target labels: `globaldatabase` on every target, `region` on agents. */
  labels: Record<string, string>;
}

export interface PrometheusConfigOptions {
  targets: ScrapeTarget[];
  /** Absolute paths of rule files. */
  ruleFiles: string[];
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
}

/**
 * prometheus.yml for the given targets (pure). One scrape job per `job` and metrics path; every target
 * in its own static_config with its labels. honor_labels: the agent's own `region` label wins over the
 * target label, which still names the target's `up` series.
 */
export function buildPrometheusConfig(opts: PrometheusConfigOptions): string {
  const scrape = opts.scrapeIntervalSeconds ?? 5;
  const evaluation = opts.evaluationIntervalSeconds ?? scrape;
  const jobs = new Map<
    string,
    {
      job: string;
      scheme: string;
      path: string;
      targets: { host: string; labels: Record<string, string> }[];
    }
  >();
  for (const t of opts.targets) {
    const url = new URL(t.url);
    const scheme = url.protocol.replace(':', '');
    const path = url.pathname || '/metrics';
    const key = `${t.job}\u0000${scheme}\u0000${path}`;
    let job = jobs.get(key);
    if (!job) {
      job = { job: t.job, scheme, path, targets: [] };
      jobs.set(key, job);
    }
    job.targets.push({ host: url.host, labels: t.labels });
  }
  const names = new Map<string, number>();
  const scrapeConfigs = [...jobs.values()].map((j) => {
    // Two paths for one job need distinct job_names; the `job` label stays the same.
    const n = (names.get(j.job) ?? 0) + 1;
    names.set(j.job, n);
    return {
      job_name: n === 1 ? j.job : `${j.job}-${n}`,
      honor_labels: true,
      scheme: j.scheme,
      metrics_path: j.path,
      static_configs: j.targets.map((t) => ({
        targets: [t.host],
        labels: { ...t.labels, job: j.job },
      })),
    };
  });
  return stringify({
    global: {
      scrape_interval: `${scrape}s`,
      scrape_timeout: `${Math.max(1, Math.min(scrape, 10))}s`,
      evaluation_interval: `${evaluation}s`,
    },
    rule_files: opts.ruleFiles,
    scrape_configs: scrapeConfigs,
  });
}

/** The thresholds of the alert rules (dashboards/rules/borealis-thresholds.yaml), from a GlobalDatabase's settings. */
export function thresholdRulesYaml(opts: {
  maxLagSeconds: number;
  rpoGuardSeconds: number;
}): string {
  for (const [k, v] of Object.entries(opts)) {
    if (!Number.isFinite(v) || v <= 0)
      throw new RangeError(`${k} must be a positive number, got ${v}`);
  }
  return stringify({
    groups: [
      {
        name: 'borealis-thresholds',
        rules: [
          {
            record: 'borealis:replication_lag_bound_seconds',
            expr: `vector(${opts.maxLagSeconds})`,
          },
          { record: 'borealis:rpo_guard_seconds', expr: `vector(${opts.rpoGuardSeconds})` },
        ],
      },
    ],
  });
}
