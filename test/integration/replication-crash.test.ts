// Crash safety on real parts: every fault happens under continuous writes; afterwards every
// region holds exactly the primary's rows — nothing missing, nothing twice (ledger has a
// primary key, so a duplicate apply would stop replication and fail convergence).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegions, tableChecksum, type Regions } from '../support/regions.js';
import { LedgerWriter, sql } from '../support/sql.js';

let r: Regions;

beforeAll(async () => {
  r = await startRegions();
  await LedgerWriter.createTable(r.primary.pg.url);
});

afterAll(async () => {
  await r?.stop();
});

let round = 0;

async function underWrites(fault: () => Promise<void>): Promise<LedgerWriter> {
  const w = new LedgerWriter(() => r.primary.pg.url, 2, ++round * 1_000_000);
  w.start();
  await new Promise((res) => setTimeout(res, 700));
  await fault();
  await new Promise((res) => setTimeout(res, 700));
  await w.stop();
  return w;
}

async function expectConverged(w: LedgerWriter): Promise<void> {
  await r.waitConverged(120_000);
  const primaryIds = new Set(
    (await sql<{ id: number }>(r.primary.pg.url, 'SELECT id FROM ledger')).rows.map((x) => x.id),
  );
  for (const id of w.acknowledged) expect(primaryIds.has(id), `acknowledged id ${id} on the primary`).toBe(true);
  const want = await tableChecksum(r.primary.pg.url, 'ledger');
  for (const s of r.secondaries) expect(await tableChecksum(s.pg.url, 'ledger'), s.name).toEqual(want);
  expect(w.acknowledged.size).toBeGreaterThan(50);
}

describe('crash safety under continuous writes', () => {
  it('kill -9 of a secondary agent mid-apply', async () => {
    const w = await underWrites(async () => {
      await r.killAgent('eu-west');
      await new Promise((res) => setTimeout(res, 500));
      await r.startAgent('eu-west');
    });
    await expectConverged(w);
  });

  it('kill -9 of the primary agent mid-capture', async () => {
    const w = await underWrites(async () => {
      await r.killAgent('us-east');
      await new Promise((res) => setTimeout(res, 500));
      await r.startAgent('us-east');
    });
    await expectConverged(w);
  });

  it('restart of the NATS server holding the source stream', async () => {
    const w = await underWrites(() => r.restartNats('us-east'));
    await expectConverged(w);
  });

  it('restart of a secondary PostgreSQL', async () => {
    const w = await underWrites(() => r.restartPostgres('ap-south'));
    await expectConverged(w);
  });

  it('restart of the primary PostgreSQL (writers retry)', async () => {
    const w = await underWrites(() => r.restartPostgres('us-east'));
    await expectConverged(w);
  });

  it('a secondary down for a while catches up when it returns', async () => {
    const w = await underWrites(async () => {
      await r.byName('eu-west').agent?.stop();
      await new Promise((res) => setTimeout(res, 4000));
      await r.startAgent('eu-west');
    });
    await expectConverged(w);
  });
});
