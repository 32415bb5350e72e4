// Link proxies (DESIGN §9 "Regions that feel far apart"): delay, jitter keeping order, cut/restore, and a
// cut link really stopping NATS traffic between two regions of a real supercluster.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Link, LinkProxy, startTopology, type Topology } from '../../cli/src/topology/index.js';

let echo: Server;
let echoPort = 0;
const echoSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on('close', () => echoSockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  echoPort = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of echoSockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Round trip of one small message through the socket (an echo answers), ms. */
function roundTrip(s: Socket, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= payload.length) {
        s.off('data', onData);
        if (got !== payload) reject(new Error(`echo returned ${JSON.stringify(got)}`));
        else resolve(performance.now() - t0);
      }
    };
    s.on('data', onData);
    s.write(payload);
  });
}

/** Resolves true when the socket is closed by the other side within ms, false otherwise. */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => undefined);
    s.resume();
  });
}

describe('LinkProxy', () => {
  it('adds the one-way delay in each direction: round trip through a 20 ms link is >= 40 ms', async () => {
    const direct = await open(echoPort);
    const link = new Link('a', 'b', { delayMs: 20, jitterMs: 0 });
    const proxy = await LinkProxy.start({ link, target: { host: '127.0.0.1', port: echoPort } });
    const s = await open(proxy.port);
    try {
      const directRtts: number[] = [];
      const rtts: number[] = [];
      for (let i = 0; i < 10; i++) {
        directRtts.push(await roundTrip(direct, `ping-${i}`));
        rtts.push(await roundTrip(s, `ping-${i}`));
      }
      for (const rtt of rtts) expect(rtt).toBeGreaterThanOrEqual(40);
      // The added delay is what the link says, not an artefact of the machine: direct loopback (median) is far below it.
      directRtts.sort((x, y) => x - y);
      expect(directRtts[5]).toBeLessThan(20);
      expect(link.connections.size).toBe(1);
    } finally {
      direct.destroy();
      s.destroy();
      await proxy.close();
    }
  });

  it('keeps byte order under jitter', async () => {
    const link = new Link('a', 'b', { delayMs: 5, jitterMs: 5 });
    const proxy = await LinkProxy.start({ link, target: { host: '127.0.0.1', port: echoPort } });
    const s = await open(proxy.port);
    try {
      const n = 300;
      const expected = Array.from({ length: n }, (_, i) => `<${i}>`).join('');
      let got = '';
      const done = new Promise<void>((resolve) =>
        s.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.length >= expected.length) resolve();
        }),
      );
      for (let i = 0; i < n; i++) {
        s.write(`<${i}>`);
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await done;
      expect(got).toBe(expected);
    } finally {
      s.destroy();
      await proxy.close();
    }
  });

  it('cut closes open connections and refuses new ones; restore lets connections through again', async () => {
    const link = new Link('a', 'b');
    const proxy = await LinkProxy.start({ link, target: { host: '127.0.0.1', port: echoPort } });
    try {
      const before = await open(proxy.port);
      expect(await roundTrip(before, 'x')).toBeGreaterThanOrEqual(0);
      link.sever();
      expect(link.cut).toBe(true);
      expect(await closedWithin(before, 2000)).toBe(true);
      // A new connection is accepted by the kernel and reset at once: it closes without carrying data.
      const during = await open(proxy.port).catch(() => undefined);
      if (during) expect(await closedWithin(during, 2000)).toBe(true);
      expect(link.connections.size).toBe(0);
      link.restore();
      const after = await open(proxy.port);
      expect(await roundTrip(after, 'back')).toBeGreaterThanOrEqual(0);
      after.destroy();
    } finally {
      await proxy.close();
    }
  });
});

