// A region in another cluster (spec.regions[].kubeconfigSecretRef): two real kube-apiservers, the operator
// runs against the "management" one and reaches the "region" one through the kubeconfig in a Secret.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { GlobalDatabase } from '../../operator/src/api/index.js';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import { objectKey, type KubeObject } from '../../operator/src/specs/index.js';
import {
  freePort,
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver.js';
import { eventually as poll } from '../support/eventually.js';

const root = join(import.meta.dirname, '..', '..');
const ns = 'mc';

const eventually = <T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> => poll(what, fn, timeoutMs, 200);

async function managed(client: KubeClient): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  for (const [v, k] of [
    ['apps/v1', 'StatefulSet'],
    ['v1', 'Service'],
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
  ] as const) {
    for (const o of (await client.list<KubeObject>(v, k, ns, 'borealis.dev/global-database=orders'))
      .items)
      out.set(objectKey(o), o);
  }
  return out;
}

describe.skipIf(!kubeApiServerToolsBuilt())('operator with a region in another cluster', () => {
  let mgmt: KubeApiServer | undefined;
  let region: KubeApiServer | undefined;
  let operator: Operator | undefined;
  let mgmtClient: KubeClient;
  let regionClient: KubeClient;
  const gdb = (name: string, secret: string): string =>
    stringify({
      apiVersion: 'borealis.dev/v1alpha1',
      kind: 'GlobalDatabase',
      metadata: { name },
      spec: {
        primaryRegion: 'us-east',
        regions: [
          { name: 'us-east' },
          {
            name: 'eu-west',
            kubeconfigSecretRef: { name: secret },
            natsGatewayAddress: 'eu-west.example.internal:30722',
          },
        ],
      },
    });

  beforeAll(async () => {
    [mgmt, region] = await Promise.all([startKubeApiServer(), startKubeApiServer()]);
    mgmtClient = KubeClient.fromString(mgmt.kubeconfigYaml);
    regionClient = KubeClient.fromString(region.kubeconfigYaml);
    await mgmt.kubectl(['apply', '--server-side', '-f', join(root, 'charts', 'borealis', 'crds')]);
    await mgmt.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/globaldatabases.borealis.dev',
    ]);
    await mgmt.kubectl(['create', 'namespace', ns]);
    await mgmt.kubectl([
      'create',
      'secret',
      'generic',
      'eu-kubeconfig',
      '-n',
      ns,
      `--from-file=kubeconfig=${region.kubeconfigPath}`,
    ]);
    operator = new Operator({
      client: mgmtClient,
      log: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
      namespace: ns,
      agents: new HttpAgentStatusSource(
        `http://127.0.0.1:${await freePort()}/{region}/status`,
        300,
      ),
      pollIntervalMs: 500,
    });
    await operator.start();
    await mgmt.kubectl(['apply', '-n', ns, '-f', '-'], gdb('orders', 'eu-kubeconfig'));
  });
  afterAll(async () => {
    await operator?.stop();
    await Promise.all([mgmt?.stop(), region?.stop()]);
  });

  it("creates the remote region's objects in its own cluster (namespace included), the local ones here", async () => {
    const remote = await eventually('remote objects', async () => {
      const m = await managed(regionClient);
      return m.size === 12 ? m : undefined;
    });
    expect([...remote.keys()].filter((k) => !k.includes('-eu-west-'))).toEqual([
      `Secret/${ns}/orders-credentials`,
    ]);
    for (const o of remote.values()) {
      expect(o.metadata.ownerReferences).toBeUndefined();
      expect(o.metadata.annotations?.['borealis.dev/owner-namespace']).toBe(ns);
    }
    const local = await managed(mgmtClient);
    expect([...local.keys()].filter((k) => k.includes('-eu-west-'))).toEqual([]);
    expect(local.has(`Service/${ns}/orders-writer`)).toBe(true);
    expect(local.size).toBe(13);
    // Both clusters hold the same generated credentials.
    expect(remote.get(`Secret/${ns}/orders-credentials`)!['data']).toEqual(
      local.get(`Secret/${ns}/orders-credentials`)!['data'],
    );
    // The local region's NATS gateway reaches the remote region at its declared address.
    const conf = (
      local.get(`ConfigMap/${ns}/orders-us-east-config`)!['data'] as Record<string, string>
    )['nats.conf'];
    expect(conf).toContain('{ name: "eu-west", urls: ["nats://eu-west.example.internal:30722"] }');
  });

  it("reads the remote agent's status through that cluster's apiserver proxy and reports why it failed", async () => {
    const g = await eventually('status of eu-west', async () => {
      const x = await mgmtClient.get<GlobalDatabase>(
        'borealis.dev/v1alpha1',
        'GlobalDatabase',
        ns,
        'orders',
      );
      return x.status?.regions?.find((r) => r.name === 'eu-west')?.message ? x : undefined;
    });
    const eu = g.status!.regions!.find((r) => r.name === 'eu-west')!;
    expect(eu).toMatchObject({ role: 'unknown', ready: false });
    expect(eu.message).toContain('agent of region eu-west via apiserver proxy');
    expect(eu.message).toContain(
      `/api/v1/namespaces/${ns}/services/orders-eu-west-api:http/proxy/status`,
    );
  });

  it('corrects drift in the remote cluster on the next poll', async () => {
    const before = (await managed(regionClient)).get(`Service/${ns}/orders-eu-west-reader`)!;
    await region!.kubectl(['delete', 'service', '-n', ns, 'orders-eu-west-reader']);
    await eventually('the remote Service back', async () => {
      const s = (await managed(regionClient)).get(`Service/${ns}/orders-eu-west-reader`);
      return s && s.metadata.uid !== before.metadata.uid;
    });
  });

  it('names a missing kubeconfig Secret in the Ready condition', async () => {
    await mgmt!.kubectl(['apply', '-n', ns, '-f', '-'], gdb('lost', 'no-such-secret'));
    const g = await eventually('ApplyFailed', async () => {
      const x = await mgmtClient.get<GlobalDatabase>(
        'borealis.dev/v1alpha1',
        'GlobalDatabase',
        ns,
        'lost',
      );
      return x.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'ApplyFailed'
        ? x
        : undefined;
    });
    expect(g.status!.conditions!.find((c) => c.type === 'Ready')!.message).toContain(
      `kubeconfig Secret ${ns}/no-such-secret (spec.regions[].kubeconfigSecretRef) does not exist: create it with key "kubeconfig"`,
    );
    await mgmt!.kubectl(['delete', 'globaldatabase', '-n', ns, 'lost', '--wait=false']);
  });

  it('cleans up both clusters when the GlobalDatabase is deleted', async () => {
    await mgmt!.kubectl(['delete', 'globaldatabase', '-n', ns, 'orders', '--wait=false']);
    await eventually(
      'GlobalDatabase gone',
      async () =>
        (await mgmtClient.getOrUndefined(
          'borealis.dev/v1alpha1',
          'GlobalDatabase',
          ns,
          'orders',
        )) === undefined,
    );
    expect((await managed(regionClient)).size).toBe(0);
    expect((await managed(mgmtClient)).size).toBe(0);
  });
});
