#!/usr/bin/env node
// npm run bench:kind -- [--regions N] [--footprint-seconds S] [--drills D] [--keep] [--reuse]
//                       [--faults freeze,partition,kill] [--writes-per-second W]
//                       [--ready-timeout S] [--drill-timeout S] [--database NAME]
//                       [--report-drills NAME,NAME…]
//
// Brings up the management cluster + N region clusters with hack/kind-up.sh --skip-images (unless
// --reuse: then the clusters that ~/.cache/borealis/kind/kind-up.env names are measured as they are),
// then reports:
// - time to Ready per cluster (kind create → CoreDNS rolled out, from kind-up's ready-times.tsv), time
//   until the GlobalDatabase was Ready and Replicating, the whole kind:up wall time;
// - the footprint per node container over one window of S seconds (default 60) while the database is
//   idle except for its heartbeats and the operator's polling: CPU (the container's cgroup CPU time, % of
//   one core), memory (docker stats), and CPU per component (every process in the node: the kind
//   control plane — kube-apiserver, etcd, kubelet, controller-manager, scheduler, containerd, add-ons —
//   and the workload — PostgreSQL, nats-server, the agent or operator); with fewer than 6 regions also
//   what 1 management + 6 region clusters would need at the measured rates; the host's load average;
// - D failover drills (default 6; --drills 0 skips them), round-robin over the faults (freeze,
//   partition, kill), each a new FailoverDrill object against the then-current primary, then one
//   switchover back to the region that was primary when the bench started (fail-back). Before every
//   drill and after the last one the bench waits until the GlobalDatabase is Ready with every region
//   ready (--ready-timeout, default 180 s); a drill without a result within --drill-timeout (default
//   300 s), or after which the database does not come back Ready in time, counts as failed — the bench
//   goes on with the next one. Per drill one line (fault, from → to, RTO, RPO, acknowledged writes,
//   detect/promote/reroute seconds from .status.phases, seconds until Ready again), then RTO p50/p99
//   (nearest rank) and RPO p50/max per fault, for the switchover, over all failovers and over all drills.
// --report-drills runs no drill: it reports (same lines, same summary) FailoverDrill objects that
// already exist, e.g. ones applied by hand (their "Ready again" is not known).
// Ends with one JSON line {"bench":"kind",...}. Tears everything down with hack/kind-down.sh unless
// --keep (always pass --keep with --reuse when the clusters are still needed).
//
// Figures and what limits --regions 6 on a 2-core host: docs/kind.md ("1 + 5 regions").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureNodes } from './support/node-footprint.mjs';

const root = join(import.meta.dirname, '..', '..');
const state = process.env.BOREALIS_KIND_STATE ?? join(homedir(), '.cache', 'borealis', 'kind');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const regions = Number(opt('regions', '3'));
const footprintSeconds = Number(opt('footprint-seconds', '60'));
const drillCount = Number(opt('drills', '6'));
const faults = opt('faults', 'freeze,partition,kill').split(',').filter(Boolean);
const writesPerSecond = Number(opt('writes-per-second', '50'));
const readyTimeout = Number(opt('ready-timeout', '180'));
const drillTimeout = Number(opt('drill-timeout', '300'));
const database = opt('database', 'orders');
const namespace = 'default';
const reportDrills = opt('report-drills', '').split(',').filter(Boolean);
const keep = args.includes('--keep');
const reuse = args.includes('--reuse');

