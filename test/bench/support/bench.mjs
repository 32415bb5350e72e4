// Helpers of `npm run bench:replication` (test/bench/replication.mjs): pgbench runs, lag read-back, stats.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PGBENCH = process.env.BOREALIS_PGBENCH ?? '/usr/bin/pgbench';

/** The benchmark table on the primary; secondaries add `applied_at` (filled by its default on apply). */
export const TABLE_SQL = `CREATE TABLE public.bench (
  id bigserial PRIMARY KEY,
  phase text NOT NULL,
  payload text NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`;
export const APPLIED_AT_SQL = `ALTER TABLE public.bench ADD COLUMN applied_at timestamptz NOT NULL DEFAULT clock_timestamp()`;

/** Runs statements on a fresh connection. */
export async function sql(url, text, values = [], options) {
  const c = new pg.Client({ connectionString: url, ...(options ? { options } : {}) });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function waitFor(what, fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * One pgbench run of a custom script inserting `phase`-tagged rows: `rate` tx/s (or unthrottled when
 * null) for `seconds`. Returns pgbench's figures; throws when pgbench fails or reports failed transactions.
 */
export async function runPgbench({ url, phase, rate, seconds, clients, jobs, log }) {
  const u = new URL(url);
  const dir = mkdtempSync(join(tmpdir(), 'borealis-pgbench-'));
  try {
    const script = join(dir, 'insert.sql');
    // One single-row autocommit INSERT per transaction; ~100-byte payload.
    writeFileSync(script, `INSERT INTO public.bench (phase, payload) VALUES ('${phase}', repeat('x', 100));\n`);
    const args = ['-n', '-f', script, '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-c', String(clients), '-j', String(jobs), '-T', String(seconds), '-P', '5'];
    if (rate !== null) args.push('-R', String(rate));
    args.push(u.pathname.slice(1));
    log?.(`  pgbench ${args.join(' ')}`);
    const out = await new Promise((resolve, reject) => {
      const p = spawn(PGBENCH, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGAPPNAME: 'bench' } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => {
        stderr += d;
        for (const line of String(d).split('\n')) if (/^progress:/.test(line)) log?.(`    ${line}`);
      });
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`pgbench exited ${code}: ${stderr.slice(-2000)}`))));
    });
    const num = (re) => {
      const m = re.exec(out);
      return m ? Number(m[1]) : NaN;
    };
    const res = {
      txs: num(/number of transactions actually processed: (\d+)/),
      failed: num(/number of failed transactions: (\d+)/),
      tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
      latencyMs: num(/latency average = ([\d.]+) ms/),
    };
    if (!(res.txs > 0)) throw new Error(`pgbench processed no transactions:\n${out}`);
    if (res.failed > 0) throw new Error(`pgbench reported ${res.failed} failed transactions`);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until every secondary holds `expected` rows of `phase`; returns false on timeout. */
export async function waitApplied(secondaryUrls, phase, expected, timeoutMs) {
  try {
    await waitFor(
      `${expected} '${phase}' rows on every secondary`,
      async () => {
        const counts = await Promise.all(
          secondaryUrls.map(async (u) => Number((await sql(u, 'SELECT count(*) AS n FROM public.bench WHERE phase = $1', [phase])).rows[0].n)),
        );
        return counts.every((n) => n >= expected);
      },
      timeoutMs,
      250,
    );
    return true;
  } catch {
    return false;
  }
}

/** Per-row apply lag (applied_at − committed_at, ms) of `phase` from every secondary. */
export async function readLags(secondaryUrls, phase) {
  return Promise.all(
    secondaryUrls.map(async (u) => {
      const r = await sql(
        u,
        `SELECT (extract(epoch FROM applied_at - committed_at) * 1000)::float8 AS ms FROM public.bench WHERE phase = $1`,
        [phase],
      );
      return Float64Array.from(r.rows, (x) => x.ms).sort();
    }),
  );
}

/**
 * Sustained apply rate of `phase` on each secondary: rows applied ÷ (last applied_at − first
 * committed_at). The slowest secondary's rate is the peer's maxTps.
 */
export async function applyRates(secondaryUrls, phase) {
  return Promise.all(
    secondaryUrls.map(async (u) => {
      const r = await sql(
        u,
        `SELECT count(*)::float8 AS n,
                extract(epoch FROM max(applied_at) - min(committed_at))::float8 AS s,
                extract(epoch FROM max(committed_at) - min(committed_at))::float8 AS commit_s
           FROM public.bench WHERE phase = $1`,
        [phase],
      );
      const { n, s, commit_s } = r.rows[0];
      return { rows: n, seconds: s, rate: s > 0 ? n / s : 0, commitSeconds: commit_s };
    }),
  );
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function merge(arrays) {
  const n = arrays.reduce((a, x) => a + x.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out.sort();
}

export function summarize(sorted) {
  return {
    rows: sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export const round = (x, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

/** CPU seconds (user+sys) of a pid from /proc (for the per-process CPU table). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Children (recursively) of a pid: PostgreSQL backends/walsenders are children of the postmaster. */
export function descendants(pid) {
  const out = [];
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const k of kids) out.push(k, ...descendants(k));
  } catch {
    /* gone */
  }
  return out;
}

/** CPU seconds of a process tree (exited children are counted via cutime/cstime of the root). */
export function treeCpuSeconds(pid) {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
  for (const k of descendants(pid)) {
    const c = cpuSeconds(k);
    if (Number.isFinite(c)) total += c;
  }
  return total;
}

/** Machine-wide busy CPU seconds (all cores, from /proc/stat) and the 1-minute load average. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line;
  return { busy: (user + nice + system + irq + softirq + steal) / 100, load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) };
}
