// A short k6 run (test/k6/smoke.ts, TypeScript run directly by k6) against a real local topology of
// 3 regions: forwarded session writes read back at once, token reads in the other regions. k6 must exit 0
// with every threshold held, and exit 99 when a threshold is made impossible (thresholds really bite).
// k6 is built from its Go module into the tool cache when missing; only if that fails is the file skipped.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';
// @ts-expect-error plain ESM module without type declarations (test/k6/runner.mjs)
import { k6Binary, runScenario } from '../k6/runner.mjs';

const repo = resolve(import.meta.dirname, '../..');

function ensureK6(): { bin: string | null; reason: string } {
  let bin = (k6Binary as () => string | null)();
  if (bin) return { bin, reason: '' };
  const r = spawnSync('bash', [join(repo, 'hack/tools.sh'), 'install', 'k6'], { encoding: 'utf8', timeout: 900_000 });
  bin = (k6Binary as () => string | null)();
  return bin ? { bin, reason: '' } : { bin: null, reason: `k6 could not be built (bash hack/tools.sh install k6 exited ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
}

const k6 = ensureK6();
if (!k6.bin) console.warn(`k6-smoke skipped: ${k6.reason}`);

interface RunResult {
  code: number;
  summary: { metrics: Record<string, Record<string, number>> } | null;
}
const run = runScenario as (o: Record<string, unknown>) => Promise<RunResult>;

describe.skipIf(!k6.bin)('k6 smoke scenario against the local topology', () => {
  let topo: Topology;
  let output = '';
  const sink = (s: string) => {
    output += s;
  };

  beforeAll(async () => {
    topo = await startTopology({ regions: 3, postgresSettings: { fsync: 'off' }, agentConfig: { heartbeat: { intervalMs: 100 } } });
  });
  afterAll(async () => {
    await topo?.stop();
  });

  it('holds every threshold: no failed request, every check passed, p95 under the limit', async () => {
    const vus = 2;
    const iterations = 10;
    const r = await run({ scenario: 'smoke', topology: topo.describe(), env: { VUS: String(vus), ITERATIONS: String(iterations) }, out: sink, err: sink });
    expect(r.code, output).toBe(0);
    const m = r.summary!.metrics;
    const regions = topo.regions.length;
    // setup: create two tables and seed (3 requests); each iteration: a write, a read, a token read per other region
    expect(m.http_reqs!.count).toBe(3 + vus * iterations * (2 + (regions - 1)));
    expect(m.checks!.fails).toBe(0);
    expect(m.checks!.passes).toBe(vus * iterations * (2 + 1 + (regions - 1)));
    expect(m.http_req_failed!.value).toBe(0);
  });

  it('fails (exit 99) when a threshold cannot hold', async () => {
    output = '';
    const r = await run({ scenario: 'smoke', topology: topo.describe(), env: { VUS: '1', ITERATIONS: '2', SMOKE_P95_MS: '0.001' }, out: sink, err: sink });
    expect(r.code, output).toBe(99);
    expect(output).toMatch(/thresholds on metrics '[^']*http_req_duration\{kind:(read|write)\}[^']*' have been crossed/);
  });
});
