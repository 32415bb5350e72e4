// The operator against a real kube-apiserver + etcd (no kubelet: pods never run, agents do not answer):
// reconcile creates exactly the expected objects, which pass server-side dry-run; drift is corrected;
// a restart does no duplicate work; a switchover request never re-creates; drills write their status;
// deletion cleans up through the finalizer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  resolveSpec,
  type FailoverDrill,
  type GlobalDatabase,
} from '../../operator/src/api/index.js';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import {
  DEFAULT_IMAGES,
  desiredObjects,
  generateCredentials,
  objectKey,
  type KubeObject,
} from '../../operator/src/specs/index.js';
import {
  freePort,
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver.js';
import { eventually as poll } from '../support/eventually.js';

const root = join(import.meta.dirname, '..', '..');
const ns = 'shop';
const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

const eventually = <T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> => poll(what, fn, timeoutMs, 200);

const perRegion = (g: string, r: string): string[] => [
  `ConfigMap/${ns}/${g}-${r}-config`,
  `Secret/${ns}/${g}-${r}-agent`,
  `StatefulSet/${ns}/${g}-${r}-db`,
  `StatefulSet/${ns}/${g}-${r}-readers`,
  `StatefulSet/${ns}/${g}-${r}-nats`,
  `Service/${ns}/${g}-${r}-db-peers`,
  `Service/${ns}/${g}-${r}-readers-peers`,
  `Service/${ns}/${g}-${r}-nats-peers`,
  `Service/${ns}/${g}-${r}-nats`,
  `Service/${ns}/${g}-${r}-reader`,
  `Service/${ns}/${g}-${r}-api`,
];
/** `kubectl get` table as records keyed by header (empty cells stay empty strings). */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = text.split('\n').filter((l) => l.trim() !== '');
  const cols = [...header!.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index }));
  return rows.map((row) =>
    Object.fromEntries(
      cols.map((c, i) => [c.name, row.slice(c.start, cols[i + 1]?.start ?? row.length).trim()]),
    ),
  );
}

