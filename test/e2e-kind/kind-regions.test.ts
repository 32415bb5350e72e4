// Multi-cluster kind path, end to end (not run by CI: `npm run test:e2e-kind`, ~10 min on 2 cores):
// hack/kind-up.sh --regions 3 (management cluster borealis-global + borealis-us-east/eu-west/ap-south),
// pgbench and a numbered write ledger through the writer endpoint on 127.0.0.1, every region converges to
// the same data, exactly one region is primary and the others refuse writes, then hack/kind-down.sh
// (also when a step fails). Drills on the primary region are test/e2e/kind-drill.test.ts (in npm run test:e2e).
// BOREALIS_KIND_KEEP=1 keeps the clusters; BOREALIS_KIND_REUSE=1 uses
// clusters already made by kind-up.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerUnavailableReason, must, run } from '../support/docker.js';
import { toolsBinDir } from '../support/kube-apiserver.js';

const root = join(import.meta.dirname, '..', '..');
const state = process.env.BOREALIS_KIND_STATE ?? join(homedir(), '.cache', 'borealis', 'kind');
const regionsWanted = Number(process.env.BOREALIS_KIND_REGIONS ?? 3);
const reason = dockerUnavailableReason() || (existsSync(join(toolsBinDir(), 'kind')) ? '' : 'kind is not built: bash hack/tools.sh install kind');
if (reason) console.warn(`kind regions test skipped: ${reason}`);

