// Randomized workload over every kind of value pgoutput emits, on 1 primary + 2 secondaries:
// inserts/updates/deletes, multi-statement and large (chunked) transactions, TOASTed values and
// unchanged-TOAST updates, NULLs, a table without a primary key. All regions must end identical.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegions, tableChecksum, type Regions } from '../support/regions.js';
import { rng, sql } from '../support/sql.js';

let r: Regions;

beforeAll(async () => {
  // Small messages so that the large transaction below is split into ordered chunks.
  r = await startRegions({ agentConfig: () => ({ capture: { maxMessageBytes: 64 * 1024 } }) });
  await sql(
    r.primary.pg.url,
    `CREATE TABLE kitchen (
       id bigint PRIMARY KEY, n numeric, f8 float8, f4 real, i2 smallint, b bool,
       ts timestamptz, tsn timestamp, d date, tm time, iv interval,
       by bytea, j json, jb jsonb, ia int[], ta text[], u uuid, ip inet,
       big text, note varchar(40), m money, x xml, pt point
     )`,
  );
  await sql(r.primary.pg.url, `ALTER TABLE kitchen ALTER COLUMN big SET STORAGE EXTERNAL`);
  await sql(r.primary.pg.url, 'CREATE TABLE nokey (a int, b text, j json)');
});

afterAll(async () => {
  await r?.stop();
});

function randomText(rand: () => number, len: number): string {
  const chars = Array.from('abcdefghijklmnopqrstuvwxyzÄÖÜé€😀 \'"\\\n\t,;{}[]');
  let s = '';
  for (let i = 0; i < len; i++) s += chars[Math.floor(rand() * chars.length)];
  return s;
}

function randomRow(rand: () => number, id: number): unknown[] {
  const maybe = <T>(v: T): T | null => (rand() < 0.1 ? null : v);
  const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
  return [
    id,
    maybe((rand() * 1e12).toFixed(Math.floor(rand() * 12)) + '123456789012345678901234567890'.slice(0, Math.floor(rand() * 20))),
    maybe(rand() * 1e-5 * (rand() < 0.5 ? -1 : 1)),
    maybe(Math.fround(rand() * 1000)),
    maybe(Math.floor(rand() * 60000) - 30000),
    maybe(rand() < 0.5),
    maybe(`2026-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)} 12:34:56.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}+0${Math.floor(rand() * 9)}:30`),
    maybe(`1999-12-31 23:59:59.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}`),
    maybe(`20${10 + Math.floor(rand() * 20)}-02-28`),
    maybe(`13:${10 + Math.floor(rand() * 49)}:07.123456`),
    maybe(`${Math.floor(rand() * 400)} days ${Math.floor(rand() * 23)}:01:02.5`),
    maybe(bytes),
    maybe(JSON.stringify({ a: randomText(rand, 5), n: rand(), nested: [1, { x: null }] }, null, 1)),
    maybe(JSON.stringify({ k: randomText(rand, 8), arr: [rand(), 'x'] })),
    maybe(`{${Array.from({ length: Math.floor(rand() * 5) }, () => Math.floor(rand() * 1000) - 500).join(',')}}`),
    maybe(['a b', 'c"d', 'e\\f', 'NULL', '']),
    maybe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1' + Math.floor(rand() * 10)),
    maybe(`10.${Math.floor(rand() * 255)}.0.1/32`),
    // Large, hardly compressible: stored out of line (TOAST).
    maybe(randomText(rand, rand() < 0.3 ? 6000 + Math.floor(rand() * 20000) : 20)),
    maybe(randomText(rand, Math.floor(rand() * 40))),
    maybe(`${Math.floor(rand() * 100000)}.${Math.floor(rand() * 99)}`),
    maybe(`<r a="${Math.floor(rand() * 9)}">t</r>`),
    maybe(`(${rand()},${-rand()})`),
  ];
}

const COLS = 'id, n, f8, f4, i2, b, ts, tsn, d, tm, iv, by, j, jb, ia, ta, u, ip, big, note, m, x, pt';
const PARAMS = Array.from({ length: 23 }, (_, i) => `$${i + 1}`).join(', ');

