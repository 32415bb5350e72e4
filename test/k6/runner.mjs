// Runs a k6 scenario of test/k6 against a running topology (`npm run load -- <scenario>`, the demo's --k6,
// test/integration/k6-smoke.test.ts). k6 (v1) runs the TypeScript scenarios directly: no build step.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

export const SCENARIOS = ['smoke', 'read-heavy', 'write-forwarding', 'mixed-oltp', 'failover'];

/** Thrown for a run that could not start (no k6, no topology, unknown scenario). */
export class LoadRunError extends Error {
  name = 'LoadRunError';
}

/** The k6 binary: $K6_BIN, else the project's tool cache (`bash hack/tools.sh install k6` builds it). */
export function k6Binary() {
  if (process.env.K6_BIN) return process.env.K6_BIN;
  const r = spawnSync('bash', [join(repo, 'hack/tools.sh'), 'path'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  const bin = dir ? join(dir, 'k6') : '';
  return bin && existsSync(bin) ? bin : null;
}

/**
 * The topology to load: `--topology <json|file>`, $BOREALIS_TOPOLOGY_JSON, or the state file of a running
 * `borealis up` ($BOREALIS_STATE_DIR/topology.json, as `borealis status` reads it).
 */
export async function findTopology(arg) {
  const text = arg ?? process.env.BOREALIS_TOPOLOGY_JSON;
  if (text) return JSON.parse(text.trim().startsWith('{') ? text : readFileSync(text, 'utf8'));
  const { readState, stateFilePath } = await import(join(repo, 'cli/dist/state/index.js'));
  const path = stateFilePath();
  const state = readState(path);
  if (!state || state.status !== 'ready' || !state.description) {
    throw new LoadRunError(`no running topology: ${path} ${state ? `is ${state.status}` : 'does not exist'}; start one with "npx borealis up" (or pass --topology "$(npx borealis up --json)")`);
  }
  return state.description;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Per-second request count, failures and latency quantiles by kind, from k6's JSON output. */
export async function timelineFromJson(file) {
  const buckets = new Map(); // second -> kind -> {d: [], failed: n, total: n}
  const errors = new Map(); // "region code status" -> count
  let t0 = Infinity;
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.includes('"Point"')) continue;
    const p = JSON.parse(line);
    if (p.metric === 'borealis_data_api_errors') {
      const key = `${p.data.tags?.region ?? '?'} ${p.data.tags?.code ?? '?'} (HTTP ${p.data.tags?.status ?? '?'})`;
      errors.set(key, (errors.get(key) ?? 0) + p.data.value);
      continue;
    }
    if (p.metric !== 'http_req_duration' && p.metric !== 'http_req_failed') continue;
    const kind = p.data.tags?.kind;
    if (kind !== 'write' && kind !== 'read' && kind !== 'transfer') continue;
    const t = Date.parse(p.data.time);
    t0 = Math.min(t0, t);
    const sec = Math.floor(t / 1000);
    if (!buckets.has(sec)) buckets.set(sec, new Map());
    const b = buckets.get(sec);
    if (!b.has(kind)) b.set(kind, { d: [], failed: 0, total: 0 });
    const k = b.get(kind);
    if (p.metric === 'http_req_duration') k.d.push(p.data.value);
    else {
      k.total++;
      if (p.data.value) k.failed++;
    }
  }
  const first = Math.floor(t0 / 1000);
  timelineFromJson.lastErrors = [...errors.entries()].sort((a, b) => b[1] - a[1]);
  return [...buckets.keys()].sort((a, b) => a - b).map((sec) => {
    const row = { t: sec - first, kinds: {} };
    for (const [kind, k] of buckets.get(sec)) {
      const d = k.d.sort((a, b) => a - b);
      row.kinds[kind] = { requests: k.total, failed: k.failed, errorRate: k.total ? k.failed / k.total : 0, p50: quantile(d, 0.5), p95: quantile(d, 0.95) };
    }
    return row;
  });
}

export function renderTimeline(rows) {
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.kinds)))].sort().reverse();
  const head = ['t(s)', ...kinds.flatMap((k) => [`${k}/s`, `${k} err%`, `${k} p50 ms`, `${k} p95 ms`])];
  const lines = [head.join('\t')];
  for (const r of rows) {
    lines.push([String(r.t), ...kinds.flatMap((k) => {
      const x = r.kinds[k];
      return x ? [String(x.requests), (100 * x.errorRate).toFixed(1), x.p50.toFixed(1), x.p95.toFixed(1)] : ['-', '-', '-', '-'];
    })].join('\t'));
  }
  return lines.join('\n');
}