const KINDS = [
  ['apps/v1', 'StatefulSet'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
] as const;

describe.skipIf(!kubeApiServerToolsBuilt())('operator reconcile on a real kube-apiserver', () => {
  let api: KubeApiServer;
  let client: KubeClient;
  let operator: Operator | undefined;
  let agentPort: number;
  const started: Operator[] = [];

  const startOperator = async (): Promise<Operator> => {
    const op = new Operator({
      client,
      log,
      namespace: ns,
      // Nothing listens there: every region agent is unreachable (no kubelet runs pods here).
      agents: new HttpAgentStatusSource(`http://127.0.0.1:${agentPort}/{region}/status`, 300),
      pollIntervalMs: 500,
      httpPort: 0,
      httpHost: '127.0.0.1',
      leaderElection: {
        namespace: ns,
        name: 'borealis-operator',
        identity: `test-${process.hrtime.bigint()}`,
        leaseDurationSeconds: 10,
        retryPeriodMs: 500,
      },
    });
    started.push(op);
    await op.start();
    return op;
  };
  const managed = async (): Promise<Map<string, KubeObject>> => {
    const out = new Map<string, KubeObject>();
    for (const [v, k] of KINDS) {
      for (const o of (
        await client.list<KubeObject>(v, k, ns, 'app.kubernetes.io/managed-by=borealis-operator')
      ).items)
        out.set(objectKey(o), o);
    }
    return out;
  };
  const getGdb = (): Promise<GlobalDatabase> =>
    client.get<GlobalDatabase>('borealis.dev/v1alpha1', 'GlobalDatabase', ns, 'orders');
  const example = (): GlobalDatabase =>
    parse(readFileSync(join(root, 'examples', 'global-database.yaml'), 'utf8')) as GlobalDatabase;
  const events = async (): Promise<{ reason: string; message: string }[]> =>
    (
      JSON.parse(
        await api.kubectl([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.kind=GlobalDatabase',
          '-o',
          'json',
        ]),
      ) as { items: { reason: string; message: string }[] }
    ).items;

  beforeAll(async () => {
    api = await startKubeApiServer();
    client = KubeClient.fromString(api.kubeconfigYaml);
    agentPort = await freePort();
    await api.kubectl(['apply', '--server-side', '-f', join(root, 'charts', 'borealis', 'crds')]);
    await api.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/globaldatabases.borealis.dev',
      'crd/failoverdrills.borealis.dev',
    ]);
    await api.kubectl(['create', 'namespace', ns]);
    await api.kubectl(['create', 'namespace', 'dry']);
    operator = await startOperator();
    await api.kubectl(['apply', '-n', ns, '-f', join(root, 'examples', 'global-database.yaml')]);
  });
  afterAll(async () => {
    for (const op of started) await op.stop(); // stop() is idempotent
    await api?.stop();
  });

  const expected = (regions: string[], g = 'orders'): string[] =>
    [
      `Secret/${ns}/${g}-credentials`,
      `Service/${ns}/${g}-writer`,
      ...regions.flatMap((r) => perRegion(g, r)),
    ].sort();

  it('creates exactly the expected objects in every region, owned by the GlobalDatabase', async () => {
    const want = expected(['us-east', 'eu-west', 'ap-south']);
    const got = await eventually('all managed objects', async () => {
      const m = await managed();
      return m.size >= want.length ? m : undefined;
    });
    expect([...got.keys()].sort()).toEqual(want);
    const gdb = await getGdb();
    for (const o of got.values())
      expect(o.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'GlobalDatabase',
          name: 'orders',
          uid: gdb.metadata.uid,
          controller: true,
        }),
      ]);
    expect(gdb.metadata.finalizers).toContain('borealis.dev/cleanup');
    const readers = got.get(`StatefulSet/${ns}/orders-us-east-readers`)!['spec'] as {
      replicas: number;
    };
    expect(readers.replicas).toBe(1);
  });

  it('builds objects that pass server-side dry-run creation from scratch', async () => {
    const gdb = example();
    const groups = desiredObjects({
      gdb: { name: 'orders', namespace: 'dry', uid: 'dry-run-uid' },
      spec: resolveSpec(gdb.spec),
      primaryRegion: 'us-east',
      epoch: 1,
      images: DEFAULT_IMAGES,
      credentials: generateCredentials(),
    });
    const objs = groups
      .flatMap((g) => g.objects)
      .map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: undefined } }));
    expect(objs).toHaveLength(35);
    for (const o of objs) {
      const created = await client.create(o, { dryRun: true });
      expect(created.metadata.name).toBe(o.metadata.name);
    }
    expect((await client.list('v1', 'Service', 'dry')).items).toHaveLength(0);
  });

  it('reports status and conditions from the (unreachable) region agents', async () => {
    const gdb = await eventually('status', async () => {
      const g = await getGdb();
      return g.status?.conditions?.length === 4 ? g : undefined;
    });
    const s = gdb.status!;
    expect(s).toMatchObject({
      phase: 'Provisioning',
      epoch: 1,
      primaryRegion: 'us-east',
      regionsReady: '0/3',
      observedGeneration: gdb.metadata.generation,
    });
    const cond = Object.fromEntries(s.conditions!.map((c) => [c.type, c]));
    expect(cond['Ready']).toMatchObject({ status: 'False', reason: 'RegionsNotReady' });
    expect(cond['Replicating']).toMatchObject({ status: 'False', reason: 'NoApplyPosition' });
    expect(cond['Degraded']).toMatchObject({ status: 'True', reason: 'RegionsImpaired' });
    expect(cond['FailingOver']).toMatchObject({ status: 'False', reason: 'Idle' });
    expect(s.regions!.map((r) => [r.name, r.role, r.ready])).toEqual([
      ['us-east', 'unknown', false],
      ['eu-west', 'unknown', false],
      ['ap-south', 'unknown', false],
    ]);
    expect(s.regions![0]!.message).toContain(`127.0.0.1:${agentPort}`);
    const [row] = table(await api.kubectl(['get', 'globaldatabases', '-n', ns]));
    expect(row).toMatchObject({
      NAME: 'orders',
      PRIMARY: 'us-east',
      EPOCH: '1',
      REGIONS: '0/3',
      'MAX-LAG': '',
      PHASE: 'Provisioning',
    });
    const described = await api.kubectl(['describe', 'globaldatabase', '-n', ns, 'orders']);
    expect(described).toMatch(/Type:\s+Ready/);
    expect(described).toMatch(/Reason:\s+RegionsNotReady/);
    expect(described).toMatch(
      /Normal\s+Created\s+\S+\s+borealis-operator\s+created 34 objects in this cluster/,
    );
  });

  it('brings back a deleted Service and reverts a scaled StatefulSet', async () => {
    const before = (await managed()).get(`Service/${ns}/orders-us-east-reader`)!;
    await api.kubectl(['delete', 'service', '-n', ns, 'orders-us-east-reader']);
    const back = await eventually('the Service to come back', async () => {
      const s = (await managed()).get(`Service/${ns}/orders-us-east-reader`);
      return s && s.metadata.uid !== before.metadata.uid ? s : undefined;
    });
    expect((back['spec'] as { selector: Record<string, string> }).selector).toEqual(
      (before['spec'] as { selector: Record<string, string> }).selector,
    );
    await api.kubectl(['scale', 'statefulset', '-n', ns, 'orders-eu-west-readers', '--replicas=4']);
    await eventually(
      'readers scaled back to 0',
      async () =>
        (
          (await managed()).get(`StatefulSet/${ns}/orders-eu-west-readers`)!['spec'] as {
            replicas: number;
          }
        ).replicas === 0,
    );
    await eventually('an Updated event for the drift', async () =>
      (await events()).some(
        (e) =>
          e.reason === 'Updated' && e.message.includes(`StatefulSet/${ns}/orders-eu-west-readers`),
      ),
    );
  });

  it('resumes after a restart without duplicate work', async () => {
    const rvs = new Map([...(await managed())].map(([k, o]) => [k, o.metadata.resourceVersion]));
    const gdbRv = (await getGdb()).metadata.resourceVersion;
    const eventCount = (await events()).length;
    expect(eventCount).toBeGreaterThan(0);
    await operator!.stop();
    operator = undefined;
    operator = await startOperator();
    // Let the new operator reconcile several times (poll interval 500 ms).
    await eventually('reconciles by the restarted operator', async () => {
      const text = await operator!.metrics.registry.getSingleMetricAsString(
        'borealis_operator_reconcile_total',
      );
      const m =
        /borealis_operator_reconcile_total\{controller="globaldatabase",result="success"\} (\d+)/.exec(
          text,
        );
      return m !== null && Number(m[1]) >= 4;
    });
    const after = new Map([...(await managed())].map(([k, o]) => [k, o.metadata.resourceVersion]));
    expect(after).toEqual(rvs);
    expect((await getGdb()).metadata.resourceVersion).toBe(gdbRv);
    expect((await events()).slice(eventCount)).toEqual([]);
    const metrics = await fetch(
      `http://127.0.0.1:${operator?.httpAddress()?.port ?? 0}/metrics`,
    ).then((r) => r.text());
    expect(metrics).toMatch(
      /borealis_operator_reconcile_duration_seconds_count\{controller="globaldatabase"\} \d+/,
    );
  });

  it('applies nothing while nothing changed: no server-side apply on every poll', async () => {
    const applies = async (): Promise<number> => {
      const text = await api.kubectl(['get', '--raw', '/metrics']);
      let n = 0;
      for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm))
        if (m[1]!.includes('verb="APPLY"')) n += Number(m[2]);
      return n;
    };
    const reconciles = async (): Promise<number> => {
      const text = await operator!.metrics.registry.getSingleMetricAsString(
        'borealis_operator_reconcile_total',
      );
      const m =
        /borealis_operator_reconcile_total\{controller="globaldatabase",result="success"\} (\d+)/.exec(
          text,
        );
      return m ? Number(m[1]) : 0;
    };
    const before = await applies();
    const r0 = await reconciles();
    await eventually('four more reconciles', async () => (await reconciles()) >= r0 + 4);
    expect(await applies()).toBe(before);
  });

  it('a second replica waits on the Lease and takes over when the leader stops', async () => {
    const holder = async (): Promise<string | undefined> =>
      (
        await client.get<{
          apiVersion: string;
          kind: string;
          metadata: { name: string };
          spec: { holderIdentity?: string };
        }>('coordination.k8s.io/v1', 'Lease', ns, 'borealis-operator')
      ).spec.holderIdentity;
    const leader = await holder();
    expect(leader).toMatch(/^test-/);
    let standbyStarted = false;
    const standby = startOperator().then((op) => {
      standbyStarted = true;
      return op;
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect(standbyStarted).toBe(false);
    expect(await holder()).toBe(leader);
    await operator!.stop();
    operator = await standby;
    expect(standbyStarted).toBe(true);
    expect(await holder()).not.toBe(leader);
  });

  it('follows spec changes: readers scale, a removed region is pruned', async () => {
    const g = example();
    g.spec.regions[0]!.readers = 3;
    g.spec.regions = g.spec.regions.filter((r) => r.name !== 'ap-south');
    await api.kubectl(['apply', '-n', ns, '-f', '-'], stringify(g));
    const got = await eventually('pruned objects', async () => {
      const m = await managed();
      return m.size === expected(['us-east', 'eu-west']).length ? m : undefined;
    });
    expect([...got.keys()].sort()).toEqual(expected(['us-east', 'eu-west']));
    expect(
      (got.get(`StatefulSet/${ns}/orders-us-east-readers`)!['spec'] as { replicas: number })
        .replicas,
    ).toBe(3);
    await eventually(
      'status with 2 regions',
      async () => (await getGdb()).status?.regionsReady === '0/2',
    );
  });

  it('treats a changed primaryRegion as a switchover, never a re-creation (no agents run here: it is refused and says why)', async () => {
    const uids = new Map([...(await managed())].map(([k, o]) => [k, o.metadata.uid]));
    const g = example();
    g.spec.regions[0]!.readers = 3;
    g.spec.regions = g.spec.regions.filter((r) => r.name !== 'ap-south');
    g.spec.primaryRegion = 'eu-west';
    await api.kubectl(['apply', '-n', ns, '-f', '-'], stringify(g));
    const gdb = await eventually('switchover attempt recorded', async () => {
      const x = await getGdb();
      return x.status?.lastFailover?.result === 'Refused' &&
        x.status.conditions?.find((c) => c.type === 'FailingOver')?.reason ===
          'PromotionNotPerformed'
        ? x
        : undefined;
    });
    expect(gdb.status!.lastFailover).toMatchObject({
      type: 'switchover',
      from: 'us-east',
      to: 'eu-west',
      result: 'Refused',
    });
    expect(gdb.status!.lastFailover!.message).toContain('target eu-west does not answer');
    expect(gdb.status!.requestedPrimaryRegion).toBe('eu-west');
    expect(gdb.status!).toMatchObject({ primaryRegion: 'us-east', epoch: 1 });
    const writer = (await managed()).get(`Service/${ns}/orders-writer`)!;
    expect(
      (writer['spec'] as { selector: Record<string, string> }).selector['borealis.dev/region'],
    ).toBe('us-east');
    expect(new Map([...(await managed())].map(([k, o]) => [k, o.metadata.uid]))).toEqual(uids);
  });

  it('runs a FailoverDrill and writes its phases and result (fails honestly: no region is running here)', async () => {
    await api.kubectl([
      'apply',
      '-n',
      ns,
      '-f',
      join(root, 'examples', 'failover-drill-switchover.yaml'),
    ]);
    const d = await eventually('drill result', async () => {
      const x = await client.get<FailoverDrill>(
        'borealis.dev/v1alpha1',
        'FailoverDrill',
        ns,
        'orders-switchover-1',
      );
      return x.status?.result ? x : undefined;
    });
    expect(d.status).toMatchObject({
      result: 'Failed',
      phase: 'Completed',
      from: 'us-east',
      to: 'eu-west',
    });
    expect(d.status!.message).toContain('phase Preparing: primary region us-east is not ready');
    expect(d.status!.phases!.map((p) => p.name)).toEqual(['Preparing', 'Completed']);
    expect(d.status!.conditions).toEqual([
      expect.objectContaining({ type: 'Completed', status: 'True', reason: 'Failed' }),
    ]);
    const [row] = table(await api.kubectl(['get', 'failoverdrills', '-n', ns]));
    expect(row).toMatchObject({
      NAME: 'orders-switchover-1',
      DATABASE: 'orders',
      TYPE: 'switchover',
      FROM: 'us-east',
      TO: 'eu-west',
      PHASE: 'Completed',
      RTO: '',
      RPO: '',
      RESULT: 'Failed',
    });
    // A drill naming a missing database fails with a message naming the field.
    const bad = parse(
      readFileSync(join(root, 'examples', 'failover-drill-failover.yaml'), 'utf8'),
    ) as FailoverDrill;
    bad.metadata.name = 'no-such-db';
    bad.spec.globalDatabase = 'nope';
    await api.kubectl(['apply', '-n', ns, '-f', '-'], stringify(bad));
    const b = await eventually('drill result', async () => {
      const x = await client.get<FailoverDrill>(
        'borealis.dev/v1alpha1',
        'FailoverDrill',
        ns,
        'no-such-db',
      );
      return x.status?.result ? x : undefined;
    });
    expect(b.status!.message).toBe(
      `phase Preparing: GlobalDatabase "nope" not found in namespace ${ns} (spec.globalDatabase)`,
    );
  });

  it('cleans up every managed object when the GlobalDatabase is deleted', async () => {
    await api.kubectl(['delete', 'globaldatabase', '-n', ns, 'orders', '--wait=false']);
    await eventually(
      'GlobalDatabase gone',
      async () =>
        (await client.getOrUndefined('borealis.dev/v1alpha1', 'GlobalDatabase', ns, 'orders')) ===
        undefined,
    );
    expect([...(await managed()).keys()]).toEqual([]);
  });
});
