import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's dashboards/rules folder (this file is cli/src/prometheus or cli/dist/prometheus). */
export function rulesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dashboards', 'rules');
}

/**
 * The rule files Borealis ships (every dashboards/rules/*.yaml but the promtool tests). With
 * `thresholds: false` the thresholds file is left out, for a caller that writes its own
 * (thresholdRulesYaml) — exactly one thresholds file must be loaded.
 */
export function defaultRuleFiles(opts: { thresholds?: boolean } = {}): string[] {
  const dir = rulesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.includes('test'))
    .filter((f) => opts.thresholds !== false || f !== 'borealis-thresholds.yaml')
    .sort()
    .map((f) => join(dir, f));
}
