#!/usr/bin/env node
// npm run bench:kind -- [--regions N] [--samples S] [--keep] [--reuse]
// Brings up the management cluster + N region clusters with hack/kind-up.sh (unless --reuse), then reports:
// time to Ready per cluster (kind create → CoreDNS rolled out), time until the GlobalDatabase is Ready and
// Replicating, the whole kind:up wall time, and the footprint per node container (docker stats: CPU % of one
// core and memory, averaged over S samples while the database is idle except for its heartbeats), plus the
// host's load. Drills are not measured: the operator's promotion driver and drill harness are not wired
// (docs/kind.md). Tears everything down with hack/kind-down.sh unless --keep.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const state = process.env.BOREALIS_KIND_STATE ?? join(homedir(), '.cache', 'borealis', 'kind');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const regions = Number(opt('regions', '3'));
const samples = Number(opt('samples', '5'));
const keep = args.includes('--keep');
const reuse = args.includes('--reuse');

function sh(cmd, cmdArgs, { allowFail = false } = {}) {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}`);
  return r.stdout ?? '';
}
const envFile = (p) =>
  Object.fromEntries(
    readFileSync(p, 'utf8')
      .split('\n')
      .map((l) => /^([A-Za-z0-9_]+)=(.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2].replace(/^"|"$/g, '')]),
  );
const mib = (s) => {
  const m = /^([\d.]+)\s*([KMG]i?B)/.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * { KiB: 1 / 1024, KB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 }[m[2]];
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

let failed = false;
const t0 = Date.now();
try {
  if (!reuse) {
    const r = spawnSync('bash', [join(root, 'hack', 'kind-up.sh'), '--regions', String(regions), '--skip-images'], { stdio: 'inherit' });
    if (r.status !== 0) {
      failed = true;
      console.error(`kind-up --regions ${regions} failed (exit ${r.status}); see its output above for the limiting step`);
    }
  }
  const upSeconds = (Date.now() - t0) / 1000;
  const readyTimes = existsSync(join(state, 'ready-times.tsv'))
    ? Object.fromEntries(
        readFileSync(join(state, 'ready-times.tsv'), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t'))
          .map(([c, s]) => [c, Number(s)]),
      )
    : {};
  const up = existsSync(join(state, 'kind-up.env')) ? envFile(join(state, 'kind-up.env')) : {};
  const clusters = [`borealis-${up.MGMT ?? 'global'}`, ...(up.REGIONS ?? '').split(' ').filter(Boolean).map((r) => `borealis-${r}`)];
  const perCluster = Object.fromEntries(clusters.map((c) => [c, { cpu: [], memMiB: [] }]));
  for (let i = 0; i < samples; i++) {
    const out = sh('/usr/bin/docker', ['stats', '--no-stream', '--format', '{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}'], { allowFail: true });
    for (const line of out.trim().split('\n')) {
      const [name, cpu, mem] = line.split('\t');
      const c = name?.replace(/-control-plane$/, '');
      if (c && perCluster[c]) {
        perCluster[c].cpu.push(Number.parseFloat(cpu));
        perCluster[c].memMiB.push(mib(mem.split('/')[0]));
      }
    }
  }
  const avg = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const footprint = Object.fromEntries(
    Object.entries(perCluster).map(([c, v]) => [c, { cpuPercentOfCore: +avg(v.cpu).toFixed(1), memMiB: Math.round(avg(v.memMiB)) }]),
  );
  const result = {
    bench: 'kind',
    regions,
    clusters: clusters.length,
    ok: !failed,
    kindUpSeconds: Math.round(upSeconds),
    clusterReadySeconds: readyTimes,
    clusterReadyP50: pct(Object.values(readyTimes), 50),
    clusterReadyP99: pct(Object.values(readyTimes), 99),
    globalDatabaseReadySeconds: up.GDB_READY_SECONDS ? Number(up.GDB_READY_SECONDS) : null,
    footprint,
    totalCpuPercentOfCore: +Object.values(footprint).reduce((a, f) => a + (f.cpuPercentOfCore || 0), 0).toFixed(1),
    totalMemMiB: Object.values(footprint).reduce((a, f) => a + (f.memMiB || 0), 0),
    hostLoad1m: +loadavg()[0].toFixed(1),
    drills: 'not measured: operator promotion driver and drill harness are not wired (docs/kind.md)',
  };
  console.table(Object.entries(footprint).map(([c, f]) => ({ cluster: c, readySeconds: readyTimes[c], ...f })));
  console.log(JSON.stringify(result));
} finally {
  if (!keep) spawnSync('bash', [join(root, 'hack', 'kind-down.sh')], { stdio: 'inherit' });
}
process.exit(failed ? 1 : 0);
