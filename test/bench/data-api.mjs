// `npm run bench:data-api` — the Data API on a local topology (1 primary + BENCH_SECONDARIES secondaries),
// measured side by side in one run:
//   1. write latency: the same single-row INSERT sent to the primary's Data API (direct) and to a secondary's
//      (forwarded to the primary through the link proxy), interleaved one by one so both see the same machine
//      load; eventual and session consistency; on loopback and with BENCH_WAN_MS of emulated one-way delay;
//      plus the same INSERT over a plain PostgreSQL connection (what the HTTP layer itself costs).
//   2. throughput: BENCH_CONCURRENCY closed-loop clients for BENCH_SECONDS each on: point reads on a secondary,
//      point reads on the primary, direct writes, forwarded writes.
// The client and the link proxies run in this process, on the same 2 cores as every server: figures are for
// this machine as it is, with the load average printed beside them.
//
// Environment (all optional):
//   BENCH_SAMPLES=300        latency samples per path and phase
//   BENCH_WAN_MS=20          one-way delay of the second latency phase (0 skips it)
//   BENCH_CONCURRENCY=16     closed-loop clients of the throughput phase
//   BENCH_SECONDS=10         length of each throughput run
//   BENCH_SECONDARIES=2
import { loadavg, cpus } from 'node:os';
import { Agent, request } from 'node:http';
import pg from 'pg';
import { startTopology } from '../../cli/dist/topology/index.js';

const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : Number(process.env[k]));
const SAMPLES = env('BENCH_SAMPLES', 300);
const WAN_MS = env('BENCH_WAN_MS', 20);
const CONCURRENCY = env('BENCH_CONCURRENCY', 16);
const SECONDS = env('BENCH_SECONDS', 10);
const SECONDARIES = env('BENCH_SECONDARIES', 2);

const t0 = Date.now();
const log = (line) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(base, path, token, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: q(s, 50), p95: q(s, 95), p99: q(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const f = (x) => x.toFixed(2).padStart(8);

let seq = 0;
const insert = () => ({ sql: 'INSERT INTO bench_kv (k, v) VALUES ($1, $2)', params: [`k${process.pid}-${++seq}`, seq] });

async function timed(fn) {
  const a = performance.now();
  const r = await fn();
  const ms = performance.now() - a;
  if (r && r.status !== undefined && r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return ms;
}

async function latencyPhase(label, paths) {
  const samples = new Map(paths.map((p) => [p.name, []]));
  for (let i = 0; i < SAMPLES; i++) for (const p of paths) samples.get(p.name).push(await timed(p.run));
  const out = {};
  for (const p of paths) out[p.name] = stats(samples.get(p.name));
  const rows = paths.map((p) => `  ${p.name.padEnd(34)} ${f(out[p.name].p50)} ${f(out[p.name].p95)} ${f(out[p.name].p99)} ${f(out[p.name].mean)}`);
  console.log(`\n${label} — ${SAMPLES} samples each, interleaved (ms)\n  ${'path'.padEnd(34)}      p50      p95      p99     mean\n${rows.join('\n')}`);
  return out;
}

async function throughput(name, run) {
  let done = 0;
  let failed = 0;
  const lat = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const a = performance.now();
        try {
          const r = await run();
          if (r.status === 200) done++;
          else failed++;
        } catch {
          failed++;
        }
        lat.push(performance.now() - a);
      }
    }),
  );
  const s = stats(lat);
  return { name, rps: done / SECONDS, failed, p50: s.p50, p95: s.p95 };
}

const topo = await startTopology({ regions: SECONDARIES + 1, postgresSettings: { fsync: 'off' }, log: (l) => log(`  ${l}`) });
try {
  const d = topo.describe();
  const token = d.dataApiToken;
  const primary = d.regions.find((r) => r.role === 'primary');
  const secondary = d.regions.find((r) => r.role === 'secondary');
  const created = await post(primary.http, '/v1/execute', token, { sql: 'CREATE TABLE IF NOT EXISTS bench_kv (k text PRIMARY KEY, v bigint NOT NULL, at timestamptz DEFAULT now())', consistency: 'global', timeoutMs: 30000 });
  if (created.status !== 200) throw new Error(`create table: ${JSON.stringify(created.body)}`);
  await post(primary.http, '/v1/execute', token, { sql: 'INSERT INTO bench_kv (k, v) SELECT $1 || g, g FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING', params: ['seed-'], consistency: 'global', timeoutMs: 30000 });
  const pgClient = new pg.Client({ connectionString: primary.postgres });
  await pgClient.connect();
  console.log(`Data API benchmark: ${SECONDARIES + 1} regions on ${cpus().length} cores, ${new Date().toISOString()}`);
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const paths = [
    { name: 'PostgreSQL direct (node-postgres)', run: async () => { const s = insert(); await pgClient.query(s.sql, s.params); } },
    { name: 'Data API on the primary (direct)', run: () => post(primary.http, '/v1/execute', token, insert()) },
    { name: 'Data API on a secondary (forwarded)', run: () => post(secondary.http, '/v1/execute', token, insert()) },
    { name: 'forwarded, consistency session', run: () => post(secondary.http, '/v1/execute', token, { ...insert(), consistency: 'session' }) },
  ];
  const results = { loopback: await latencyPhase('write latency, loopback', paths) };
  const over = (r) => `forwarded − direct: p50 ${(r['Data API on a secondary (forwarded)'].p50 - r['Data API on the primary (direct)'].p50).toFixed(2)} ms, p95 ${(r['Data API on a secondary (forwarded)'].p95 - r['Data API on the primary (direct)'].p95).toFixed(2)} ms; session wait adds p50 ${(r['forwarded, consistency session'].p50 - r['Data API on a secondary (forwarded)'].p50).toFixed(2)} ms`;
  console.log(`  ${over(results.loopback)}`);
  if (WAN_MS > 0) {
    topo.setWanLatency(WAN_MS, 0);
    results.wan = await latencyPhase(`write latency, ${WAN_MS} ms one-way WAN delay on every inter-region link`, paths);
    console.log(`  ${over(results.wan)}`);
    topo.setWanLatency(0, 0);
  }
  await pgClient.end();

  console.log(`\nthroughput — ${CONCURRENCY} closed-loop clients, ${SECONDS} s each, loopback`);
  let n = 0;
  const read = (base) => () => post(base, '/v1/execute', token, { sql: 'SELECT k, v FROM bench_kv WHERE k = $1', params: [`seed-${1 + (n++ % 10000)}`] });
  const runs = [
    await throughput('point reads on a secondary', read(secondary.http)),
    await throughput('point reads on the primary', read(primary.http)),
    await throughput('writes on the primary (direct)', () => post(primary.http, '/v1/execute', token, insert())),
    await throughput('writes via a secondary (forwarded)', () => post(secondary.http, '/v1/execute', token, insert())),
  ];
  console.log(`  ${'workload'.padEnd(36)}   req/s  failed   p50 ms   p95 ms`);
  for (const r of runs) console.log(`  ${r.name.padEnd(36)} ${r.rps.toFixed(0).padStart(7)} ${String(r.failed).padStart(7)} ${f(r.p50)} ${f(r.p95)}`);
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  agent.destroy();
  await topo.stop();
}
