// Schema changes replicate in order with the data (native logical replication does not carry DDL).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPgBinDir } from '../../cli/src/topology/index.js';
import { startRegions, tableChecksum, type Regions } from '../support/regions.js';
import { sql } from '../support/sql.js';

let r: Regions;

beforeAll(async () => {
  r = await startRegions();
});

afterAll(async () => {
  await r?.stop();
});

function pgbench(url: string, args: string[]): void {
  const run = spawnSync(join(defaultPgBinDir(), 'pgbench'), [...args, url], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`pgbench ${args.join(' ')} failed: ${run.stderr}`);
}

describe('DDL replication', () => {
  it('create table, add/drop column, create index, rename — applied in order with the rows', async () => {
    const url = r.primary.pg.url;
    await sql(url, 'CREATE TABLE accounts (id int PRIMARY KEY, owner text)');
    await sql(url, "INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob')");
    await sql(url, 'ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0');
    await sql(url, 'UPDATE accounts SET balance = 10.5 WHERE id = 1');
    await sql(url, 'CREATE INDEX accounts_owner_idx ON accounts (owner)');
    await sql(url, 'CREATE UNIQUE INDEX CONCURRENTLY accounts_owner_uq ON accounts (owner, id)');
    await sql(url, 'ALTER TABLE accounts DROP COLUMN owner');
    // DDL and DML in one query string: only the DDL is replayed, the rows arrive as changes.
    await sql(url, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one'); ALTER TABLE notes RENAME TO memos");
    await sql(url, 'CREATE SCHEMA ledger; CREATE TABLE ledger.entries (id bigserial PRIMARY KEY, amount numeric)');
    await sql(url, 'INSERT INTO ledger.entries (amount) VALUES (1), (2), (3)');
    await sql(url, 'CREATE TABLE scratch (a int); DROP TABLE scratch');
    await r.waitConverged();
    for (const s of r.secondaries) {
      for (const table of ['accounts', 'memos', 'ledger.entries']) {
        expect(await tableChecksum(s.pg.url, table), `${table} on ${s.name}`).toEqual(await tableChecksum(url, table));
      }
      const idx = await sql<{ indexname: string }>(s.pg.url, "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts' ORDER BY 1");
      expect(idx.rows.map((x) => x.indexname)).toEqual(['accounts_pkey']);
      const cols = await sql<{ column_name: string }>(
        s.pg.url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY ordinal_position",
      );
      expect(cols.rows.map((x) => x.column_name)).toEqual(['id', 'balance']);
      const scratch = await sql(s.pg.url, "SELECT 1 FROM pg_class WHERE relname = 'scratch'");
      expect(scratch.rowCount).toBe(0);
    }
  });

  it('pgbench -i schema and a pgbench run replicate; every region converges', async () => {
    pgbench(r.primary.pg.url, ['-i', '-s', '1', '-q']);
    pgbench(r.primary.pg.url, ['-c', '2', '-j', '1', '-T', '5']);
    await r.waitConverged(120_000);
    for (const table of ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']) {
      const want = await tableChecksum(r.primary.pg.url, table);
      expect(want.rows).toBeGreaterThan(0);
      for (const s of r.secondaries) expect(await tableChecksum(s.pg.url, table), `${table} on ${s.name}`).toEqual(want);
    }
  });
});
