// A secondary that falls behind the stream's bounded retention is re-seeded from a fresh
// snapshot of the primary and converges (DESIGN §3: bounded retention, seeding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegions, tableChecksum, type Regions } from '../support/regions.js';
import { sql } from '../support/sql.js';

let r: Regions;

beforeAll(async () => {
  // Tiny streams: 256 KiB of retention on the source and on every mirror.
  r = await startRegions({
    regions: ['us-east', 'eu-west'],
    agentConfig: () => ({ stream: { maxAgeSeconds: 3600, maxBytes: 256 * 1024, duplicateWindowSeconds: 60 } }),
  });
});

afterAll(async () => {
  await r?.stop();
});

describe('bounded retention', () => {
  it('re-seeds a region that fell past retention, then streams again', async () => {
    await sql(r.primary.pg.url, 'CREATE TABLE blobs (id int PRIMARY KEY, body text NOT NULL)');
    await r.waitConverged();
    await r.byName('eu-west').agent?.stop();
    // ~2 MB of changes while the secondary is away: far more than the streams keep.
    for (let i = 0; i < 40; i++) {
      await sql(r.primary.pg.url, `INSERT INTO blobs SELECT g, repeat(md5(g::text), 16) FROM generate_series($1::int, $1::int + 99) g`, [i * 100]);
    }
    await r.startAgent('eu-west');
    await r.waitConverged(120_000);
    const want = await tableChecksum(r.primary.pg.url, 'blobs');
    expect(want.rows).toBe(4000);
    expect(await tableChecksum(r.byName('eu-west').pg.url, 'blobs')).toEqual(want);
    const metrics = await fetch(`http://127.0.0.1:${r.byName('eu-west').httpPort}/metrics`).then((res) => res.text());
    expect(metrics).toMatch(/borealis_unsupported_changes_total\{reason="retention_gap",region="eu-west"\} 1/);
    // And it keeps streaming after the re-seed.
    await sql(r.primary.pg.url, "INSERT INTO blobs VALUES (100000, 'after')");
    await r.waitConverged();
    expect(await tableChecksum(r.byName('eu-west').pg.url, 'blobs')).toEqual(await tableChecksum(r.primary.pg.url, 'blobs'));
  });
});
