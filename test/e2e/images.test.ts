// The locally built images run what they claim (hack/images/build.sh): versions of the
// Kubernetes/etcd/CoreDNS/NATS binaries, the pause program, and the region image's
// PostgreSQL 15 + Node 20 + region-agent. Containers run with --network none.
// Needs: bash hack/docker.sh up && bash hack/images/build.sh
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pinnedVersions } from '../support/kube-apiserver.js';
import { DOCKER, docker, dockerUnavailableReason } from '../support/docker.js';

const pins = pinnedVersions();
const k8s = pins.KUBERNETES_VERSION!;
const images = {
  apiserver: `registry.k8s.io/kube-apiserver:${k8s}`,
  controllerManager: `registry.k8s.io/kube-controller-manager:${k8s}`,
  scheduler: `registry.k8s.io/kube-scheduler:${k8s}`,
  proxy: `registry.k8s.io/kube-proxy:${k8s}`,
  etcd: `registry.k8s.io/etcd:${pins.ETCD_VERSION!.replace(/^v/, '')}-0`,
  coredns: `registry.k8s.io/coredns/coredns:${pins.COREDNS_VERSION}`,
  pause: `registry.k8s.io/pause:${pins.PAUSE_VERSION}`,
  nats: `borealis/nats:${pins.NATS_SERVER_VERSION}`,
  region: 'borealis/region:dev',
  operator: 'borealis/operator:dev',
};

function skipReason(): string {
  const r = dockerUnavailableReason();
  if (r) return r;
  for (const img of Object.values(images)) {
    if (spawnSync(DOCKER, ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0) {
      return `image ${img} is missing: run bash hack/images/build.sh`;
    }
  }
  return '';
}
const reason = skipReason();
if (reason) console.warn(`image tests skipped: ${reason}`);

const runIn = (image: string, args: string[], entrypoint?: string): Promise<string> =>
  docker(['run', '--rm', '--network', 'none', ...(entrypoint ? ['--entrypoint', entrypoint] : []), image, ...args]);

describe.skipIf(reason !== '')('locally built images', () => {
  it('Kubernetes images run the pinned version', async () => {
    for (const img of [images.apiserver, images.controllerManager, images.scheduler, images.proxy]) {
      expect((await runIn(img, ['--version'])).trim()).toBe(`Kubernetes ${k8s}`);
    }
  });

  it('kube-proxy image has the iptables/nftables tools kube-proxy calls', async () => {
    const out = await runIn(images.proxy, ['-c', 'iptables --version && nft --version && conntrack --version'], '/bin/sh');
    expect(out).toMatch(/iptables v1\.8\.\d+ \(nf_tables\)/);
    expect(out).toMatch(/nftables v1\./);
  });

  it('etcd, CoreDNS and NATS images run the pinned versions', async () => {
    expect(await runIn(images.etcd, ['--version'])).toContain(`etcd Version: ${pins.ETCD_VERSION!.replace(/^v/, '')}`);
    expect(await runIn(images.coredns, ['-version'])).toContain(`CoreDNS-${pins.COREDNS_VERSION!.replace(/^v/, '')}`);
    expect((await runIn(images.nats, ['--version'])).trim()).toBe(`nats-server: ${pins.NATS_SERVER_VERSION}`);
  });

  it('pause image runs the static pause program', async () => {
    expect((await runIn(images.pause, ['-v'])).trim()).toBe('pause (borealis)');
  });

  it('region image runs PostgreSQL 15 and loads the region agent on Node >= 20', async () => {
    const script = [
      'set -e',
      'mkdir -p /tmp/pg && chown postgres /tmp/pg',
      'runuser -u postgres -- initdb -D /tmp/pg/data -A trust >/dev/null',
      "runuser -u postgres -- pg_ctl -D /tmp/pg/data -o \"-c listen_addresses='' -k /tmp/pg\" -w start >/dev/null",
      'runuser -u postgres -- psql -h /tmp/pg -Atc "show server_version_num"',
      'runuser -u postgres -- pg_ctl -D /tmp/pg/data -w stop >/dev/null',
      'node -p "process.versions.node"',
      'node --input-type=module -e "const m = await import(\'@borealis/region-agent\'); console.log(Object.keys(m).length > 0)"',
    ].join('\n');
    const [pgVersion, nodeVersion, agentLoads] = (await runIn(images.region, ['-c', script], '/bin/bash')).trim().split('\n');
    expect(Number(pgVersion)).toBeGreaterThanOrEqual(150000);
    expect(Number(pgVersion)).toBeLessThan(160000);
    expect(Number(nodeVersion!.split('.')[0])).toBeGreaterThanOrEqual(20);
    expect(agentLoads).toBe('true');
  });

  it('operator image holds the built operator and its production dependencies', async () => {
    const out = await runIn(
      images.operator,
      ['--input-type=module', '-e', "const m = await import('/app/operator/dist/index.js'); console.log(Object.keys(m).length > 0)"],
      'node',
    );
    expect(out.trim()).toBe('true');
  });
});
