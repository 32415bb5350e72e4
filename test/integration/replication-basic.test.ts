// The data plane on real parts: PostgreSQL 15 ×3, a 3-cluster NATS supercluster, three region agents.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegions, tableChecksum, type Regions } from '../support/regions.js';

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
