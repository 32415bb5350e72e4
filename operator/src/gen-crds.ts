#!/usr/bin/env node
/**
 * Writes the chart's generated files: charts/borealis/crds/*.yaml from operator/src/api/crds.ts (the single
 * source of truth) and charts/borealis/files/rules/*.yaml copied from dashboards/rules.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHART_RULES_DIR, chartRuleFiles } from './api/chart-files.js';
import { renderCrdFiles } from './api/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const write = (dir: string, files: Map<string, string>): void => {
  const abs = join(root, dir);
  mkdirSync(abs, { recursive: true });
  for (const f of readdirSync(abs)) if (f.endsWith('.yaml') && !files.has(f)) rmSync(join(abs, f));
  for (const [name, text] of files) {
    writeFileSync(join(abs, name), text);
    console.log(`wrote ${join(dir, name)}`);
  }
};
write(join('charts', 'borealis', 'crds'), renderCrdFiles());
write(CHART_RULES_DIR, chartRuleFiles(root));
