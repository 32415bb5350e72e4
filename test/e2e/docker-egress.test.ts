// The egress guard of hack/docker.sh: a container cannot reach beyond the host (the attempt
// is dropped by the guard's rule, whose packet counter must grow), while host -> container,
// container -> host and container -> container traffic works.
// Needs: bash hack/docker.sh up && bash hack/images/build.sh debian nats
import { spawnSync } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedVersions } from '../support/kube-apiserver.js';
import { DOCKER, docker, dockerUnavailableReason, must, run } from '../support/docker.js';

const pins = pinnedVersions();
const debianImage = `borealis/debian:${pins.DEBIAN_SUITE}`;
const natsImage = `borealis/nats:${pins.NATS_SERVER_VERSION}`;

function skipReason(): string {
  const r = dockerUnavailableReason();
  if (r) return r;
  for (const img of [debianImage, natsImage]) {
    if (spawnSync(DOCKER, ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0) {
      return `image ${img} is missing: run bash hack/images/build.sh debian nats`;
    }
  }
  return '';
}
const reason = skipReason();
if (reason) console.warn(`docker egress test skipped: ${reason}`);

// TEST-NET-2 (RFC 5737): never a real destination; reaching it needs the uplink.
const OUTSIDE = '198.51.100.1';

async function uplink(): Promise<string> {
  const out = await must('ip', ['-4', 'route', 'show', 'default']);
  const m = /\bdev (\S+)/.exec(out);
  if (!m?.[1]) throw new Error(`no default route in: ${out}`);
  return m[1];
}

/** Packet count of the guard's DROP rule (the first rule of DOCKER-USER). */
async function guardPackets(dev: string): Promise<number> {
  const out = await must('iptables', ['-w', '-L', 'DOCKER-USER', '-v', '-x', '-n', '--line-numbers']);
  const first = out.split('\n').find((l) => /^1\s/.test(l));
  const cols = first?.trim().split(/\s+/) ?? [];
  // num pkts bytes target prot opt in out source destination
  if (cols[3] !== 'DROP' || cols[7] !== dev) throw new Error(`first DOCKER-USER rule is not "DROP out ${dev}":\n${out}`);
  return Number(cols[1]);
}

function readBanner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    s.setTimeout(5000, () => s.destroy(new Error(`no answer from ${host}:${port} within 5 s`)));
    s.once('data', (d) => {
      resolve(d.toString('utf8'));
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe.skipIf(reason !== '')('docker egress guard', () => {
  const network = `borealis-egress-${process.pid}`;
  const nats = `borealis-egress-nats-${process.pid}`;
  let natsIp = '';
  let gateway = '';
  let dev = '';
  let server: Server | undefined;

  beforeAll(async () => {
    dev = await uplink();
    await docker(['network', 'create', network]);
    gateway = (await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', network])).trim();
    await docker(['run', '-d', '--name', nats, '--network', network, natsImage]);
    natsIp = (await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, nats])).trim();
  });

  afterAll(async () => {
    server?.close();
    await run(DOCKER, ['rm', '-f', nats]);
    await run(DOCKER, ['network', 'rm', network]);
  });

  it('has the guard first in DOCKER-USER (IPv4) and FORWARD (IPv6)', async () => {
    const forward = await must('iptables', ['-w', '-S', 'FORWARD']);
    expect(forward.split('\n').filter((l) => l.startsWith('-A'))[0]).toBe('-A FORWARD -j DOCKER-USER');
    const user = await must('iptables', ['-w', '-S', 'DOCKER-USER']);
    expect(user.split('\n')[1]).toBe(`-A DOCKER-USER -o ${dev} -j DROP`);
    const forward6 = await must('ip6tables', ['-w', '-S', 'FORWARD']);
    expect(forward6.split('\n').filter((l) => l.startsWith('-A'))[0]).toBe(`-A FORWARD -o ${dev} -j DROP`);
  });

  it('drops a container connection to an address beyond the host at the guard', async () => {
    const before = await guardPackets(dev);
    const r = await run(DOCKER, [
      'run', '--rm', '--network', network, debianImage,
      'bash', '-c', `timeout 4 bash -c 'exec 3<>/dev/tcp/${OUTSIDE}/80' && echo CONNECTED || echo FAILED`,
    ]);
    expect(r.stdout.trim()).toBe('FAILED');
    const after = await guardPackets(dev);
    // The SYN (and its retransmissions) hit the DROP rule instead of leaving through the uplink.
    expect(after).toBeGreaterThan(before);
  });

  it('lets the host reach a container and a container reach another', async () => {
    expect(await readBanner(natsIp, 4222)).toMatch(/^INFO \{/);
    const out = await docker([
      'run', '--rm', '--network', network, debianImage,
      'bash', '-c', `timeout 5 bash -c 'exec 3<>/dev/tcp/${natsIp}/4222 && head -c 6 <&3'`,
    ]);
    expect(out).toBe('INFO {');
  });

  it('lets a container reach the host on its network gateway address', async () => {
    const token = `borealis-${process.pid}-${Date.now()}`;
    server = createServer((sock) => sock.end(token));
    const port = await new Promise<number>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, gateway, () => resolve((server!.address() as { port: number }).port));
    });
    const out = await docker([
      'run', '--rm', '--network', network, debianImage,
      'bash', '-c', `timeout 5 bash -c 'exec 3<>/dev/tcp/${gateway}/${port} && cat <&3'`,
    ]);
    expect(out).toBe(token);
  });
});
