// The operator's status follows real region agents: a local topology (real PostgreSQL, NATS, region agents on
// 127.0.0.1, cli/src/topology) reports through GET /status, the operator runs against a real kube-apiserver.
// Killing agents moves conditions and phase; with failover.mode automatic the operator detects the dead primary,
// promotes the secondary through the agents' promotion API (the topology runs without its own control plane, so
// the operator is the only promotion authority, as on Kubernetes).
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';
import type { GlobalDatabase } from '../../operator/src/api/index.js';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import {
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver.js';
import { eventually } from '../support/eventually.js';

const root = join(import.meta.dirname, '..', '..');
const ns = 'agents';

describe.skipIf(!kubeApiServerToolsBuilt())('operator status from real region agents', () => {
  let api: KubeApiServer | undefined;
  let topology: Topology | undefined;
  let operator: Operator | undefined;
  let client: KubeClient;
  const gdbOf = (): Promise<GlobalDatabase> =>
    client.get<GlobalDatabase>('borealis.dev/v1alpha1', 'GlobalDatabase', ns, 'orders');
  const cond = (g: GlobalDatabase, type: string) =>
    g.status?.conditions?.find((c) => c.type === type);

  beforeAll(async () => {
    [api, topology] = await Promise.all([
      startKubeApiServer(),
      startTopology({
        regions: 2,
        agents: true,
        control: false,
        postgresSettings: { fsync: 'off' },
        agentConfig: { heartbeat: { intervalMs: 100 }, control: { leaseFrom: 'admin' } },
      }),
    ]);
    client = KubeClient.fromString(api.kubeconfigYaml);
    const urls = new Map(topology.describe().regions.map((r) => [r.name, r.http]));
    await api.kubectl(['apply', '--server-side', '-f', join(root, 'charts', 'borealis', 'crds')]);
    await api.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/globaldatabases.borealis.dev',
    ]);
    await api.kubectl(['create', 'namespace', ns]);
    operator = new Operator({
      client,
      log: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
      namespace: ns,
      agents: new HttpAgentStatusSource((t) => `${urls.get(t.region)}/status`, 1000),
      pollIntervalMs: 300,
    });
    await operator.start();
  });
  afterAll(async () => {
    await operator?.stop();
    await topology?.stop();
    await api?.stop();
  });

  const apply = (failover: Record<string, unknown>): Promise<string> =>
    api!.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      stringify({
        apiVersion: 'borealis.dev/v1alpha1',
        kind: 'GlobalDatabase',
        metadata: { name: 'orders' },
        spec: {
          primaryRegion: 'us-east',
          regions: [{ name: 'us-east' }, { name: 'eu-west' }],
          replication: { maxLagSeconds: 1 },
          failover,
        },
      }),
    );

  it('reaches Ready with the agents replicating: roles, positions and lag in status', async () => {
    await apply({ mode: 'manual' });
    const g = await eventually('phase Ready', async () => {
      const x = await gdbOf();
      return x.status?.phase === 'Ready' ? x : undefined;
    });
    expect(g.status).toMatchObject({ epoch: 1, primaryRegion: 'us-east', regionsReady: '2/2' });
    // kubectl get -o wide lists every region with its role, epoch and lag.
    const wide = await api!.kubectl(['get', 'globaldatabases', '-n', ns, '-o', 'wide']);
    expect(wide).toMatch(/REGION-STATES/);
    expect(wide).toMatch(/us-east=primary\/e1 eu-west=secondary\/e1\/[\d.]+s/);
    const [east, west] = g.status!.regions!;
    expect(east).toMatchObject({ name: 'us-east', role: 'primary', ready: true, epoch: 1 });
    expect(east!.appliedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(west).toMatchObject({ name: 'eu-west', role: 'secondary', ready: true, epoch: 1 });
    expect(west!.appliedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(west!.streamSeq).toBeGreaterThan(0);
    expect(west!.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(west!.lagSeconds).toBeLessThanOrEqual(1);
    expect(g.status!.maxLagSeconds).toBe(west!.lagSeconds);
    expect(cond(g, 'Ready')).toMatchObject({ status: 'True', reason: 'AllRegionsReady' });
    expect(cond(g, 'Replicating')).toMatchObject({ status: 'True', reason: 'WithinMaxLag' });
    expect(cond(g, 'Degraded')).toMatchObject({ status: 'False' });
    // Heartbeats keep the secondary's position moving even with no user writes.
    const seq = west!.streamSeq!;
    await eventually(
      'the secondary to apply more heartbeats',
      async () => ((await gdbOf()).status?.regions?.[1]?.streamSeq ?? 0) > seq,
    );
  });

  it('detects a dead primary agent and, in automatic mode, fails over to the secondary', async () => {
    await apply({ mode: 'automatic', detectionSeconds: 1, rpoGuardSeconds: 5 });
    await topology!.kill('us-east', 'agent');
    const degraded = await eventually('phase Degraded', async () => {
      const x = await gdbOf();
      return x.status?.phase === 'Degraded' ? x : undefined;
    });
    expect(degraded.status!.regions![0]).toMatchObject({
      name: 'us-east',
      role: 'unknown',
      ready: false,
    });
    expect(cond(degraded, 'Ready')).toMatchObject({ status: 'False', reason: 'RegionsNotReady' });
    expect(cond(degraded, 'Degraded')).toMatchObject({ status: 'True' });
    const g = await eventually('the failover in status.lastFailover', async () => {
      const x = await gdbOf();
      return x.status?.lastFailover ? x : undefined;
    });
    expect(g.status!.lastFailover, g.status!.lastFailover?.message).toMatchObject({
      type: 'failover',
      from: 'us-east',
      to: 'eu-west',
      epoch: 2,
      result: 'Succeeded',
    });
    const promoted = await eventually('eu-west serving as primary of epoch 2', async () => {
      const x = await gdbOf();
      const west = x.status?.regions?.find((r) => r.name === 'eu-west');
      return x.status?.primaryRegion === 'eu-west' &&
        west?.role === 'primary' &&
        west.epoch === 2 &&
        west.ready
        ? x
        : undefined;
    });
    expect(promoted.status).toMatchObject({ primaryRegion: 'eu-west', epoch: 2 });
    const events = (
      JSON.parse(
        await api!.kubectl([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'reason=FailoverStarted',
          '-o',
          'json',
        ]),
      ) as { items: { message: string }[] }
    ).items;
    expect(events[0]!.message).toMatch(
      /primary us-east unhealthy for \d+\.\ds: .*; promoting eu-west \(estimated RPO [\d.]+s\)/,
    );
  });
});
