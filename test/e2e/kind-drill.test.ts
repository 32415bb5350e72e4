// Regional outage drills on kind, end to end (issue #10; part of `npm run test:e2e` and so of CI):
// hack/kind-up.sh --regions 3 (management cluster borealis-global holding the operator and the custom resources,
// one kind cluster per region), a host-side load tool writing a numbered ledger to whatever region the
// GlobalDatabase names primary, then `kubectl apply` of a freeze drill and a partition drill against the primary
// region and a switchover back to the region the last failover left (fail-back), then hack/kind-down.sh (also
// when a step fails).
// Each drill's rpoTransactions (the operator's prober) is reported beside the load tool's own count of
// acknowledged writes missing on the new primary; the old primary is written to directly once it resumes and must
// take nothing (its lease ran out). One JSON line per drill:
// {"e2e":"kind-drill","clusters":N,"fault":…,"rtoSeconds":…,"rpoTransactions":…,"ledgerLost":…}.
// BOREALIS_KIND_KEEP=1 keeps the clusters; BOREALIS_KIND_REUSE=1 uses clusters already made by kind-up.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverDrill, GlobalDatabase } from '../../operator/src/api/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import { PrometheusClient } from '../../cli/src/prometheus/index.js';
import { checkDashboardQueries } from '../support/dashboard-queries.js';
import { dockerUnavailableReason, must, run } from '../support/docker.js';
import { eventually } from '../support/eventually.js';
import { toolsBinDir } from '../support/kube-apiserver.js';

const root = join(import.meta.dirname, '..', '..');
const state = process.env['BOREALIS_KIND_STATE'] ?? join(homedir(), '.cache', 'borealis', 'kind');
const missingTool = ['kind', 'helm', 'kubectl'].find((t) => !existsSync(join(toolsBinDir(), t)));
const reason =
  dockerUnavailableReason() ||
  (missingTool ? `${missingTool} is not built: bash hack/tools.sh install ${missingTool}` : '');