/**
 * Runs one scenario. Resolves with k6's exit code (0 = every threshold held, 99 = a threshold failed),
 * the summary export and, with timeline, the per-second table.
 */
export async function runScenario({ scenario, topology, env = {}, k6Args = [], timeline = scenario === 'failover', during, drill: drillSpec, duringAfterS = 10, out = (s) => process.stdout.write(s), err = (s) => process.stderr.write(s), signal }) {
  if (!SCENARIOS.includes(scenario)) throw new LoadRunError(`unknown scenario ${JSON.stringify(scenario)}: one of ${SCENARIOS.join(', ')}`);
  const k6 = k6Binary();
  if (!k6) throw new LoadRunError('k6 is not built: run "bash hack/tools.sh install k6" (or set K6_BIN)');
  if (!topology?.dataApiToken) throw new LoadRunError('the topology description has no dataApiToken (is it older than the Data API?)');
  const regions = topology.regions.map((r) => ({ name: r.name, role: r.role, http: r.http }));
  const dir = mkdtempSync(join(tmpdir(), 'borealis-k6-'));
  const summary = join(dir, 'summary.json');
  const json = join(dir, 'points.json');
  const args = ['run', '--no-color', '--quiet', '--summary-export', summary, ...(timeline ? ['--out', `json=${json}`] : []), ...k6Args, join(here, `${scenario}.ts`)];
  let drill;
  try {
    const child = spawn(k6, args, {
      env: { ...process.env, ...(drillSpec ? { DRILL_AT_S: String(duringAfterS) } : {}), ...env, BOREALIS_REGIONS: JSON.stringify(regions), BOREALIS_DATA_API_TOKEN: topology.dataApiToken, K6_NO_USAGE_REPORT: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => out(d.toString()));
    child.stderr.on('data', (d) => err(d.toString()));
    const onAbort = () => child.kill('SIGINT');
    signal?.addEventListener('abort', onAbort, { once: true });
    let drillTimer;
    let drillResult;
    if (drillSpec) {
      // `<type>[:<fault>]`, e.g. switchover, failover:kill — the control plane's POST /promotion/drill.
      const [type, fault] = drillSpec.split(':');
      drillTimer = setTimeout(() => {
        err(`[load] t+${duringAfterS}s: ${type} drill${fault ? ` (fault ${fault})` : ''} through ${topology.controlPlane}/promotion/drill\n`);
        drillResult = fetch(`${topology.controlPlane}/promotion/drill`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type, ...(fault ? { fault } : {}) }),
        })
          .then(async (res) => ({ status: res.status, body: await res.json() }))
          .then((r) => {
            const b = r.body;
            err(r.status === 200
              ? `[load] drill done: ${b.drill.from} -> ${b.drill.to}, RTO ${b.rtoSeconds} s (detect ${b.phases.detectS}, decide+fence ${b.phases.decideFenceS}, promote ${b.phases.promoteS}, reroute ${b.phases.rerouteS}), RPO ${b.rpo.transactions} transaction(s)\n`
              : `[load] drill failed: HTTP ${r.status} ${JSON.stringify(b)}\n`);
            return r;
          })
          .catch((e) => err(`[load] drill request failed: ${e.message}\n`));
      }, duringAfterS * 1000);
    } else if (during) {
      drillTimer = setTimeout(() => {
        err(`[load] t+${duringAfterS}s: running ${during}\n`);
        drill = spawn('bash', ['-c', during], { stdio: ['ignore', 'inherit', 'inherit'] });
        drill.on('exit', (code) => err(`[load] drill command exited with ${code}\n`));
      }, duringAfterS * 1000);
    }
    const code = await new Promise((res, rej) => {
      child.on('error', rej);
      child.on('exit', (c, sig) => res(c ?? (sig ? 128 : 1)));
    });
    clearTimeout(drillTimer);
    signal?.removeEventListener('abort', onAbort);
    if (drill && drill.exitCode === null) await new Promise((r) => drill.on('exit', r));
    const result = { code, summary: existsSync(summary) ? JSON.parse(readFileSync(summary, 'utf8')) : null, timeline: null, drill: drillResult ? await drillResult : null };
    if (timeline && existsSync(json)) {
      result.timeline = await timelineFromJson(json);
      out(`\nerror rate and latency over time (${scenario}):\n${renderTimeline(result.timeline)}\n`);
      result.errors = timelineFromJson.lastErrors;
      if (result.errors.length > 0) out(`errors by region and code:\n${result.errors.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`).join('\n')}\n`);
    }
    return result;
  } finally {
    if (drill && drill.exitCode === null && drill.pid) drill.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
