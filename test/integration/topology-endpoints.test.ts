// Writer endpoint control (setTarget / refuse / accept) over two real PostgreSQL instances, and emulated
// WAN latency on a real inter-region link (the secondary's seed connection to the primary's PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TcpEndpoint,
  startPostgres,
  startTopology,
  type PostgresInstance,
  type Topology,
} from '../../cli/src/topology/index.js';

const base = mkdtempSync(join(tmpdir(), 'borealis-endpoints-'));
let a: PostgresInstance | undefined;
let b: PostgresInstance | undefined;
let writer: TcpEndpoint | undefined;

beforeAll(async () => {
  [a, b] = await Promise.all([
    startPostgres({ dir: join(base, 'a'), name: 'pg a', settings: { fsync: 'off' } }),
    startPostgres({ dir: join(base, 'b'), name: 'pg b', settings: { fsync: 'off' } }),
  ]);
  writer = await TcpEndpoint.start({
    name: 'writer',
    backends: [{ host: '127.0.0.1', port: a.port }],
  });
});

afterAll(async () => {
  await writer?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(base, { recursive: true, force: true });
});

const url = () => `postgres://borealis@127.0.0.1:${writer!.port}/app`;

async function serverPort(): Promise<number> {
  const c = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query<{ p: number }>('SELECT inet_server_port() AS p')).rows[0]!.p;
  } finally {
    await c.end();
  }
}

describe('writer endpoint', () => {
  it('leads to its target; setTarget moves new connections while open ones stay', async () => {
    expect(await serverPort()).toBe(a!.port);
    const open = new pg.Client({ connectionString: url() });
    await open.connect();
    try {
      writer!.setTarget(`127.0.0.1:${b!.port}`);
      expect(await serverPort()).toBe(b!.port);
      expect((await open.query<{ p: number }>('SELECT inet_server_port() AS p')).rows[0]!.p).toBe(
        a!.port,
      );
      expect(writer!.connectionCount).toBe(1);
    } finally {
      await open.end();
    }
  });

  it('refuse() makes new connections fail at once instead of hanging; accept() lets them in again', async () => {
    const refusedBefore = writer!.refusedConnections;
    writer!.refuse();
    const t0 = performance.now();
    await expect(serverPort()).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(writer!.refusedConnections).toBe(refusedBefore + 1);
    writer!.accept();
    expect(await serverPort()).toBe(b!.port);
    expect(writer!.refusedConnections).toBe(refusedBefore + 1);
  });

  it('refuse({ dropExisting: true }) also closes open connections', async () => {
    const open = new pg.Client({ connectionString: url() });
    open.on('error', () => undefined);
    await open.connect();
    const refusedBefore = writer!.refusedConnections;
    writer!.refuse({ dropExisting: true });
    await expect(open.query('SELECT 1')).rejects.toThrow();
    expect(writer!.refusedConnections).toBe(refusedBefore + 1);
    writer!.accept();
    await open.end().catch(() => undefined);
  });

  it('rejects a malformed target', () => {
    expect(() => writer!.setTarget('nowhere')).toThrow(/not a host:port address/);
  });
});

describe('WAN latency on an inter-region link', () => {
  let topo: Topology | undefined;

  afterAll(async () => {
    await topo?.stop();
  });

  it('a query over the seed link (20 ms one way) takes >= 40 ms per round trip; cut refuses it', async () => {
    topo = await startTopology({
      regions: 2,
      agents: false,
      wanLatencyMs: 20,
      postgresSettings: { fsync: 'off' },
    });
    const proxy = topo.region('eu-west').seedProxy!;
    expect(proxy.link.name).toBe('eu-west->us-east');
    const c = new pg.Client({
      connectionString: `postgres://borealis@127.0.0.1:${proxy.port}/app`,
    });
    await c.connect();
    c.on('error', () => undefined);
    try {
      const direct = new pg.Client({ connectionString: topo.primary.postgres.url });
      await direct.connect();
      try {
        const directMs: number[] = [];
        for (let i = 0; i < 5; i++) {
          let t0 = performance.now();
          await c.query('SELECT 1');
          expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
          t0 = performance.now();
          await direct.query('SELECT 1');
          directMs.push(performance.now() - t0);
        }
        // The delay comes from the link, not the machine: the same query without the proxy is far quicker.
        directMs.sort((x, y) => x - y);
        expect(directMs[2]).toBeLessThan(20);
      } finally {
        await direct.end();
      }
      topo.isolate('eu-west');
      await expect(c.query('SELECT 1')).rejects.toThrow();
      const again = new pg.Client({
        connectionString: `postgres://borealis@127.0.0.1:${proxy.port}/app`,
      });
      again.on('error', () => undefined);
      await expect(again.connect()).rejects.toThrow();
      topo.heal('eu-west');
      const healed = new pg.Client({
        connectionString: `postgres://borealis@127.0.0.1:${proxy.port}/app`,
      });
      await healed.connect();
      expect((await healed.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
      await healed.end();
    } finally {
      await c.end().catch(() => undefined);
    }
  });
});