if (reason) console.warn(`kind drill test skipped: ${reason}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return out;
}

interface Write {
  n: number;
  region: string;
  ackAt?: number;
}

describe.skipIf(reason !== '')(
  'regional outage drills on kind, run by the operator with kubectl',
  () => {
    let up: Record<string, string> = {};
    let endpoints: Record<string, string> = {};
    let regions: string[] = [];
    let password = '';
    let k: KubeClient;
    const ns = 'default';
    const gdb = (): Promise<GlobalDatabase> =>
      k.get<GlobalDatabase>('borealis.dev/v1alpha1', 'GlobalDatabase', ns, 'orders');
    const nodeAddress = (region: string): string =>
      `${endpoints[`NODE_IP_${region.replace(/-/g, '_')}`]!}:30080`;
    const connect = async (region: string): Promise<pg.Client> => {
      const [host, port] = nodeAddress(region).split(':');
      const c = new pg.Client({
        host,
        port: Number(port),
        user: 'postgres',
        password,
        database: 'app',
        connectionTimeoutMillis: 2_000,
      });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };

    /** The load tool: numbered single-row writes to the region the GlobalDatabase names primary, 25 a second. */
    const ledger: Write[] = [];
    let loadStop = false;
    let load: Promise<void> | undefined;
    const startLoad = (): void => {
      load = (async () => {
        let c: { client: pg.Client; region: string } | undefined;
        let n = 0;
        while (!loadStop) {
          const w: Write = { n: ++n, region: '' };
          ledger.push(w);
          try {
            if (!c) {
              const region = (await gdb()).status!.primaryRegion!;
              c = { client: await connect(region), region };
            }
            w.region = c.region;
            await Promise.race([
              c.client.query('INSERT INTO e2e_ledger (n) VALUES ($1)', [w.n]),
              sleep(2_000).then(() => Promise.reject(new Error('write timed out'))),
            ]);
            w.ackAt = Date.now();
          } catch {
            const dead = c?.client;
            c = undefined;
            void dead?.end().catch(() => undefined);
          }
          await sleep(40);
        }
        await c?.client.end().catch(() => undefined);
      })();
    };
    /** Acknowledged writes of the load tool (up to now) that `region` does not have. */
    const ledgerLost = async (region: string): Promise<number> => {
      const c = await connect(region);
      try {
        const present = new Set(
          (await c.query<{ n: number }>('SELECT n FROM e2e_ledger')).rows.map((r) => Number(r.n)),
        );
        return ledger.filter((w) => w.ackAt !== undefined && !present.has(w.n)).length;
      } finally {
        await c.end();
      }
    };

    const readyAgain = (): Promise<GlobalDatabase> =>
      eventually(
        'the GlobalDatabase Ready with every region',
        async () => {
          const g = await gdb();
          return g.status?.phase === 'Ready' &&
            g.status.regionsReady === `${regions.length}/${regions.length}` &&
            g.status.regions?.every((r) => r.epoch === g.status!.epoch)
            ? g
            : undefined;
        },
        300_000,
        1_000,
      );

    const drill = async (name: string, spec: FailoverDrill['spec']): Promise<FailoverDrill> => {
      await must(
        join(toolsBinDir(), 'kubectl'),
        [`--kubeconfig=${join(state, 'borealis-global.kubeconfig')}`, 'apply', '-n', ns, '-f', '-'],
        {
          input: JSON.stringify({
            apiVersion: 'borealis.dev/v1alpha1',
            kind: 'FailoverDrill',
            metadata: { name },
            spec,
          }),
        },
      );
      return eventually(
        `drill ${name} to end`,
        async () => {
          const d = await k.get<FailoverDrill>('borealis.dev/v1alpha1', 'FailoverDrill', ns, name);
          return d.status?.result ? d : undefined;
        },
        300_000,
        1_000,
      );
    };

    /** Writes straight to the old primary's PostgreSQL for a while after it resumed: how many it accepted. */
    const writesAcceptedBy = async (region: string, ms: number): Promise<number> => {
      let accepted = 0;
      const until = Date.now() + ms;
      for (let i = 0; Date.now() < until; i++) {
        try {
          const c = await connect(region);
          try {
            await c.query('INSERT INTO e2e_ledger (n) VALUES ($1)', [-1 - i]);
            accepted++;
          } finally {
            await c.end().catch(() => undefined);
          }
        } catch {
          // rejected: lease ended, read-only, terminated, or not reachable yet
        }
        await sleep(250);
      }
      return accepted;
    };

    const results: Record<string, unknown>[] = [];
    /** The region the last failover drill moved the primary away from: fail-back goes there. */
    let lastFrom = '';
    /** When the last failover drill's new primary took over (its Rerouting phase began): its term starts there. */
    let termStartedAt = 0;
    const failoverDrill = async (fault: 'freeze' | 'partition'): Promise<void> => {
      const before = await readyAgain();
      const from = before.status!.primaryRegion!;
      const d = await drill(`e2e-${fault}`, {
        globalDatabase: 'orders',
        type: 'failover',
        fault,
        workload: { writesPerSecond: 40 },
      });
      expect(d.status, d.status?.message).toMatchObject({ result: 'Succeeded', from });
      const to = d.status!.to!;
      expect(to).not.toBe(from);
      lastFrom = from;
      termStartedAt = Date.parse(d.status!.phases!.find((p) => p.name === 'Rerouting')!.startedAt);
      // The drill healed the fault when it ended: the resumed old primary takes no write (no split brain).
      const accepted = await writesAcceptedBy(from, 5_000);
      const lost = await ledgerLost(to);
      const line = {
        e2e: 'kind-drill',
        clusters: regions.length + 1,
        fault,
        from,
        to,
        rtoSeconds: d.status!.rtoSeconds,
        rpoTransactions: d.status!.rpoTransactions,
        ledgerLost: lost,
        oldPrimaryAcceptedAfterResume: accepted,
      };
      results.push(line);
      console.log(JSON.stringify(line));
      expect(accepted).toBe(0);
      // Mission floor: promotion in under a minute.
      expect(d.status!.rtoSeconds).toBeLessThan(60);
      expect(d.status!.rpoTransactions).toBeGreaterThanOrEqual(0);
      const g = await readyAgain();
      expect(g.status).toMatchObject({ primaryRegion: to, epoch: before.status!.epoch! + 1 });
      expect(g.status!.regions!.find((r) => r.name === from)).toMatchObject({
        role: 'secondary',
        ready: true,
      });
    };

    beforeAll(async () => {
      if (process.env['BOREALIS_KIND_REUSE'] !== '1') {
        await must(
          'bash',
          [join(root, 'hack', 'kind-up.sh'), '--regions', '3', '--skip-images', '--timeout', '900'],
          { timeoutMs: 1_800_000 },
        );
      }
      up = envFile(join(state, 'kind-up.env'));
      endpoints = envFile(join(state, 'endpoints.env'));
      regions = (up['REGIONS'] ?? '').split(' ').filter(Boolean);
      k = KubeClient.fromString(readFileSync(join(state, 'borealis-global.kubeconfig'), 'utf8'));
      const secret = await k.get<{
        apiVersion: string;
        kind: string;
        metadata: { name: string };
        data: Record<string, string>;
      }>('v1', 'Secret', ns, 'orders-credentials');
      password = Buffer.from(secret.data['postgres-password']!, 'base64').toString('utf8');
      const g = await readyAgain();
      const c = await connect(g.status!.primaryRegion!);
      await c.query(
        'CREATE TABLE IF NOT EXISTS e2e_ledger (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())',
      );
      await c.end();
      startLoad();
    }, 1_900_000);

    afterAll(async () => {
      loadStop = true;
      await load;
      if (process.env['BOREALIS_KIND_KEEP'] === '1') return;
      const r = await run('bash', [join(root, 'hack', 'kind-down.sh')], { timeoutMs: 900_000 });
      if (r.code !== 0) console.error(`hack/kind-down.sh failed: ${r.stderr}`);
    }, 900_000);

    it("Prometheus scrapes every region agent and the operator with the rules loaded; the dashboards' queries return data", async () => {
      const client = new PrometheusClient(endpoints['PROMETHEUS']!);
      await eventually(
        'every region agent and the operator scraped and up for 20 s',
        async () => {
          const t = await client.targets();
          const up = await client.query('min(count_over_time(up[20s]))');
          return (
            t.length === regions.length + 1 &&
            t.every((x) => x.health === 'up') &&
            Number(up[0]?.value[1] ?? 0) >= 4
          );
        },
        120_000,
        1000,
      );
      const agents = (await client.targets()).filter((t) => t.labels['job'] === 'borealis-agent');
      expect(agents.map((t) => t.labels['region']).sort()).toEqual([...regions].sort());
      const rules = await client.rules();
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
      // On kind the agents and the operator run; the local topology's control plane (writer endpoint,
      // fenced-connection count) does not, so its panels are only parsed.
      const { checked, skipped } = await checkDashboardQueries(
        client,
        { globaldatabase: 'orders', rateInterval: '20s', range: '1m' },
        new Set(['agent', 'operator', 'prometheus']),
      );
      console.log(
        JSON.stringify({
          e2e: 'kind-dashboards',
          withData: checked.length,
          parseOnly: skipped.length,
        }),
      );
      expect(checked.length).toBeGreaterThan(0);
    });

    it('freeze drill on the primary region: fails over, the frozen primary takes no write when it resumes', async () => {
      await failoverDrill('freeze');
    });

    it('partition drill on the (new) primary region: fails over, the cut-off primary takes no write when it is back', async () => {
      await failoverDrill('partition');
    });

    it('switchover back to the region the last failover left (fail-back) loses no acknowledged write', async () => {
      const before = await readyAgain();
      const home = lastFrom;
      expect(home).not.toBe('');
      const d = await drill('e2e-failback', {
        globalDatabase: 'orders',
        type: 'switchover',
        targetRegion: home,
        workload: { writesPerSecond: 40 },
      });
      expect(d.status, d.status?.message).toMatchObject({
        result: 'Succeeded',
        from: before.status!.primaryRegion,
        to: home,
        rpoTransactions: 0,
      });
      // Every write the load tool had acknowledged in the old primary's term is on the new one (writes an earlier
      // failover lost are that failover's loss, reported there).
      const lostBefore = ledger.filter(
        (w) =>
          w.ackAt !== undefined &&
          w.ackAt >= termStartedAt &&
          w.region === before.status!.primaryRegion,
      );
      const c = await connect(home);
      const present = new Set(
        (await c.query<{ n: number }>('SELECT n FROM e2e_ledger')).rows.map((r) => Number(r.n)),
      );
      await c.end();
      const lost = lostBefore.filter((w) => !present.has(w.n)).length;
      const line = {
        e2e: 'kind-drill',
        clusters: regions.length + 1,
        fault: 'switchover',
        from: d.status!.from,
        to: home,
        rtoSeconds: d.status!.rtoSeconds,
        rpoTransactions: d.status!.rpoTransactions,
        ledgerLost: lost,
      };
      results.push(line);
      console.log(JSON.stringify(line));
      expect(lost).toBe(0);
      const g = await readyAgain();
      expect(g.status!.primaryRegion).toBe(home);
    });
  },
);
