import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHART_RULES_DIR, chartRuleFiles } from './chart-files.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('chart rule files', () => {
  it('charts/borealis/files/rules is an exact copy of dashboards/rules (run `npm run gen:crds` when this fails)', () => {
    const want = chartRuleFiles(root);
    const dir = join(root, CHART_RULES_DIR);
    const have = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.yaml'))
          .sort()
      : [];
    expect(have).toEqual([...want.keys()].sort());
    for (const [name, text] of want) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });
});
