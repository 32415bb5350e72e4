#!/usr/bin/env node
// Runs the whole suite (unit + integration) with vitest and ends with a plain
// "N passed, N failed, N skipped" line computed from vitest's JSON report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'borealis-test-report-'));
const report = join(dir, 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  for (const file of json.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') failed++;
      else skipped++;
    }
    // A file that failed to load (syntax error, failed beforeAll) has no assertions: count it as failed.
    if ((file.assertionResults ?? []).length === 0 && file.status === 'failed') failed++;
  }
} catch (err) {
  console.error(`could not read the vitest report: ${err.message}`);
  failed++;
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
