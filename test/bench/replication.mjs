// `npm run bench:replication` — Borealis (1 primary + N secondaries over NATS) against PostgreSQL's own
// logical replication (1 publisher + N subscribers), one after the other in the same run, on the same
// PostgreSQL 15 binaries, driven by the same pgbench insert script. Method: docs/benchmarks.md.
//
// Environment (all optional):
//   BENCH_RATE=1000            fixed rate of the latency phase, tx/s
//   BENCH_SECONDS=30           length of the fixed-rate phase
//   BENCH_MAX_SECONDS=20       length of the unthrottled phase
//   BENCH_WARMUP_SECONDS=5     fixed-rate warm-up before measuring (rows excluded)
//   BENCH_SECONDARIES=5        secondaries / subscribers
//   BENCH_PEERS=borealis,native  which peers to run, in this order
//   BENCH_CPU_PROF=<dir>       write a V8 CPU profile of every region agent into <dir> (support/profiled-agent.mjs)
//   BENCH_KEEP_FILES=1         keep the Borealis topology's folder (agent logs)
//   BENCH_AGENT_CONFIG=<json>  extra agent config merged into every agent.json (tuning experiments)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultAgentEntry, startPostgres, startTopology } from '../../cli/dist/topology/index.js';
import {
  APPLIED_AT_SQL,
  applyRates,
  merge,
  readLags,
  round,
  runPgbench,
  sql,
  summarize,
  TABLE_SQL,
  treeCpuSeconds,
  cpuSeconds,
  machineCpu,
  waitApplied,
  waitFor,
} from './support/bench.mjs';

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const RATE = Number(env('BENCH_RATE', 1000));
const SECONDS = Number(env('BENCH_SECONDS', 30));
const MAX_SECONDS = Number(env('BENCH_MAX_SECONDS', 20));
const WARMUP_SECONDS = Number(env('BENCH_WARMUP_SECONDS', 5));
const SECONDARIES = Number(env('BENCH_SECONDARIES', 5));
const PEERS = env('BENCH_PEERS', 'borealis,native').split(',').map((s) => s.trim()).filter(Boolean);
const AGENT_CONFIG = process.env.BENCH_AGENT_CONFIG ? JSON.parse(process.env.BENCH_AGENT_CONFIG) : null;
const CPU_PROF = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
// pgbench clients: enough for the fixed rate without queueing on 2 cores; more for the unthrottled run.
const RATE_CLIENTS = 4;
const MAX_CLIENTS = 8;
const JOBS = 2;