describe('NATS supercluster over link proxies', () => {
  let topo: Topology;
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    topo = await startTopology({ regions: 3, agents: false, postgresSettings: { fsync: 'off' } });
  });

  afterAll(async () => {
    for (const c of conns) await c.close().catch(() => undefined);
    await topo?.stop();
  });

  /** Publishes in `from` every 50 ms; returns the messages received in `to` during ms. */
  async function delivered(from: string, to: string, subject: string, ms: number): Promise<number> {
    const pub = await connect({ servers: topo.region(from).nats.url });
    const sub = await connect({ servers: topo.region(to).nats.url });
    conns.push(pub, sub);
    let count = 0;
    const s = sub.subscribe(subject);
    void (async () => {
      for await (const m of s) if (m) count++;
    })();
    await sub.flush();
    const timer = setInterval(() => pub.publish(subject, 'm'), 50);
    await new Promise((r) => setTimeout(r, ms));
    clearInterval(timer);
    await pub.flush();
    await new Promise((r) => setTimeout(r, 200));
    s.unsubscribe();
    return count;
  }

  async function waitDelivery(
    from: string,
    to: string,
    subject: string,
    timeoutMs: number,
  ): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if ((await delivered(from, to, subject, 500)) > 0) return Date.now() - t0;
    }
    throw new Error(`no message from ${from} reached ${to} within ${timeoutMs} ms`);
  }

  it('servers only know link-proxy addresses for other regions, never a real gateway port', async () => {
    const proxyPorts = new Set(topo.gatewayProxies.map((p) => p.port));
    const realPorts = new Set(topo.regions.map((r) => r.nats.ports.gateway));
    for (const r of topo.regions) {
      const varz = (await (await fetch(`${r.nats.monitorUrl}/varz`)).json()) as {
        gateway: { gateways: { name: string; urls: string[] }[] };
      };
      expect(varz.gateway.gateways.map((g) => g.name).sort()).toEqual(
        topo.regions
          .filter((x) => x !== r)
          .map((x) => x.name)
          .sort(),
      );
      for (const g of varz.gateway.gateways) {
        for (const u of g.urls) {
          const port = Number(u.split(':').pop());
          expect(realPorts.has(port)).toBe(false);
          expect(proxyPorts.has(port)).toBe(true);
        }
      }
    }
    // Every gateway connection is carried by a link.
    for (const a of topo.regions)
      for (const b of topo.regions)
        if (a !== b) expect(topo.link(a.name, b.name).connections.size).toBeGreaterThan(0);
  });

  it('a cut link stops messages between two regions (other links unaffected) and a restored link resumes them', async () => {
    await waitDelivery('us-east', 'eu-west', 'probe.before', 10_000);
    topo.cut('us-east', 'eu-west');
    expect(topo.link('us-east', 'eu-west').connections.size).toBe(0);
    expect(topo.link('eu-west', 'us-east').connections.size).toBe(0);
    // Long enough for several gateway reconnect attempts (1 s apart) through every address the servers learned.
    expect(await delivered('us-east', 'eu-west', 'probe.cut', 6000)).toBe(0);
    expect(await delivered('eu-west', 'us-east', 'probe.cut2', 1000)).toBe(0);
    expect(await delivered('us-east', 'ap-south', 'probe.other', 2000)).toBeGreaterThan(0);
    const gatewayz = (await (
      await fetch(`${topo.region('us-east').nats.monitorUrl}/gatewayz`)
    ).json()) as {
      outbound_gateways: Record<string, unknown>;
    };
    expect(Object.keys(gatewayz.outbound_gateways)).not.toContain('eu-west');
    topo.restore('us-east', 'eu-west');
    const took = await waitDelivery('us-east', 'eu-west', 'probe.after', 20_000);
    expect(took).toBeLessThan(20_000);
  });

  it('isolate cuts every link of a region; heal restores them', async () => {
    topo.isolate('ap-south');
    expect(await delivered('us-east', 'ap-south', 'probe.iso1', 3000)).toBe(0);
    expect(await delivered('ap-south', 'eu-west', 'probe.iso2', 1000)).toBe(0);
    topo.heal('ap-south');
    await waitDelivery('us-east', 'ap-south', 'probe.heal', 20_000);
    await waitDelivery('ap-south', 'eu-west', 'probe.heal2', 20_000);
  });
});
