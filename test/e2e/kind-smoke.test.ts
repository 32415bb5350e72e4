// One kind cluster from the locally built node image, fully offline: create it with
// hack/kind.sh, run a pod from a locally built image (loaded with `kind load`), reach it on
// 127.0.0.1 through the NodePort mapping, delete the cluster (also when a step fails).
// Needs: bash hack/docker.sh up; bash hack/tools.sh install kube-apiserver kind;
//        bash hack/images/build.sh (node image, nats)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedVersions, toolsBinDir } from '../support/kube-apiserver.js';
import { DOCKER, dockerUnavailableReason, must, run } from '../support/docker.js';

const pins = pinnedVersions();
const nodeImage = process.env.KIND_NODE_IMAGE ?? `borealis/kind-node:${pins.KUBERNETES_VERSION}`;
const natsImage = `borealis/nats:${pins.NATS_SERVER_VERSION}`;
const root = join(import.meta.dirname, '..', '..');
const state = process.env.BOREALIS_KIND_STATE ?? join(homedir(), '.cache', 'borealis', 'kind');

function skipReason(): string {
  const r = dockerUnavailableReason();
  if (r) return r;
  for (const tool of ['kind', 'kubectl']) {
    if (!existsSync(join(toolsBinDir(), tool))) return `${tool} is not built: run bash hack/tools.sh install ${tool}`;
  }
  for (const img of [nodeImage, natsImage]) {
    if (spawnSync(DOCKER, ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0) {
      return `image ${img} is missing: run bash hack/images/build.sh`;
    }
  }
  return '';
}
const reason = skipReason();
if (reason) console.warn(`kind smoke test skipped: ${reason}`);

function readBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(5000, () => s.destroy(new Error(`no answer on 127.0.0.1:${port} within 5 s`)));
    s.once('data', (d) => {
      resolve(d.toString('utf8'));
      s.destroy();
    });
    s.once('end', () => reject(new Error(`127.0.0.1:${port} closed without a banner`)));
    s.on('error', reject);
  });
}

describe.skipIf(reason !== '')('kind cluster from the local node image (offline)', () => {
  const region = `e2e-${process.pid}`;
  const cluster = `borealis-${region}`;
  const kubeconfig = join(state, `${cluster}.kubeconfig`);
  const kubectl = (args: string[], input?: string): Promise<string> =>
    must(join(toolsBinDir(), 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { input, timeoutMs: 180_000 });

  beforeAll(async () => {
    await must('bash', [join(root, 'hack', 'kind.sh'), 'up', region], { timeoutMs: 540_000 });
  });

  afterAll(async () => {
    const r = await run('bash', [join(root, 'hack', 'kind.sh'), 'down', region], { timeoutMs: 300_000 });
    if (r.code !== 0) console.error(`hack/kind.sh down ${region} failed: ${r.stderr}`);
  });

  it('has a Ready node running the pinned Kubernetes version and a running CoreDNS', async () => {
    const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as {
      items: Array<{ status: { nodeInfo: { kubeletVersion: string }; conditions: Array<{ type: string; status: string }> } }>;
    };
    expect(nodes.items).toHaveLength(1);
    expect(nodes.items[0]!.status.nodeInfo.kubeletVersion).toBe(pins.KUBERNETES_VERSION);
    expect(nodes.items[0]!.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    const dns = JSON.parse(await kubectl(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'json'])) as {
      items: Array<{ status: { phase: string } }>;
    };
    expect(dns.items.length).toBeGreaterThan(0);
    expect(dns.items.every((p) => p.status.phase === 'Running')).toBe(true);
  });

  it('runs a pod from a locally built image and serves it on 127.0.0.1 via NodePort', async () => {
    await must(join(toolsBinDir(), 'kind'), ['load', 'docker-image', natsImage, '--name', cluster], {
      env: { ...process.env, PATH: `${join(state, 'shims')}:${process.env.PATH}` },
    });
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'nats', namespace: 'default', labels: { app: 'nats' } },
            spec: { containers: [{ name: 'nats', image: natsImage, imagePullPolicy: 'Never', ports: [{ containerPort: 4222 }] }] },
          },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'nats', namespace: 'default' },
            spec: { type: 'NodePort', selector: { app: 'nats' }, ports: [{ port: 4222, targetPort: 4222, nodePort: 30080 }] },
          },
        ],
      }),
    );
    await kubectl(['wait', '--for=condition=Ready', 'pod/nats', '--timeout=120s']);
    const pod = JSON.parse(await kubectl(['get', 'pod', 'nats', '-o', 'json'])) as {
      status: { containerStatuses: Array<{ image: string; imageID: string }> };
    };
    expect(pod.status.containerStatuses[0]!.image).toBe(`docker.io/${natsImage}`);

    const env = readFileSync(join(state, `${cluster}.env`), 'utf8');
    const port = Number(/^NODEPORT_HOST_PORT=(\d+)$/m.exec(env)?.[1]);
    expect(port).toBeGreaterThan(0);
    // kube-proxy may program the NodePort a moment after the pod is Ready.
    let banner = '';
    let lastError: unknown;
    for (let i = 0; i < 30 && !banner; i++) {
      try {
        banner = await readBanner(port);
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (!banner) throw new Error(`NodePort not reachable on 127.0.0.1:${port}`, { cause: lastError });
    expect(banner).toMatch(/^INFO \{"server_id":/);
    expect(banner).toContain(`"version":"${pins.NATS_SERVER_VERSION?.replace(/^v/, '')}"`);
  });
});