function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(reason !== '')('GlobalDatabase across kind clusters (management + one per region)', () => {
  let up: Record<string, string> = {};
  let endpoints: Record<string, string> = {};
  let regions: string[] = [];
  let password = '';
  let upSeconds = 0;
  const acked: number[] = [];
  const kubectl = (args: string[]): Promise<string> =>
    must(join(toolsBinDir(), 'kubectl'), [`--kubeconfig=${join(state, 'borealis-global.kubeconfig')}`, ...args], { timeoutMs: 60_000 });
  const client = (hostPort: string): pg.Client => {
    const [host, port] = hostPort.split(':');
    return new pg.Client({ host, port: Number(port), user: 'postgres', password, database: 'app', connectionTimeoutMillis: 10_000 });
  };

  beforeAll(async () => {
    const t0 = Date.now();
    if (process.env.BOREALIS_KIND_REUSE !== '1') {
      await must('bash', [join(root, 'hack', 'kind-up.sh'), '--regions', String(regionsWanted), '--skip-images', '--timeout', '900'], { timeoutMs: 1_800_000 });
    }
    upSeconds = (Date.now() - t0) / 1000;
    up = envFile(join(state, 'kind-up.env'));
    endpoints = envFile(join(state, 'endpoints.env'));
    regions = (up['REGIONS'] ?? '').split(' ').filter(Boolean);
    password = Buffer.from(await kubectl(['get', 'secret', 'orders-credentials', '-o', 'jsonpath={.data.postgres-password}']), 'base64').toString('utf8');
  });

  afterAll(async () => {
    if (process.env.BOREALIS_KIND_KEEP === '1') return;
    const r = await run('bash', [join(root, 'hack', 'kind-down.sh')], { timeoutMs: 900_000 });
    if (r.code !== 0) console.error(`hack/kind-down.sh failed: ${r.stderr}`);
  });

  it('is Ready with every region in its own cluster', async () => {
    expect(regions).toHaveLength(regionsWanted);
    const gdb = JSON.parse(await kubectl(['get', 'globaldatabase', 'orders', '-o', 'json'])) as {
      status: { phase: string; primaryRegion: string; epoch: number; regions: Array<{ name: string; role: string; ready: boolean }> };
    };
    expect(gdb.status.primaryRegion).toBe(up['PRIMARY']);
    expect(gdb.status.epoch).toBeGreaterThanOrEqual(1);
    expect(gdb.status.regions.map((r) => r.name).sort()).toEqual([...regions].sort());
    expect(gdb.status.regions.every((r) => r.ready)).toBe(true);
    expect(gdb.status.regions.filter((r) => r.role === 'primary').map((r) => r.name)).toEqual([up['PRIMARY']]);
    const wide = await kubectl(['get', 'globaldatabases', '-o', 'wide']);
    expect(wide).toMatch(new RegExp(`orders\\s+${up['PRIMARY']}\\s+\\d+\\s+${regionsWanted}/${regionsWanted}`));
    // Every region's objects live in that region's cluster, none in the management cluster.
    for (const r of regions) {
      const pods = await must(join(toolsBinDir(), 'kubectl'), [`--kubeconfig=${join(state, `borealis-${r}.kubeconfig`)}`, 'get', 'pods', '-o', 'name']);
      expect(pods).toContain(`pod/orders-${r}-db-0`);
    }
    expect(await kubectl(['get', 'pods', '-n', 'default', '-o', 'name'])).not.toContain('orders-');
  });

  it('takes pgbench and a numbered ledger through the writer endpoint; every region converges and secondaries refuse writes', async () => {
    const writer = endpoints['WRITER']!;
    expect(writer).toMatch(/^127\.0\.0\.1:\d+$/);
    const pgenv = { ...process.env, PGPASSWORD: password };
    const [host, port] = writer.split(':') as [string, string];
    await must('pgbench', ['-h', host, '-p', port, '-U', 'postgres', '-i', '-s', '1', '-q', 'app'], { env: pgenv, timeoutMs: 180_000 });
    const bench = await must('pgbench', ['-h', host, '-p', port, '-U', 'postgres', '-c', '4', '-T', '20', 'app'], { env: pgenv, timeoutMs: 180_000 });
    expect(bench).toMatch(/number of failed transactions: 0 /);

    // Ledger: one autocommit insert per number; a number is in the ledger only once its COMMIT was acknowledged.
    const w = client(writer);
    await w.connect();
    acked.length = 0;
    let expected: { sum: string; hist: string };
    try {
      await w.query('CREATE TABLE IF NOT EXISTS e2e_ledger (n int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
      await w.query('TRUNCATE e2e_ledger');
      for (let n = 1; n <= 500; n++) {
        await w.query('INSERT INTO e2e_ledger (n) VALUES ($1)', [n]);
        acked.push(n);
      }
      expected = (await w.query<{ sum: string; hist: string }>('SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS sum, (SELECT count(*) FROM pgbench_history)::text AS hist')).rows[0]!;
    } finally {
      await w.end();
    }

    const lost: Record<string, number> = {};
    for (const r of regions) {
      const c = client(endpoints[`READER_${r.replace(/-/g, '_')}`]!);
      await c.connect();
      try {
        let got = { sum: '', hist: '', ledger: 0 };
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const q = await c.query<{ sum: string | null; hist: string; ledger: string }>(
            "SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS sum, (SELECT count(*) FROM pgbench_history)::text AS hist, (SELECT count(*) FROM e2e_ledger WHERE n = ANY($1::int[]))::text AS ledger",
            [acked],
          ).catch(() => undefined);
          if (q) got = { sum: q.rows[0]!.sum ?? '', hist: q.rows[0]!.hist, ledger: Number(q.rows[0]!.ledger) };
          if (got.sum === expected.sum && got.hist === expected.hist && got.ledger === acked.length) break;
          await sleep(1000);
        }
        expect({ region: r, ...got }).toEqual({ region: r, sum: expected.sum, hist: expected.hist, ledger: acked.length });
        lost[r] = acked.length - got.ledger;
        if (r !== up['PRIMARY']) {
          await expect(c.query('INSERT INTO e2e_ledger (n) VALUES (-1)')).rejects.toThrow(/read-only/);
        }
      } finally {
        await c.end();
      }
    }
    console.log(
      JSON.stringify({ e2e: 'kind-regions', clusters: regions.length + 1, regions: regions.length, upSeconds: Math.round(upSeconds), ledgerRows: acked.length, ledgerLost: Math.max(...Object.values(lost)) }),
    );
  });

  // A secondary region's outage (the primary is untouched, so no promotion is needed; outages of the
  // primary are test/e2e/kind-drill.test.ts): the operator in the management cluster notices it, the writer keeps
  // acknowledging writes, and after healing the region catches up with every acknowledged write.
  for (const fault of ['partition', 'freeze'] as const) {
    it(`a secondary region under ${fault} is seen as not ready, then catches up with every acknowledged write`, async () => {
      const secondary = regions.find((r) => r !== up['PRIMARY'])!;
      const fault_ = (what: string): Promise<string> => must('bash', [join(root, 'hack', 'kind-fault.sh'), what, secondary], { timeoutMs: 120_000 });
      const regionReady = async (): Promise<boolean | undefined> => {
        const out = await kubectl(['get', 'globaldatabase', 'orders', '-o', `jsonpath={.status.regions[?(@.name=="${secondary}")].ready}`]).catch(() => '');
        return out === 'true' ? true : out === 'false' ? false : undefined;
      };
      const w = client(endpoints['WRITER']!);
      await w.connect();
      const t0 = Date.now();
      let detectSeconds = -1;
      let healed = false;
      try {
        await fault_(fault);
        // Writes through the writer go on during the outage; the operator sees the region go.
        const deadline = Date.now() + 150_000;
        while (Date.now() < deadline) {
          for (let i = 0; i < 20; i++) {
            const n = acked.length + 1;
            await w.query('INSERT INTO e2e_ledger (n) VALUES ($1)', [n]);
            acked.push(n);
          }
          if (detectSeconds < 0 && (await regionReady()) === false) detectSeconds = (Date.now() - t0) / 1000;
          if (detectSeconds >= 0 && Date.now() - t0 > 20_000) break;
          await sleep(500);
        }
        expect(detectSeconds, `operator never reported ${secondary} not ready under ${fault}`).toBeGreaterThan(0);
      } finally {
        await fault_('heal').then(
          () => (healed = true),
          (err: unknown) => console.error(`heal of ${secondary} failed: ${String(err)}`),
        );
        await w.end();
      }
      expect(healed).toBe(true);
      const tHeal = Date.now();
      // Through the node's kind-network address: Docker 20.10 does not restore a published port (the
      // 127.0.0.1 mapping) of a container reconnected to its network after the partition.
      const c = client(`${endpoints[`NODE_IP_${secondary.replace(/-/g, '_')}`]!}:30080`);
      let have = -1;
      const deadline = Date.now() + 240_000;
      while (Date.now() < deadline) {
        try {
          await c.connect();
          break;
        } catch {
          await sleep(2000);
        }
      }
      try {
        while (Date.now() < deadline) {
          const q = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM e2e_ledger WHERE n = ANY($1::int[])', [acked]).catch(() => undefined);
          if (q) have = Number(q.rows[0]!.n);
          if (have === acked.length) break;
          await sleep(1000);
        }
      } finally {
        await c.end().catch(() => undefined);
      }
      expect(have).toBe(acked.length);
      const catchUpSeconds = (Date.now() - tHeal) / 1000;
      let ready: boolean | undefined;
      while (Date.now() < deadline && (ready = await regionReady()) !== true) await sleep(2000);
      expect(ready).toBe(true);
      console.log(
        JSON.stringify({ e2e: 'kind-secondary-outage', clusters: regions.length + 1, fault, region: secondary, detectSeconds, catchUpSeconds, ledgerRows: acked.length, ledgerLost: acked.length - have }),
      );
    });
  }
});
