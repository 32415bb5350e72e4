// The operator promotes real region agents: a local topology of 3 regions (real PostgreSQL, NATS, region agents on
// 127.0.0.1, started without the local control plane so the operator is the only promotion authority, as on
// Kubernetes), the operator against a real kube-apiserver. A spec.primaryRegion change is a switchover with no
// acknowledged write lost, a FailoverDrill switches back (fail-back) measuring RTO/RPO with its ledger prober, and a
// failover drill kills the primary region's processes: the most advanced secondary is promoted, the prober's lost
// writes are counted, the old primary rejoins as a secondary once it is back (its losses recorded), and it never
// takes a write again in its old epoch.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { injectFault, recoverFault } from '../../cli/src/promotion/index.js';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';
import type { FailoverDrill, GlobalDatabase } from '../../operator/src/api/index.js';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import type { FaultInjector } from '../../operator/src/drills/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import { eventually } from '../support/eventually.js';
import {
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver.js';

const ns = 'promotion';
const REGIONS = ['us-east', 'eu-west', 'ap-south'];

describe.skipIf(!kubeApiServerToolsBuilt())('operator promotions on real region agents', () => {
  let api: KubeApiServer | undefined;
  let topology: Topology | undefined;
  let operator: Operator | undefined;
  let client: KubeClient;
  const gdbOf = (): Promise<GlobalDatabase> =>
    client.get<GlobalDatabase>('borealis.dev/v1alpha1', 'GlobalDatabase', ns, 'orders');
  const pgUrl = (region: string): string => topology!.region(region).urls.postgres;
  const query = async <T extends pg.QueryResultRow>(
    region: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> => {
    const c = new pg.Client({ connectionString: pgUrl(region), connectionTimeoutMillis: 3_000 });
    c.on('error', () => undefined); // a fence or re-seed may terminate the session
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  /** Local-process faults (cli/src/promotion/drill.ts): kill = SIGKILL of the region's processes, restarted on heal. */
  const faults: FaultInjector = {
    inject: async (t, fault) => {
      await injectFault(topology!, fault, t.region);
      return async () => void (await recoverFault(topology!, fault, t.region));
    },
  };
  const drill = async (name: string, spec: FailoverDrill['spec']): Promise<FailoverDrill> => {
    await api!.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      stringify({
        apiVersion: 'borealis.dev/v1alpha1',
        kind: 'FailoverDrill',
        metadata: { name },
        spec,
      }),
    );
    return eventually(
      `drill ${name} to end`,
      async () => {
        const d = await client.get<FailoverDrill>(
          'borealis.dev/v1alpha1',
          'FailoverDrill',
          ns,
          name,
        );
        return d.status?.result ? d : undefined;
      },
      240_000,
      500,
    );
  };
  /** Every region answers in `epoch` with the expected roles, ready. */
  const converged = (epoch: number, primary: string) =>
    eventually(
      `every region ready in epoch ${epoch} with primary ${primary}`,
      async () => {
        const g = await gdbOf();
        const ok =
          g.status?.epoch === epoch &&
          g.status.primaryRegion === primary &&
          REGIONS.every((r) => {
            const s = g.status?.regions?.find((x) => x.name === r);
            return (
              s?.ready && s.epoch === epoch && s.role === (r === primary ? 'primary' : 'secondary')
            );
          });
        return ok ? g : undefined;
      },
      240_000,
      500,
    );

  beforeAll(async () => {
    [api, topology] = await Promise.all([
      startKubeApiServer(),
      startTopology({
        regions: 3,
        agents: true,
        control: false,
        postgresSettings: { fsync: 'off' },
        agentConfig: { heartbeat: { intervalMs: 100 }, control: { leaseFrom: 'admin' } },
      }),
    ]);
    client = KubeClient.fromString(api.kubeconfigYaml);
    const urls = new Map(topology.describe().regions.map((r) => [r.name, r.http]));
    await api.kubectl(['apply', '--server-side', '-f', 'charts/borealis/crds']);
    await api.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/globaldatabases.borealis.dev',
      'crd/failoverdrills.borealis.dev',
    ]);
    await api.kubectl(['create', 'namespace', ns]);
    operator = new Operator({
      client,
      log: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
      namespace: ns,
      agents: new HttpAgentStatusSource((t) => `${urls.get(t.region)}/status`, 1000),
      faults,
      postgresUrl: (_g, region) => pgUrl(region),
      pollIntervalMs: 300,
    });
    await operator.start();
    await api.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      stringify({
        apiVersion: 'borealis.dev/v1alpha1',
        kind: 'GlobalDatabase',
        metadata: { name: 'orders' },
        spec: {
          primaryRegion: 'us-east',
          regions: REGIONS.map((name) => ({ name })),
          failover: { mode: 'manual', detectionSeconds: 1, rpoGuardSeconds: 10 },
        },
      }),
    );
    await converged(1, 'us-east');
  }, 240_000);
  afterAll(async () => {
    await operator?.stop();
    await topology?.stop();
    await api?.stop();
  });

  it('switches over when spec.primaryRegion changes: no acknowledged write lost, the old primary follows read-only', async () => {
    await query('us-east', 'CREATE TABLE IF NOT EXISTS acked (n int PRIMARY KEY)');
    // Writes acknowledged on the old primary right up to the switchover.
    let n = 0;
    let writing = true;
    const acked: number[] = [];
    let stoppedBy = '';
    const writer = (async () => {
      const c = new pg.Client({ connectionString: pgUrl('us-east') });
      await c.connect();
      c.on('error', () => undefined);
      while (writing) {
        try {
          await c.query('INSERT INTO acked VALUES ($1)', [++n]);
          acked.push(n);
        } catch (err) {
          stoppedBy = (err as Error).message;
          break; // fenced: read-only, sessions terminated
        }
      }
      await c.end().catch(() => undefined);
    })();
    await eventually('some writes', () => {
      if (stoppedBy && acked.length <= 50) throw new Error(`the writer stopped: ${stoppedBy}`);
      return Promise.resolve(acked.length > 50);
    });
    await api!.kubectl([
      'patch',
      'globaldatabase',
      'orders',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { primaryRegion: 'eu-west' } }),
    ]);
    const g = await converged(2, 'eu-west');
    writing = false;
    await writer;
    expect(g.status!.lastFailover).toMatchObject({
      type: 'switchover',
      from: 'us-east',
      to: 'eu-west',
      epoch: 2,
      result: 'Succeeded',
      rpoTransactions: 0,
    });
    expect(g.status!.epochHistory!.map((e) => [e.epoch, e.primary])).toEqual([
      [1, 'us-east'],
      [2, 'eu-west'],
    ]);
    expect(g.status!.epochHistory![1]!.fork).toMatchObject({
      epoch: 1,
      stream: 'BOREALIS_APP_EU_WEST',
    });
    const present = new Set(
      (await query<{ n: number }>('eu-west', 'SELECT n FROM acked')).map((r) => r.n),
    );
    expect(acked.filter((x) => !present.has(x))).toEqual([]);
    await expect(query('us-east', 'INSERT INTO acked VALUES (-1)')).rejects.toThrow(/read-only/);
    await query('eu-west', 'INSERT INTO acked VALUES (-2)');
    await eventually("the new primary's write on every region", async () => {
      const counts = await Promise.all(
        REGIONS.map((r) => query<{ c: string }>(r, 'SELECT count(*) AS c FROM acked WHERE n = -2')),
      );
      return counts.every((x) => x[0]!.c === '1');
    });
    // No pod-template change: the term lives in the agents, a promotion rolls nothing.
    const events = JSON.parse(await api!.kubectl(['get', 'events', '-n', ns, '-o', 'json'])) as {
      items: { reason: string }[];
    };
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SwitchoverRequested', 'SwitchedOver']),
    );
  });

  it('a switchover FailoverDrill back to us-east (fail-back) measures RTO and loses nothing', async () => {
    const d = await drill('failback', {
      globalDatabase: 'orders',
      type: 'switchover',
      targetRegion: 'us-east',
      workload: { writesPerSecond: 40 },
    });
    expect(d.status, d.status?.message).toMatchObject({
      result: 'Succeeded',
      from: 'eu-west',
      to: 'us-east',
      epoch: 3,
      rpoTransactions: 0,
    });
    expect(d.status!.acknowledgedWrites).toBeGreaterThan(0);
    expect(d.status!.rtoSeconds).toBeGreaterThan(0);
    expect(d.status!.promotionPhases!.map((p) => p.name)).toEqual([
      'fence',
      'catch-up',
      'hold',
      'epoch',
      'promote',
      'rejoin',
      'follow',
    ]);
    expect(d.status!.phases!.map((p) => p.name)).toEqual([
      'Preparing',
      'Promoting',
      'Rerouting',
      'Verifying',
      'Completed',
    ]);
    await converged(3, 'us-east');
    // spec.primaryRegion still says eu-west: the operator does not switch back on its own after a drill.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await gdbOf()).status).toMatchObject({
      epoch: 3,
      primaryRegion: 'us-east',
      requestedPrimaryRegion: 'eu-west',
    });
  });

  it('a kill FailoverDrill promotes the most advanced secondary, counts lost writes, and the old primary rejoins fenced', async () => {
    const d = await drill('kill', {
      globalDatabase: 'orders',
      type: 'failover',
      fault: 'kill',
      workload: { writesPerSecond: 40 },
    });
    expect(d.status, d.status?.message).toMatchObject({
      result: 'Succeeded',
      from: 'us-east',
      epoch: 4,
    });
    expect(['eu-west', 'ap-south']).toContain(d.status!.to);
    expect(d.status!.rpoTransactions).toBeGreaterThanOrEqual(0);
    expect(d.status!.acknowledgedWrites).toBeGreaterThan(d.status!.rpoTransactions!);
    expect(d.status!.phases!.map((p) => p.name)).toEqual([
      'Preparing',
      'InjectingFault',
      'Detecting',
      'Promoting',
      'Rerouting',
      'Verifying',
      'Completed',
    ]);
    const newPrimary = d.status!.to!;
    // The drill healed the fault (restarted us-east): the operator fences it and re-seeds it into epoch 4.
    const g = await converged(4, newPrimary);
    expect(g.status!.lastFailover).toMatchObject({
      type: 'failover',
      from: 'us-east',
      to: newPrimary,
      epoch: 4,
      result: 'Succeeded',
    });
    const events = JSON.parse(
      await api!.kubectl([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'reason=Rejoined',
        '-o',
        'json',
      ]),
    ) as { items: { message: string }[] };
    expect(
      events.items.some((e) => e.message.includes('region us-east rejoined as a secondary')),
    ).toBe(true);
    await expect(query('us-east', 'CREATE TABLE split_brain (x int)')).rejects.toThrow(/read-only/);
    // Every region converges on the new primary's ledger.
    const count = async (r: string) =>
      (await query<{ c: string }>(r, 'SELECT count(*) AS c FROM borealis_drill_ledger'))[0]!.c;
    const want = await count(newPrimary);
    await eventually('every region has the ledger of the new primary', async () =>
      (await Promise.all(REGIONS.map(count))).every((c) => c === want),
    );
  });

  it("a freeze FailoverDrill: the frozen primary's lease runs out, so when it resumes it takes no write (no split brain)", async () => {
    const from = (await gdbOf()).status!.primaryRegion!;
    const d = await drill('freeze', {
      globalDatabase: 'orders',
      type: 'failover',
      fault: 'freeze',
      workload: { writesPerSecond: 40 },
    });
    expect(d.status, d.status?.message).toMatchObject({ result: 'Succeeded', from, epoch: 5 });
    // The old primary resumed when the drill ended: every write to it fails — by the expired lease until the
    // operator fences and re-seeds it, read-only or restarting after.
    for (let i = 0; i < 10; i++) {
      await expect(query(from, 'INSERT INTO acked VALUES ($1)', [1_000_000 + i])).rejects.toThrow(
        /fenced|read-only|terminat|ECONNREFUSED|starting up|shutting down|does not exist/,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    // The operator's metrics carry the drill's figures and every promotion step.
    const metrics = await operator!.metrics.registry.metrics();
    expect(metrics).toContain(`borealis_failover_rto_seconds ${d.status!.rtoSeconds}`);
    expect(metrics).toContain(`borealis_failover_rpo_transactions ${d.status!.rpoTransactions}`);
    expect(metrics).toMatch(
      /borealis_promotion_phase_seconds_count\{phase="lease",kind="failover"\} [1-9]/,
    );
    expect(metrics).toMatch(/borealis_failovers_total\{kind="switchover",result="succeeded"\} 2/);
    // Unfenced and alive but unreachable: the promotion waited for the old primary's last lease to run out.
    expect(d.status!.promotionPhases!.map((p) => p.name)).toContain('lease');
    await converged(5, d.status!.to!);
    // Every region is in epoch 5: the streams of epochs 1–3 are deleted (epoch 4 keeps the fork), none of 4–5.
    const nc = await connect({ servers: [topology!.region(d.status!.to!).urls.nats] });
    try {
      const jsm = await jetstreamManager(nc);
      const names = await eventually(
        'the streams of epochs 1-3 deleted',
        async () => {
          const all: string[] = [];
          for await (const n of jsm.streams.names()) all.push(n);
          const old = all.filter((n) => n.startsWith('BOREALIS_APP') && !/_EPOCH[45](_|$)/.test(n));
          return old.length === 0 ? all : undefined;
        },
        60_000,
        500,
      );
      expect(names.filter((n) => /^BOREALIS_APP_EPOCH5/.test(n)).length).toBeGreaterThan(0);
      expect(names.filter((n) => /^BOREALIS_APP_EPOCH4/.test(n)).length).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });

  it('a primary stops committing client writes within the lease when the operator cannot renew it', async () => {
    const primary = (await gdbOf()).status!.primaryRegion!;
    await query(primary, 'INSERT INTO acked VALUES (-3)');
    await operator!.stop();
    const rejected = await eventually(
      'writes rejected on the primary',
      async () => {
        try {
          await query(primary, 'INSERT INTO acked VALUES (-4)');
          await query(primary, 'DELETE FROM acked WHERE n = -4');
          return false;
        } catch (err) {
          return (err as Error).message;
        }
      },
      20_000,
      200,
    );
    expect(rejected).toMatch(/fenced \(write lease of epoch 5 ended/);
  });
});
