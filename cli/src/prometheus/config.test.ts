import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPrometheusConfig, thresholdRulesYaml } from './config.js';
import { topologyScrapeTargets } from './targets.js';

interface PromConfigDoc {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: Record<string, string> }[] }[];
}
interface RulesDoc {
  groups: { name: string; rules: { record: string; expr: string }[] }[];
}

describe('buildPrometheusConfig', () => {
  it('groups targets by job and path, with their labels and honor_labels', () => {
    const yaml = buildPrometheusConfig({
      targets: [
        {
          job: 'borealis-agent',
          url: 'http://127.0.0.1:9101/metrics',
          labels: { globaldatabase: 'orders', region: 'us-east' },
        },
        {
          job: 'borealis-agent',
          url: 'http://127.0.0.1:9102/metrics',
          labels: { globaldatabase: 'orders', region: 'eu-west' },
        },
        {
          job: 'borealis-control-plane',
          url: 'http://127.0.0.1:9200/metrics',
          labels: { globaldatabase: 'orders' },
        },
      ],
      ruleFiles: ['/x/borealis-rules.yaml'],
      scrapeIntervalSeconds: 1,
    });
    const doc = parse(yaml) as PromConfigDoc;
    expect(doc.global).toEqual({
      scrape_interval: '1s',
      scrape_timeout: '1s',
      evaluation_interval: '1s',
    });
    expect(doc.rule_files).toEqual(['/x/borealis-rules.yaml']);
    expect(doc.scrape_configs).toEqual([
      {
        job_name: 'borealis-agent',
        honor_labels: true,
        scheme: 'http',
        metrics_path: '/metrics',
        static_configs: [
          {
            targets: ['127.0.0.1:9101'],
            labels: { globaldatabase: 'orders', region: 'us-east', job: 'borealis-agent' },
          },
          {
            targets: ['127.0.0.1:9102'],
            labels: { globaldatabase: 'orders', region: 'eu-west', job: 'borealis-agent' },
          },
        ],
      },
      {
        job_name: 'borealis-control-plane',
        honor_labels: true,
        scheme: 'http',
        metrics_path: '/metrics',
        static_configs: [
          {
            targets: ['127.0.0.1:9200'],
            labels: { globaldatabase: 'orders', job: 'borealis-control-plane' },
          },
        ],
      },
    ]);
  });

  it('gives a job scraped on two paths two job names but one job label', () => {
    const doc = parse(
      buildPrometheusConfig({
        targets: [
          { job: 'x', url: 'http://127.0.0.1:1/metrics', labels: {} },
          { job: 'x', url: 'http://127.0.0.1:2/other', labels: {} },
        ],
        ruleFiles: [],
      }),
    ) as PromConfigDoc;
    expect(doc.scrape_configs.map((c) => c.job_name)).toEqual(['x', 'x-2']);
    expect(doc.scrape_configs[1]!.static_configs[0]!.labels.job).toBe('x');
    expect(doc.global.scrape_interval).toBe('5s');
  });
});

describe('thresholdRulesYaml', () => {
  it('renders the two threshold recording rules', () => {
    const doc = parse(thresholdRulesYaml({ maxLagSeconds: 2, rpoGuardSeconds: 7.5 })) as RulesDoc;
    expect(doc.groups[0]?.rules).toEqual([
      { record: 'borealis:replication_lag_bound_seconds', expr: 'vector(2)' },
      { record: 'borealis:rpo_guard_seconds', expr: 'vector(7.5)' },
    ]);
  });

  it('refuses a bound that is not a positive number', () => {
    expect(() => thresholdRulesYaml({ maxLagSeconds: 0, rpoGuardSeconds: 5 })).toThrow(RangeError);
    expect(() => thresholdRulesYaml({ maxLagSeconds: 1, rpoGuardSeconds: Number.NaN })).toThrow(
      RangeError,
    );
  });
});

describe('topologyScrapeTargets', () => {
  it('scrapes every agent with its region and the control plane', () => {
    const targets = topologyScrapeTargets(
      {
        regions: [
          { name: 'us-east', metrics: 'http://127.0.0.1:7001/metrics' },
          { name: 'eu-west', metrics: 'http://127.0.0.1:7002/metrics' },
        ],
        controlPlane: 'http://127.0.0.1:7100',
      },
      'app',
    );
    expect(targets).toEqual([
      {
        job: 'borealis-agent',
        url: 'http://127.0.0.1:7001/metrics',
        labels: { globaldatabase: 'app', region: 'us-east' },
      },
      {
        job: 'borealis-agent',
        url: 'http://127.0.0.1:7002/metrics',
        labels: { globaldatabase: 'app', region: 'eu-west' },
      },
      {
        job: 'borealis-control-plane',
        url: 'http://127.0.0.1:7100/metrics',
        labels: { globaldatabase: 'app' },
      },
    ]);
  });
});