const t0 = Date.now();
const log = (line) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** A running peer: where to write, where to read, which processes to account, how to stop. */
async function startBorealis() {
  if (CPU_PROF) {
    // Agents inherit this process's environment; the wrapper profiles the real entry (see its header).
    mkdirSync(CPU_PROF, { recursive: true });
    process.env.BENCH_CPU_PROF = CPU_PROF;
    process.env.BENCH_AGENT_ENTRY = defaultAgentEntry();
  }
  const topo = await startTopology({
    regions: SECONDARIES + 1,
    keepFiles: process.env.BENCH_KEEP_FILES === '1',
    log: (l) => log(`  ${l}`),
    ...(AGENT_CONFIG ? { agentConfig: AGENT_CONFIG } : {}),
    ...(CPU_PROF ? { agentEntry: fileURLToPath(new URL('./support/profiled-agent.mjs', import.meta.url)) } : {}),
  });
  try {
    const primary = topo.primary;
    const secondaries = topo.regions.filter((r) => r.role === 'secondary');
    if (CPU_PROF) for (const r of topo.regions) log(`  CPU profile of agent ${r.name} (${r.role}): ${CPU_PROF}/agent-${r.agent.pid}.cpuprofile`);
    // The table travels as replicated DDL; each secondary then gets its own applied_at column, added in
    // a replica-role session so the secondary's DDL trigger does not record it.
    await sql(primary.postgres.url, TABLE_SQL);
    for (const r of secondaries) {
      await waitFor(`table public.bench on ${r.name}`, async () => (await sql(r.postgres.url, `SELECT to_regclass('public.bench') AS t`)).rows[0].t !== null, 60_000);
      await sql(r.postgres.url, APPLIED_AT_SQL, [], '-c session_replication_role=replica -c default_transaction_read_only=off');
    }
    const groups = [
      { name: 'agents', pids: topo.regions.map((r) => r.agent.pid), tree: false },
      { name: 'nats-server', pids: topo.regions.map((r) => r.nats.pid), tree: false },
      { name: 'postgres (primary)', pids: [primary.postgres.pid], tree: true },
      { name: 'postgres (secondaries)', pids: secondaries.map((r) => r.postgres.pid), tree: true },
      // The topology's NATS gateway link proxies (WAN emulation, 0 ms here) run inside this process.
      { name: 'bench process (gateway link proxies)', pids: [], self: true },
    ];
    const metric = (text, name) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const scrape = async (r) => (await (await fetch(r.urls.metrics, { signal: AbortSignal.timeout(5000) })).text());
    const counters = async () => {
      const p = await scrape(primary);
      const secs = await Promise.all(secondaries.map(scrape));
      return {
        captured: metric(p, 'borealis_captured_transactions_total'),
        messages: metric(p, 'borealis_published_messages_total'),
        groupSum: secs.reduce((a, t) => a + metric(t, 'borealis_apply_group_transactions_sum'), 0),
        groupCount: secs.reduce((a, t) => a + metric(t, 'borealis_apply_group_transactions_count'), 0),
      };
    };
    const status = async (r) => (await fetch(`${r.urls.http}/status`, { signal: AbortSignal.timeout(5000) })).json();
    /**
     * Where the time goes, per stream message of a phase (sampled): commit on the primary → stored in
     * the source stream (capture + publish), from JetStream's store timestamp and the message's
     * Borealis-Commit-Ts (last transaction in the message).
     */
    const hops = async (fromSeq, toSeq) => {
      const ps = await status(primary);
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const tsUs = (t) => {
        const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(t);
        return Date.parse(`${m[1]}Z`) * 1000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
      };
      const read = async (url, stream) => {
        const nc = await connect({ servers: url });
        try {
          const jsm = await jetstreamManager(nc);
          const out = [];
          const step = Math.max(1, Math.floor((toSeq - fromSeq) / 400));
          for (let seq = fromSeq + 1; seq <= toSeq; seq += step) {
            const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
            if (!m) continue;
            const commit = Number(m.header.get('Borealis-Commit-Ts'));
            out.push((tsUs(m.timestamp) - commit) / 1000);
          }
          return Float64Array.from(out).sort();
        } finally {
          await nc.close();
        }
      };
      const source = await read(primary.urls.nats, ps.capture.stream);
      // (A mirror keeps the source's store timestamps, so its own store time is not visible; the bench
      // receives the mirror instead, see watchMirror.)
      return { source: summarize(source), mirrorRegion: secondaries[0].name };
    };
    const streamSeq = async () => (await status(primary)).capture?.lastStreamSeq ?? 0;
    /** Receives a secondary's mirror (ordered consumer) while a phase runs: commit → delivered from the mirror. */
    const watchMirror = async (fromSeq) => {
      const ss = await status(secondaries[0]);
      const { connect } = await import('@nats-io/transport-node');
      const { jetstream } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: secondaries[0].urls.nats });
      const consumer = await jetstream(nc).consumers.get(ss.apply.stream, { opt_start_seq: fromSeq + 1 });
      const messages = await consumer.consume({ max_messages: 2_000 });
      const delays = [];
      const done = (async () => {
        for await (const m of messages) delays.push((Date.now() * 1000 - Number(m.headers?.get('Borealis-Commit-Ts'))) / 1000);
      })();
      return {
        stop: async () => {
          messages.stop();
          await done.catch(() => undefined);
          await nc.close();
          return summarize(Float64Array.from(delays).sort());
        },
      };
    };
    return {
      counters,
      hops,
      streamSeq,
      watchMirror,
      name: 'borealis',
      describe: `Borealis: ${SECONDARIES + 1} regions (startTopology: PostgreSQL 15 + nats-server + region agent each, gateways through link proxies, 0 ms WAN delay)`,
      primaryUrl: primary.postgres.url,
      secondaryUrls: secondaries.map((r) => r.postgres.url),
      groups,
      stop: () => topo.stop(),
    };
  } catch (err) {
    await topo.stop().catch(() => undefined);
    throw err;
  }
}

