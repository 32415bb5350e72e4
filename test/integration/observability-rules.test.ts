// promtool (Debian's prometheus package) on the project's rule files: `check rules` clean and the
// rule unit tests in dashboards/rules/*test*.yaml pass.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRuleFiles, rulesDir } from '../../cli/src/prometheus/index.js';

const promtool = process.env.PROMTOOL_BINARY ?? '/usr/bin/promtool';

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(promtool, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('promtool', () => {
  it('check rules: every rule file is valid', () => {
    const files = defaultRuleFiles();
    expect(files.map((f) => f.split('/').pop())).toEqual(['borealis-rules.yaml', 'borealis-thresholds.yaml']);
    const r = run(['check', 'rules', ...files]);
    expect(r.output).not.toMatch(/FAILED|WARNING/);
    expect(r.status, r.output).toBe(0);
  });

  it('test rules: the rule unit tests pass', () => {
    const tests = readdirSync(rulesDir()).filter((f) => f.includes('test') && f.endsWith('.yaml'));
    expect(tests.length).toBeGreaterThan(0);
    const r = run(['test', 'rules', ...tests.map((f) => join(rulesDir(), f))]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
  });
});