function sh(cmd, cmdArgs, { allowFail = false, input, quiet = false } = {}) {
  const r = spawnSync(cmd, cmdArgs, {
    encoding: 'utf8',
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', quiet ? 'pipe' : 'inherit'],
    maxBuffer: 64 << 20,
    env: { ...process.env, PATH: toolsPath },
  });
  if (r.status !== 0 && !allowFail)
    throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${r.stderr ?? ''}`);
  return r.status === 0 ? (r.stdout ?? '') : null;
}
const toolsPath = (() => {
  const r = spawnSync('bash', [join(root, 'hack', 'tools.sh'), 'path'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim()
    ? `${r.stdout.trim()}:${process.env.PATH}`
    : process.env.PATH;
})();
const envFile = (p) =>
  Object.fromEntries(
    readFileSync(p, 'utf8')
      .split('\n')
      .map((l) => /^([A-Za-z0-9_]+)=(.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2].replace(/^"|"$/g, '')]),
  );
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null;
};
const avg = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const round = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? +x.toFixed(d) : null);
const procLoad = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const log = (msg) => console.error(`[bench:kind ${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}`);

// --- drills -----------------------------------------------------------------------------------
let mgmtKubeconfig = '';
const kubectl = (kargs, o = {}) =>
  sh('kubectl', ['--kubeconfig', mgmtKubeconfig, '-n', namespace, ...kargs], {
    allowFail: true,
    quiet: true,
    ...o,
  });
const getJson = (kind, name) => {
  const out = kubectl(['get', kind, name, '-o', 'json', '--request-timeout=10s']);
  try {
    return out ? JSON.parse(out) : null;
  } catch {
    return null;
  }
};
const gdbState = () => {
  const g = getJson('globaldatabase', database);
  const total = g?.spec?.regions?.length ?? 0;
  const ready = g?.status?.regionsReady ?? '?';
  return {
    phase: g?.status?.phase ?? '?',
    regionsReady: ready,
    primary: g?.status?.primaryRegion ?? null,
    specPrimary: g?.spec?.primaryRegion ?? null,
    regions: (g?.spec?.regions ?? []).map((r) => r.name),
    notReady: (g?.status?.regions ?? [])
      .filter((r) => !r.ready)
      .map((r) => `${r.name}: ${r.message ?? '?'}`)
      .join('; '),
    ok: g?.status?.phase === 'Ready' && total > 0 && ready === `${total}/${total}`,
  };
};
async function waitReady(timeoutS) {
  const start = Date.now();
  let s = gdbState();
  while (!s.ok && Date.now() - start < timeoutS * 1000) {
    await sleep(2000);
    s = gdbState();
  }
  return { ...s, seconds: (Date.now() - start) / 1000 };
}
const phaseSeconds = (st, name) => st?.phases?.find((p) => p.name === name)?.seconds ?? null;

async function runDrill(i, kind, fault, targetRegion) {
  const name = `bench-${runId}-${i}-${fault ?? 'switchover'}`;
  const spec =
    kind === 'switchover'
      ? {
          globalDatabase: database,
          type: 'switchover',
          targetRegion,
          workload: { writesPerSecond },
        }
      : { globalDatabase: database, type: 'failover', fault, workload: { writesPerSecond } };
  const manifest = {
    apiVersion: 'borealis.dev/v1alpha1',
    kind: 'FailoverDrill',
    metadata: { name, namespace },
    spec,
  };
  const d = { drill: i, name, type: kind, fault: fault ?? null, ok: false };
  if (kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) }) === null) {
    d.message = 'kubectl apply of the FailoverDrill failed';
    return d;
  }
  const start = Date.now();
  let st;
  for (;;) {
    st = getJson('failoverdrill', name)?.status;
    if (st?.result) break;
    if (Date.now() - start > drillTimeout * 1000) {
      d.message = `no result after ${drillTimeout} s (phase ${st?.phase ?? '?'}, last ${st?.phases?.at(-1)?.name ?? '?'})`;
      break;
    }
    await sleep(1000);
  }
  collect(d, st);
  // The old primary rejoins as a secondary; the next drill needs every region ready again.
  const w = await waitReady(readyTimeout);
  d.readyAgainSeconds = w.ok ? round(w.seconds) : null;
  if (!w.ok) {
    d.ok = false;
    d.message = `${d.message ?? ''}; not Ready ${w.regionsReady} within ${readyTimeout} s after the drill (phase ${w.phase}; ${w.notReady})`;
  }
  return d;
}
function collect(d, st) {
  Object.assign(d, {
    result: st?.result ?? 'Timeout',
    from: st?.from ?? null,
    to: st?.to ?? null,
    rtoSeconds: st?.rtoSeconds ?? null,
    rpoTransactions: st?.rpoTransactions ?? null,
    rpoSeconds: st?.rpoSeconds ?? null,
    acknowledgedWrites: st?.acknowledgedWrites ?? null,
    detectSeconds: phaseSeconds(st, 'Detecting'),
    promoteSeconds: phaseSeconds(st, 'Promoting'),
    rerouteSeconds: phaseSeconds(st, 'Rerouting'),
    verifySeconds: phaseSeconds(st, 'Verifying'),
    promotionPhases: Object.fromEntries(
      (st?.promotionPhases ?? []).map((p) => [p.name, p.seconds]),
    ),
    message: d.message ?? st?.message ?? null,
  });
  d.ok = d.result === 'Succeeded';
  return d;
}
const fmt = (x, unit = '') => (x === null || x === undefined ? '–' : `${x}${unit}`);
const drillLine = (d) =>
  `#${d.drill} ${(d.fault ?? 'switchover').padEnd(10)} ${fmt(d.from).padStart(8)} → ${fmt(d.to).padEnd(8)} ` +
  `RTO ${fmt(d.rtoSeconds, ' s').padStart(9)}  RPO ${fmt(d.rpoTransactions).padStart(3)} tx  ` +
  `ack ${fmt(d.acknowledgedWrites).padStart(4)}  detect ${fmt(d.detectSeconds, ' s')}  ` +
  `promote ${fmt(d.promoteSeconds, ' s')}  reroute ${fmt(d.rerouteSeconds, ' s')}  ` +
  `Ready again ${fmt(d.readyAgainSeconds, ' s')}  ${d.ok ? 'ok' : `FAILED (${d.result}): ${d.message}`}`;
const summarize = (ds) => {
  const rto = ds.map((d) => d.rtoSeconds).filter((x) => typeof x === 'number');
  const rpo = ds.map((d) => d.rpoTransactions).filter((x) => typeof x === 'number');
  return {
    drills: ds.length,
    failed: ds.filter((d) => !d.ok).length,
    rtoP50: pct(rto, 50),
    rtoP99: pct(rto, 99),
    rpoP50: pct(rpo, 50),
    rpoMax: rpo.length ? Math.max(...rpo) : null,
  };
};

// --- main -------------------------------------------------------------------------------------
let failed = false;
const t0 = Date.now();
const runId = new Date(t0).toISOString().replace(/[-:T]/g, '').slice(4, 14).replace(/\..*/, '');
const loadBefore = procLoad();
try {
  if (!reuse) {
    const r = spawnSync(
      'bash',
      [join(root, 'hack', 'kind-up.sh'), '--regions', String(regions), '--skip-images'],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) {
      failed = true;
      console.error(
        `kind-up --regions ${regions} failed (exit ${r.status}); see its output above for the limiting step`,
      );
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
  const mgmt = `borealis-${up.MGMT ?? 'global'}`;
  mgmtKubeconfig = join(state, `${mgmt}.kubeconfig`);
  const regionClusters = (up.REGIONS ?? '')
    .split(' ')
    .filter(Boolean)
    .map((r) => `borealis-${r}`);
  const clusters = [mgmt, ...regionClusters];

  // Footprint first, while the database is idle except for its heartbeats and the operator's polling.
  log(
    `footprint: cgroup CPU time and per-process CPU of ${clusters.length} nodes over ${footprintSeconds} s`,
  );
  const nodes = await measureNodes(
    clusters.map((c) => `${c}-control-plane`),
    footprintSeconds,
  );
  const footprint = Object.fromEntries(
    clusters.map((c) => {
      const n = nodes[`${c}-control-plane`];
      return [
        c,
        {
          cpuPercentOfCore: n.cpuPercentOfCore,
          controlPlaneCpuPercent: n.controlPlaneCpuPercent,
          memMiB: n.memMiB,
          components: n.components,
        },
      ];
    }),
  );
  const regionCpu = regionClusters
    .map((c) => footprint[c]?.cpuPercentOfCore)
    .filter((x) => x != null);
  const regionMem = regionClusters.map((c) => footprint[c]?.memMiB).filter(Number.isFinite);
  // What --regions 6 (management + 6 region clusters) would need idle at the rates just measured.
  const sixRegions =
    regionCpu.length > 0 && regionClusters.length < 6
      ? {
          clusters: 7,
          cpuPercentOfCore: round((footprint[mgmt]?.cpuPercentOfCore ?? 0) + 6 * avg(regionCpu), 0),
          memMiB: Math.round((footprint[mgmt]?.memMiB ?? 0) + 6 * avg(regionMem)),
        }
      : null;
  console.table(
    Object.entries(footprint).map(([c, { components, ...f }]) => ({
      cluster: c,
      readySeconds: readyTimes[c],
      ...f,
    })),
  );
  console.log('CPU % of one core per component (processes in each node):');
  console.table(Object.fromEntries(Object.entries(footprint).map(([c, f]) => [c, f.components])));
  if (sixRegions)
    console.log(
      `--regions 6 (management + 6 region clusters) idle at these rates: ≈ ${sixRegions.cpuPercentOfCore} % of a core, ${sixRegions.memMiB} MiB`,
    );

  // Drills.
  const drills = [];
  let startPrimary = null;
  if (reportDrills.length) {
    reportDrills.forEach((name, i) => {
      const o = getJson('failoverdrill', name);
      const d = collect(
        {
          drill: i + 1,
          name,
          type: o?.spec?.type ?? '?',
          fault: o?.spec?.type === 'failover' ? (o?.spec?.fault ?? null) : null,
          ok: false,
          readyAgainSeconds: null,
        },
        o?.status,
      );
      if (!o) d.message = `FailoverDrill ${name} not found`;
      drills.push(d);
      console.log(drillLine(d));
    });
  } else if (drillCount > 0 && !failed) {
    log(`waiting for ${database} Ready (≤ ${readyTimeout} s) before the first drill`);
    const w0 = await waitReady(readyTimeout);
    startPrimary = w0.primary;
    if (!w0.ok) {
      failed = true;
      console.error(
        `${database} not Ready within ${readyTimeout} s (phase ${w0.phase}, ${w0.regionsReady}; ${w0.notReady}): no drills run`,
      );
    } else {
      for (let i = 1; i <= drillCount; i++) {
        const fault = faults[(i - 1) % faults.length];
        log(
          `drill ${i}/${drillCount + 1}: failover, fault ${fault}, primary ${gdbState().primary}`,
        );
        const d = await runDrill(i, 'failover', fault);
        drills.push(d);
        console.log(drillLine(d));
      }
      const s = gdbState();
      // Fail-back: switchover to the region that was primary when the bench started; if it already
      // is (an even round trip), to the spec's primaryRegion or else the first other region.
      const target = [startPrimary, s.specPrimary, ...s.regions].find((r) => r && r !== s.primary);
      log(`drill ${drillCount + 1}/${drillCount + 1}: switchover ${s.primary} → ${target}`);
      const d = await runDrill(drillCount + 1, 'switchover', null, target);
      d.failBack = target === startPrimary;
      drills.push(d);
      console.log(drillLine(d));
    }
  }
  const failovers = drills.filter((d) => d.type === 'failover');
  const summary = {
    ...Object.fromEntries(
      faults.map((f) => [f, summarize(failovers.filter((d) => d.fault === f))]),
    ),
    switchover: summarize(drills.filter((d) => d.type === 'switchover')),
    failovers: summarize(failovers),
    all: summarize(drills),
  };
  if (drills.length) {
    console.log(
      'RTO p50/p99 (s, nearest rank over drills with an RTO), RPO p50/max (transactions):',
    );
    console.table(
      Object.entries(summary).map(([k, v]) => ({
        drills: k,
        n: v.drills,
        failed: v.failed,
        'RTO p50': v.rtoP50,
        'RTO p99': v.rtoP99,
        'RPO p50': v.rpoP50,
        'RPO max': v.rpoMax,
      })),
    );
  }
  if (drills.some((d) => !d.ok)) failed = true;
  const loadAfter = procLoad();
  const result = {
    bench: 'kind',
    regions: regionClusters.length,
    clusters: clusters.length,
    ok: !failed,
    reused: reuse,
    kindUpSeconds: reuse ? null : Math.round(upSeconds),
    clusterReadySeconds: readyTimes,
    clusterReadyP50: pct(Object.values(readyTimes), 50),
    clusterReadyP99: pct(Object.values(readyTimes), 99),
    globalDatabaseReadySeconds: up.GDB_READY_SECONDS ? Number(up.GDB_READY_SECONDS) : null,
    footprint,
    totalCpuPercentOfCore: round(
      Object.values(footprint).reduce((a, f) => a + (f.cpuPercentOfCore || 0), 0),
    ),
    totalMemMiB: Object.values(footprint).reduce((a, f) => a + (f.memMiB || 0), 0),
    sixRegionsIdleEstimate: sixRegions,
    loadAvgBefore: loadBefore,
    loadAvgAfter: loadAfter,
    writesPerSecond,
    startPrimary,
    endPrimary: drills.length ? gdbState().primary : startPrimary,
    drillSummary: drills.length ? summary : null,
    drills: drills.map(({ promotionPhases, ...d }) => ({ ...d, promotionPhases })),
    benchSeconds: Math.round((Date.now() - t0) / 1000),
  };
  console.log(JSON.stringify(result));
} finally {
  if (!keep) spawnSync('bash', [join(root, 'hack', 'kind-down.sh')], { stdio: 'inherit' });
}
process.exit(failed ? 1 : 0);