async function startNative() {
  const base = mkdtempSync(join(tmpdir(), 'borealis-bench-native-'));
  const instances = [];
  const stop = async () => {
    // Subscribers first (their apply workers hold the publisher's walsenders), then the publisher.
    await Promise.allSettled(instances.slice(1).map((p) => p.stop()));
    await Promise.allSettled(instances.slice(0, 1).map((p) => p.stop()));
    rmSync(base, { recursive: true, force: true });
  };
  try {
    const started = await Promise.all(
      Array.from({ length: SECONDARIES + 1 }, (_, i) =>
        startPostgres({ dir: join(base, i === 0 ? 'publisher' : `subscriber-${i}`), name: i === 0 ? 'native publisher' : `native subscriber-${i}` }).then((p) => {
          instances[i] = p;
          return p;
        }),
      ),
    );
    const [pub, ...subs] = started;
    log(`  native: publisher on 127.0.0.1:${pub.port}, subscribers on ${subs.map((s) => s.port).join(', ')}`);
    await sql(pub.url, TABLE_SQL);
    await sql(pub.url, 'CREATE PUBLICATION bench_pub FOR TABLE public.bench');
    for (const [i, s] of subs.entries()) {
      await sql(s.url, TABLE_SQL);
      await sql(s.url, APPLIED_AT_SQL);
      await sql(
        s.url,
        `CREATE SUBSCRIPTION bench_sub_${i + 1} CONNECTION 'host=127.0.0.1 port=${pub.port} user=borealis dbname=app' PUBLICATION bench_pub WITH (copy_data = false)`,
      );
    }
    await waitFor(
      `${subs.length} streaming walsenders on the publisher`,
      async () => Number((await sql(pub.url, `SELECT count(*) AS n FROM pg_stat_replication WHERE state = 'streaming'`)).rows[0].n) === subs.length,
      60_000,
    );
    return {
      name: 'native',
      describe: `native: PostgreSQL 15 logical replication, publication on 1 instance, ${subs.length} subscriber instances (fresh initdb each)`,
      primaryUrl: pub.url,
      secondaryUrls: subs.map((s) => s.url),
      groups: [
        { name: 'postgres (publisher)', pids: [pub.pid], tree: true },
        { name: 'postgres (subscribers)', pids: subs.map((s) => s.pid), tree: true },
      ],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function cpuSnapshot(groups) {
  return groups.map((g) => {
    if (g.self) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }
    return g.pids.reduce((a, pid) => a + (g.tree ? treeCpuSeconds(pid) : cpuSeconds(pid)), 0);
  });
}

function cpuDelta(groups, before, after, seconds) {
  return groups.map((g, i) => ({ name: g.name, cores: (after[i] - before[i]) / seconds }));
}

async function countOnPrimary(url, phase) {
  return Number((await sql(url, 'SELECT count(*) AS n FROM public.bench WHERE phase = $1', [phase])).rows[0].n);
}

async function measure(peer) {
  const result = { name: peer.name, describe: peer.describe };
  const drive = async (phase, rate, seconds, clients) => {
    const before = cpuSnapshot(peer.groups);
    const m0 = machineCpu();
    const tStart = Date.now();
    const c0 = peer.counters ? await peer.counters() : null;
    const pgb = await runPgbench({ url: peer.primaryUrl, phase, rate, seconds, clients, jobs: JOBS, log });
    const expected = await countOnPrimary(peer.primaryUrl, phase);
    const caughtUp = await waitApplied(peer.secondaryUrls, phase, expected, phase === 'max' ? 240_000 : 120_000);
    const elapsed = (Date.now() - tStart) / 1000;
    const cpu = cpuDelta(peer.groups, before, cpuSnapshot(peer.groups), elapsed);
    const m1 = machineCpu();
    // Everything else on the machine (other engineers' builds and tests share these cores): machine-wide
    // busy cores minus the peer's own processes (pgbench and this process are in "other" too).
    const peerCores = cpu.reduce((a, c) => a + c.cores, 0);
    cpu.push({ name: 'other processes', cores: (m1.busy - m0.busy) / elapsed - peerCores });
    cpu.loadavg = [m0.load1, m1.load1];
    if (c0) {
      const c1 = await peer.counters();
      cpu.batching = {
        txPerMessage: (c1.captured - c0.captured) / Math.max(1, c1.messages - c0.messages),
        txPerApplyGroup: (c1.groupSum - c0.groupSum) / Math.max(1, c1.groupCount - c0.groupCount),
      };
    }
    log(`  ${phase}: pgbench ${fmt(pgb.tps, 0)} tx/s, ${expected} rows; ${caughtUp ? 'all secondaries caught up' : 'NOT caught up within the timeout'} after ${fmt(elapsed, 1)} s`);
    return { pgb, expected, caughtUp, cpu };
  };

  log(`${peer.name}: warm-up ${WARMUP_SECONDS} s at ${RATE} tx/s`);
  if (WARMUP_SECONDS > 0) await drive('warmup', RATE, WARMUP_SECONDS, RATE_CLIENTS);

  log(`${peer.name}: fixed rate ${RATE} tx/s for ${SECONDS} s`);
  const seq0 = peer.streamSeq ? await peer.streamSeq() : 0;
  const watcher = peer.watchMirror ? await peer.watchMirror(seq0).catch((err) => log(`  mirror watch failed: ${err.message}`)) : null;
  const fixed = await drive('rate', RATE, SECONDS, RATE_CLIENTS);
  if (peer.hops) {
    try {
      result.hops = await peer.hops(seq0, await peer.streamSeq());
      if (watcher) result.hops.delivered = await watcher.stop();
    } catch (err) {
      log(`  per-hop figures unavailable: ${err.message}`);
    }
  }
  const lags = await readLags(peer.secondaryUrls, 'rate');
  result.rate = {
    pgbenchTps: fixed.pgb.tps,
    rows: fixed.expected,
    caughtUp: fixed.caughtUp,
    all: summarize(merge(lags)),
    perSecondary: lags.map(summarize),
    cpu: fixed.cpu,
  };

  log(`${peer.name}: unthrottled for ${MAX_SECONDS} s (${MAX_CLIENTS} clients)`);
  const max = await drive('max', null, MAX_SECONDS, MAX_CLIENTS);
  const rates = await applyRates(peer.secondaryUrls, 'max');
  const maxLags = await readLags(peer.secondaryUrls, 'max');
  result.max = {
    pgbenchTps: max.pgb.tps,
    rows: max.expected,
    caughtUp: max.caughtUp,
    perSecondary: rates,
    maxTps: Math.min(...rates.map((r) => r.rate)),
    lag: summarize(merge(maxLags)),
    cpu: max.cpu,
  };
  return result;
}

function printPeer(r) {
  const out = [];
  out.push('');
  out.push(`== ${r.describe}`);
  out.push(`fixed rate: pgbench ${fmt(r.rate.pgbenchTps, 0)} tx/s, ${r.rate.rows} rows${r.rate.caughtUp ? '' : ' (NOT all applied within the timeout)'}`);
  out.push(`  lag ms (applied_at - committed_at)      rows      p50      p90      p99    p99.9      max`);
  const row = (label, s) =>
    out.push(`  ${label.padEnd(38)} ${String(s.rows).padStart(7)} ${fmt(s.p50Ms).padStart(8)} ${fmt(s.p90Ms).padStart(8)} ${fmt(s.p99Ms).padStart(8)} ${fmt(s.p999Ms).padStart(8)} ${fmt(s.maxMs).padStart(8)}`);
  r.rate.perSecondary.forEach((s, i) => row(`secondary ${i + 1}`, s));
  row('all secondaries', r.rate.all);
  out.push(`  CPU (cores busy): ${r.rate.cpu.map((c) => `${c.name} ${fmt(c.cores)}`).join(', ')}; load average ${r.rate.cpu.loadavg.join(' -> ')}`);
  if (r.rate.cpu.batching) out.push(`  batching: ${fmt(r.rate.cpu.batching.txPerMessage)} tx per stream message, ${fmt(r.rate.cpu.batching.txPerApplyGroup)} tx per apply group (PostgreSQL transaction)`);
  if (r.hops) {
    const h = (x) => `p50 ${fmt(x.p50Ms)}, p90 ${fmt(x.p90Ms)}, p99 ${fmt(x.p99Ms)}, max ${fmt(x.maxMs)} ms (${x.rows} messages sampled)`;
    out.push(`  per message, last commit -> stored in the source stream: ${h(r.hops.source)}`);
    if (r.hops.delivered) out.push(`  per message, last commit -> delivered from the mirror of ${r.hops.mirrorRegion} to a consumer in the bench process: ${h(r.hops.delivered)}`);
  }
  out.push(`unthrottled: pgbench ${fmt(r.max.pgbenchTps, 0)} tx/s, ${r.max.rows} rows${r.max.caughtUp ? '' : ' (NOT all applied within the timeout)'}`);
  r.max.perSecondary.forEach((s, i) =>
    out.push(`  secondary ${i + 1}: ${s.rows} rows applied in ${fmt(s.seconds, 1)} s from first commit (commits spanned ${fmt(s.commitSeconds, 1)} s) = ${fmt(s.rate, 0)} tx/s`),
  );
  out.push(`  maxTps (slowest secondary) ${fmt(r.max.maxTps, 0)} tx/s; lag under saturation p50 ${fmt(r.max.lag.p50Ms, 1)} ms, p99 ${fmt(r.max.lag.p99Ms, 1)} ms, max ${fmt(r.max.lag.maxMs, 1)} ms`);
  out.push(`  CPU (cores busy, incl. catch-up): ${r.max.cpu.map((c) => `${c.name} ${fmt(c.cores)}`).join(', ')}; load average ${r.max.cpu.loadavg.join(' -> ')}`);
  if (r.max.cpu.batching) out.push(`  batching: ${fmt(r.max.cpu.batching.txPerMessage)} tx per stream message, ${fmt(r.max.cpu.batching.txPerApplyGroup)} tx per apply group (PostgreSQL transaction)`);
  process.stdout.write(out.join('\n') + '\n');
}

let current = null;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping`);
    void (current ? current.stop() : Promise.resolve()).finally(() => process.exit(130));
  });
}

const results = {};
try {
  const pgVersion = execFileSync('/usr/lib/postgresql/15/bin/postgres', ['--version'], { encoding: 'utf8' }).trim();
  process.stdout.write(
    `bench:replication — ${SECONDARIES} secondaries, ${RATE} tx/s for ${SECONDS} s then unthrottled for ${MAX_SECONDS} s; ` +
      `${pgVersion}; fsync on (defaults) for every instance; peers run one after the other: ${PEERS.join(' then ')}\n` +
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
  );
  for (const name of PEERS) {
    if (name !== 'borealis' && name !== 'native') throw new Error(`unknown peer ${name}`);
    let peer;
    // Ports are allocated, released and bound later: on a shared machine another process can take one
    // in between. A start that fails is cleaned up completely, so it is retried.
    for (let attempt = 1; !peer; attempt++) {
      log(`starting ${name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      try {
        peer = name === 'borealis' ? await startBorealis() : await startNative();
      } catch (err) {
        if (attempt >= 3 || interrupted) throw err;
        log(`start failed: ${String(err.message).split('\n').slice(0, 3).join(' | ')}`);
      }
    }
    current = peer;
    try {
      results[name] = await measure(peer);
    } finally {
      log(`stopping ${name}`);
      await peer.stop();
      current = null;
    }
    printPeer(results[name]);
  }
} catch (err) {
  log(`FAILED: ${err.stack ?? err}`);
  process.exitCode = 1;
}
if (process.exitCode !== 1) {
  const brief = (r) => (r ? { p50Ms: round(r.rate.all.p50Ms, 3), p99Ms: round(r.rate.all.p99Ms, 3), maxTps: Math.round(r.max.maxTps) } : null);
  process.stdout.write(
    JSON.stringify({ bench: 'replication', secondaries: SECONDARIES, tps: RATE, borealis: brief(results.borealis), native: brief(results.native) }) + '\n',
  );
}
