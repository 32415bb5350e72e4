// Real PostgreSQL 15 and nats-server processes, started by the cli topology modules (no agents).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  createPostgresTemplate,
  startPostgres,
  startReplica,
  startSupercluster,
  type PostgresInstance,
  type Supercluster,
} from '../../cli/src/topology/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const base = mkdtempSync(join(tmpdir(), 'borealis-procs-'));
const started: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

describe('startPostgres / startReplica', () => {
  let primary: PostgresInstance;
  let replica: PostgresInstance;

  it('initdb + start as a non-root user, with role borealis and database app', async () => {
    primary = await startPostgres({
      dir: join(base, 'pg'),
      name: 'pg-test',
      settings: { fsync: 'off' },
    });
    started.push(primary);
    expect(alive(primary.pid)).toBe(true);
    const client = new pg.Client({ connectionString: primary.url });
    await client.connect();
    try {
      const r = await client.query<{ u: string; d: string; wl: string; su: boolean }>(
        "SELECT current_user AS u, current_database() AS d, current_setting('wal_level') AS wl, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su",
      );
      expect(r.rows[0]).toEqual({ u: 'borealis', d: 'app', wl: 'logical', su: true });
      await client.query('CREATE TABLE t (id int primary key, v text)');
      await client.query("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    } finally {
      await client.end();
    }
    if (process.getuid?.() === 0) {
      // postgres refuses root: the postmaster must run as the postgres OS user.
      const { readFileSync } = await import('node:fs');
      const status = readFileSync(`/proc/${primary.pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      expect(uid).not.toBe(0);
    }
  });

  it('a pg_basebackup -R reader replica streams and is read-only', async () => {
    replica = await startReplica({
      primary,
      dir: join(base, 'replica'),
      name: 'pg-test replica',
      settings: { fsync: 'off' },
    });
    started.push(replica);
    const w = new pg.Client({ connectionString: primary.url });
    const r = new pg.Client({ connectionString: replica.url });
    await w.connect();
    await r.connect();
    try {
      await w.query("INSERT INTO t VALUES (3, 'three')");
      const deadline = Date.now() + 10_000;
      let count = 0;
      while (Date.now() < deadline) {
        count = Number((await r.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]?.n);
        if (count === 3) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(count).toBe(3);
      await expect(r.query("INSERT INTO t VALUES (4, 'four')")).rejects.toThrow(/read-only/);
    } finally {
      await w.end();
      await r.end();
    }
  });

  it('an instance copied from a template (one initdb per topology) has role borealis and database app', async () => {
    const template = await createPostgresTemplate({ dir: join(base, 'template') });
    const copy = await startPostgres({
      dir: join(base, 'copy'),
      name: 'pg-copy',
      template,
      settings: { fsync: 'off' },
    });
    started.push(copy);
    const rows = await (async () => {
      const c = new pg.Client({ connectionString: copy.url });
      await c.connect();
      try {
        return (
          await c.query<{ u: string; d: string; port: number }>(
            'SELECT current_user AS u, current_database() AS d, inet_server_port() AS port',
          )
        ).rows;
      } finally {
        await c.end();
      }
    })();
    expect(rows[0]).toEqual({ u: 'borealis', d: 'app', port: copy.port });
    await copy.stop();
    expect(alive(copy.pid)).toBe(false);
  });

  it('stop() ends the postmaster', async () => {
    await replica.stop();
    await primary.stop();
    expect(alive(replica.pid)).toBe(false);
    expect(alive(primary.pid)).toBe(false);
  });
});

describe('startSupercluster', () => {
  let sc: Supercluster;
  const regions = ['us-east', 'eu-west', 'ap-south'];

  it('starts one JetStream server per region joined by gateways, with one meta leader', async () => {
    sc = await startSupercluster({ regions, baseDir: join(base, 'sc') });
    started.push(sc);
    expect(sc.servers.map((s) => s.region)).toEqual(regions);
    expect(regions).toContain(sc.metaLeader);
    for (const s of sc.servers) {
      const gw = (await (await fetch(`${s.monitorUrl}/gatewayz`)).json()) as {
        name: string;
        outbound_gateways: Record<string, unknown>;
      };
      expect(gw.name).toBe(s.region);
      expect(Object.keys(gw.outbound_gateways).sort()).toEqual(
        regions.filter((r) => r !== s.region).sort(),
      );
    }
  });

  it('a message published in one region reaches a subscriber in another', async () => {
    const sub = await connect({ servers: sc.byRegion.get('ap-south')!.url });
    const pub = await connect({ servers: sc.byRegion.get('us-east')!.url });
    try {
      const s = sub.subscribe('probe.x', { max: 1 });
      await sub.flush();
      const got = (async () => {
        for await (const m of s) return m.string();
        return undefined;
      })();
      // Interest crosses gateways asynchronously: publish until it arrives.
      const timer = setInterval(() => pub.publish('probe.x', 'hello'), 50);
      try {
        expect(await got).toBe('hello');
      } finally {
        clearInterval(timer);
      }
    } finally {
      await sub.close();
      await pub.close();
    }
  });

  it('stop() ends every server', async () => {
    await sc.stop();
    for (const s of sc.servers) expect(alive(s.pid)).toBe(false);
    expect(existsSync(base)).toBe(true);
  });
});

describe('startSupercluster with one region', () => {
  it('runs a standalone JetStream server that leads itself and stores a published message', async () => {
    const sc = await startSupercluster({ regions: ['us-east'], baseDir: join(base, 'one') });
    started.push(sc);
    expect(sc.metaLeader).toBe('us-east');
    const nc = await connect({ servers: sc.servers[0]!.url });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'ONE', subjects: ['one.>'] });
      const ack = await jetstream(nc).publish('one.x', 'hello');
      expect(ack).toMatchObject({ stream: 'ONE', seq: 1 });
    } finally {
      await nc.close();
    }
    await sc.stop();
    expect(alive(sc.servers[0]!.pid)).toBe(false);
  });
});
