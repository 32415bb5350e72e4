// The data plane on real parts: PostgreSQL 15 ×3, a 3-cluster NATS supercluster, three region agents.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_MAIN, startRegions, tableChecksum, type Regions } from '../support/regions.js';

let r: Regions;

beforeAll(async () => {
  r = await startRegions();
});

afterAll(async () => {
  await r?.stop();
});

async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

describe('replication 1 primary + 2 secondaries', () => {
  it('replicates DDL and rows to every secondary', async () => {
    await sql(r.primary.pg.url, 'CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, price numeric(12,2))');
    await sql(r.primary.pg.url, "INSERT INTO items (name, price) VALUES ('a', 1.50), ('b', 2.25)");
    await sql(r.primary.pg.url, "UPDATE items SET price = 9.99 WHERE name = 'a'");
    await sql(r.primary.pg.url, "DELETE FROM items WHERE name = 'b'");
    await r.waitConverged();
    const want = await tableChecksum(r.primary.pg.url, 'items');
    expect(want.rows).toBe(1);
    for (const s of r.secondaries) expect(await tableChecksum(s.pg.url, 'items')).toEqual(want);
  });

  it('keeps secondaries read-only for clients', async () => {
    await expect(sql(r.secondaries[0]!.pg.url, "INSERT INTO items (name) VALUES ('x')")).rejects.toThrow(/read-only/);
  });

  it('reports true lag while idle (heartbeats)', async () => {
    await new Promise((res) => setTimeout(res, 1500));
    for (const s of r.secondaries) {
      const st = await r.status(s.name);
      expect(st.ready).toBe(true);
      expect(st.apply!.lagSeconds).toBeGreaterThanOrEqual(0);
      expect(st.apply!.lagSeconds).toBeLessThan(1);
    }
  });
});

describe('bad input', () => {
  it('a divergent secondary stops and reports it instead of skipping the change', async () => {
    const victim = r.secondaries[1]!;
    await sql(r.primary.pg.url, "INSERT INTO items (name, price) VALUES ('doomed', 1)");
    await r.waitConverged();
    // Someone deletes the row behind Borealis' back on the secondary.
    const c = new pg.Client({ connectionString: victim.pg.url, options: '-c default_transaction_read_only=off' });
    await c.connect();
    await c.query("DELETE FROM items WHERE name = 'doomed'");
    await c.end();
    await sql(r.primary.pg.url, "UPDATE items SET price = 2 WHERE name = 'doomed'");
    const deadline = Date.now() + 20_000;
    let st = await r.status(victim.name);
    while (Date.now() < deadline && st.ready) {
      await new Promise((res) => setTimeout(res, 100));
      st = await r.status(victim.name);
    }
    expect(st.ready).toBe(false);
    expect(st.message).toMatch(/expected 1 row\(s\), found 0 — this region has diverged/);
    const metrics = await fetch(`http://127.0.0.1:${victim.httpPort}/metrics`).then((res) => res.text());
    expect(metrics).toMatch(/borealis_unsupported_changes_total\{reason="row_not_found",region="ap-south"\} [1-9]/);
    // The other secondary is unaffected.
    expect((await r.status(r.secondaries[0]!.name)).ready).toBe(true);
  });

  it('an agent with bad configuration exits non-zero and names the field', () => {
    const file = join(r.base, 'bad-agent.json');
    writeFileSync(file, JSON.stringify({ region: 'Bad Region', role: 'leader', epoch: -1, primaryRegion: 'us-east', database: { url: 'x', name: 'app' }, nats: { servers: [] } }));
    const run = spawnSync(process.execPath, [AGENT_MAIN, '--config', file], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    for (const field of ['region:', 'role:', 'epoch:', 'database.url:', 'nats.servers:']) expect(run.stderr).toContain(field);
    writeFileSync(file, '{ not json');
    const broken = spawnSync(process.execPath, [AGENT_MAIN, '--config', file], { encoding: 'utf8', timeout: 20_000 });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/is not valid JSON/);
  });
});
