import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHART_RULES_DIR = join('charts', 'borealis', 'files', 'rules');
const HEADER =
  '# Copied from dashboards/rules by `npm run gen:crds` — edit the original, not this copy.\n';

/**
 * The Prometheus rule files the chart's PrometheusRule carries: dashboards/rules/*.yaml except unit-test files
 * and the thresholds file (the chart renders thresholds from its values). Empty when none exist yet.
 */
export function chartRuleFiles(repoRoot: string): Map<string, string> {
  const dir = join(repoRoot, 'dashboards', 'rules');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter(
      (f) => f.endsWith('.yaml') && !f.includes('test') && !f.includes('thresholds'),
    );
  } catch {
    return new Map();
  }
  return new Map(names.sort().map((n) => [n, HEADER + readFileSync(join(dir, n), 'utf8')]));
}