describe('randomized workload with every value type', () => {
  it('ends byte-identical on every region', async () => {
    const rand = rng(20261123);
    const c = new pg.Client({ connectionString: r.primary.pg.url });
    await c.connect();
    const live = new Set<number>();
    let nextId = 1;
    try {
      for (let t = 0; t < 250; t++) {
        await c.query('BEGIN');
        const statements = 1 + Math.floor(rand() * 8);
        for (let s = 0; s < statements; s++) {
          const op = rand();
          const ids = [...live];
          if (op < 0.5 || ids.length === 0) {
            const id = nextId++;
            await c.query(`INSERT INTO kitchen (${COLS}) VALUES (${PARAMS})`, randomRow(rand, id));
            live.add(id);
          } else if (op < 0.7) {
            // Touches small columns only: the TOASTed `big` travels as "unchanged".
            const id = ids[Math.floor(rand() * ids.length)]!;
            await c.query('UPDATE kitchen SET note = $2, n = n + 1, jb = $3 WHERE id = $1', [id, randomText(rand, 10), JSON.stringify({ t })]);
          } else if (op < 0.8) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            const row = randomRow(rand, id);
            await c.query(`UPDATE kitchen SET (${COLS}) = (${PARAMS}) WHERE id = $1`, row);
          } else if (op < 0.85) {
            // Primary key change: the old key must be used to find the row.
            const id = ids[Math.floor(rand() * ids.length)]!;
            const to = nextId++;
            await c.query('UPDATE kitchen SET id = $2 WHERE id = $1', [id, to]);
            live.delete(id);
            live.add(to);
          } else if (op < 0.95) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            await c.query('DELETE FROM kitchen WHERE id = $1', [id]);
            live.delete(id);
          } else {
            const a = Math.floor(rand() * 20);
            if (rand() < 0.6) await c.query('INSERT INTO nokey VALUES ($1, $2, $3)', [a, randomText(rand, 5), JSON.stringify({ a })]);
            else if (rand() < 0.5) await c.query('UPDATE nokey SET b = $2 WHERE ctid = (SELECT ctid FROM nokey WHERE a = $1 LIMIT 1)', [a, 'upd']);
            else await c.query('DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey WHERE a = $1 LIMIT 1)', [a]);
          }
        }
        await c.query(rand() < 0.05 ? 'ROLLBACK' : 'COMMIT');
        if (rand() < 0.05) {
          // A rolled back transaction must leave no trace anywhere: resync our view of live ids.
          const rows = await c.query<{ id: string }>('SELECT id FROM kitchen');
          live.clear();
          for (const row of rows.rows) live.add(Number(row.id));
        }
      }
      // One large transaction (several MB), carried as ordered chunks.
      await c.query('BEGIN');
      for (let i = 0; i < 400; i++) {
        const id = nextId++;
        const row = randomRow(rand, id);
        row[18] = randomText(rand, 10_000);
        await c.query(`INSERT INTO kitchen (${COLS}) VALUES (${PARAMS})`, row);
      }
      await c.query('UPDATE kitchen SET note = note || \'!\' WHERE id % 7 = 0');
      await c.query('COMMIT');
      // Multi-statement query string in one round trip (simple query protocol).
      await c.query("INSERT INTO nokey VALUES (100, 'x', '{}'); UPDATE nokey SET b = 'y' WHERE a = 100; INSERT INTO nokey VALUES (101, NULL, NULL)");
    } finally {
      await c.end();
    }
    await r.waitConverged(120_000);
    for (const table of ['kitchen', 'nokey']) {
      const want = await tableChecksum(r.primary.pg.url, table);
      expect(want.rows).toBeGreaterThan(0);
      for (const s of r.secondaries) expect(await tableChecksum(s.pg.url, table), `${table} on ${s.name}`).toEqual(want);
    }
    // The large transaction (400 rows × ≥ 10 kB) really travelled as chunks of ≤ 64 kB.
    const metrics = await fetch(`http://127.0.0.1:${r.primary.httpPort}/metrics`).then((res) => res.text());
    const chunks = Number(/^borealis_published_chunks_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(chunks).toBeGreaterThanOrEqual(60);
  });

  it('sequences on secondaries are at least where the primary was (carried by heartbeats)', async () => {
    await sql(r.primary.pg.url, 'CREATE TABLE serials (id serial PRIMARY KEY, v int)');
    await sql(r.primary.pg.url, 'INSERT INTO serials (v) SELECT g FROM generate_series(1, 57) g');
    await r.waitConverged();
    await new Promise((res) => setTimeout(res, 600)); // at least two heartbeats after the inserts
    for (const s of r.secondaries) {
      const v = await sql<{ last_value: string }>(s.pg.url, 'SELECT last_value FROM serials_id_seq');
      expect(Number(v.rows[0]!.last_value)).toBeGreaterThanOrEqual(57);
    }
  });
});
