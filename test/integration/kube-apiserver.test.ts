// Smoke test of the real etcd + kube-apiserver harness (test/support/kube-apiserver.ts):
// apply a CRD, wait for Established, create and list a custom object (kubectl, raw HTTPS
// and @kubernetes/client-node), and see the apiserver's OpenAPI validation reject a bad one.
// Needs: bash hack/tools.sh install etcd kube-apiserver
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiServerToolsBuilt, pinnedVersions, startKubeApiServer, toolsBinDir, type KubeApiServer } from '../support/kube-apiserver.js';

const built = kubeApiServerToolsBuilt();
if (!built) {
  console.warn(
    `kube-apiserver smoke skipped: etcd/kube-apiserver/kubectl not found in ${toolsBinDir()}; ` +
      'build them with: bash hack/tools.sh install etcd kube-apiserver',
  );
}

// @kubernetes/client-node 2.x loads undici 8, which needs Node >= 22.19 (zlib zstd): on an
// older Node the import itself throws. That is a dependency/runtime mismatch of the project,
// not a harness fault: the client-node case is skipped with the exact error printed.
// The probe runs in a child process: a failed import inside vitest's module runner is also
// reported as an unhandled error of the file.
const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('@kubernetes/client-node')"], {
  encoding: 'utf8',
});
const clientNodeError = probe.status === 0 ? '' : (/^\w*Error: .*$/m.exec(probe.stderr)?.[0] ?? probe.stderr.trim());
const clientNode: typeof import('@kubernetes/client-node') | undefined =
  probe.status === 0 ? await import('@kubernetes/client-node') : undefined;
if (clientNodeError) {
  console.warn(
    `@kubernetes/client-node cannot be loaded on Node ${process.version} (${clientNodeError}); ` +
      'its case is skipped. Fix: Node >= 22.19, or @kubernetes/client-node 1.x.',
  );
}

const group = 'smoke.borealis.dev';
const plural = 'widgets';
const crdName = `${plural}.${group}`;
const objectsPath = `/apis/${group}/v1/namespaces/default/${plural}`;

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: crdName },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['replicas'],
                properties: { replicas: { type: 'integer', minimum: 1, maximum: 5 } },
              },
            },
          },
        },
      },
    ],
  },
};

const widget = (name: string, replicas: number): object => ({
  apiVersion: `${group}/v1`,
  kind: 'Widget',
  metadata: { name },
  spec: { replicas },
});

interface WidgetList {
  items: Array<{ metadata: { name: string; uid: string }; spec: { replicas: number } }>;
}

describe.skipIf(!built)('kube-apiserver harness (real etcd + kube-apiserver)', () => {
  let api: KubeApiServer;

  beforeAll(async () => {
    api = await startKubeApiServer();
    await api.kubectl(['apply', '-f', '-'], JSON.stringify(crd));
    await api.kubectl(['wait', '--for=condition=Established', `crd/${crdName}`, '--timeout=60s']);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('serves on 127.0.0.1 and answers kubectl with its pinned version', async () => {
    expect(new URL(api.url).hostname).toBe('127.0.0.1');
    const version = JSON.parse(await api.kubectl(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(pinnedVersions().KUBERNETES_VERSION);
    expect(version.clientVersion.gitVersion).toBe(version.serverVersion.gitVersion);
  });

  it('has the CRD Established and creates and lists a custom object', async () => {
    const got = await api.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`);
    expect(got.status).toBe(200);
    const conditions = (got.body as { status: { conditions: Array<{ type: string; status: string }> } }).status.conditions;
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));

    // The resource can take a moment to be served after Established: retry 404 only.
    let created = await api.request('POST', objectsPath, widget('w1', 3));
    for (let i = 0; i < 50 && created.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 200));
      created = await api.request('POST', objectsPath, widget('w1', 3));
    }
    expect(created.status).toBe(201);
    expect((created.body as { metadata: { uid: string } }).metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    const list = await api.request('GET', objectsPath);
    expect(list.status).toBe(200);
    expect((list.body as WidgetList).items.map((o) => [o.metadata.name, o.spec.replicas])).toEqual([['w1', 3]]);
    // kubectl sees the same object through the same apiserver.
    expect((await api.kubectl(['get', crdName, '-n', 'default', '-o', 'name'])).trim()).toBe(`widget.${group}/w1`);
  });

  it('rejects an object that violates the CRD schema (422)', async () => {
    const bad = await api.request('POST', objectsPath, widget('w2', 9));
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('spec.replicas');
  });

  it.skipIf(clientNode === undefined)('creates and lists a custom object with @kubernetes/client-node', async () => {
    const { KubeConfig, CustomObjectsApi } = clientNode!;
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    const objects = kc.makeApiClient(CustomObjectsApi);
    await objects.createNamespacedCustomObject({ group, version: 'v1', namespace: 'default', plural, body: widget('w3', 2) });
    const list = (await objects.listNamespacedCustomObject({ group, version: 'v1', namespace: 'default', plural })) as WidgetList;
    expect(list.items.map((o) => o.metadata.name).sort()).toEqual(['w1', 'w3']);
  });
});
