// The tables the scenarios use, created through the primary's Data API and confirmed in every region (global).
import { execute, must } from './data-api.ts';
import type { RegionInfo } from './env.ts';

export const ACCOUNTS = 'k6_accounts';
export const HISTORY = 'k6_history';

/** Creates and seeds the scenario tables (idempotent); returns the session token of the seed. */
export function prepare(primary: RegionInfo, accounts: number): string | null {
  must(
    execute(primary, 'setup', {
      sql: `CREATE TABLE IF NOT EXISTS ${ACCOUNTS} (id integer PRIMARY KEY, balance bigint NOT NULL DEFAULT 0, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
    }, { consistency: 'global', timeoutMs: 30_000 }),
    `create ${ACCOUNTS}`,
  );
  must(
    execute(primary, 'setup', {
      sql: `CREATE TABLE IF NOT EXISTS ${HISTORY} (id bigserial PRIMARY KEY, src integer NOT NULL, dst integer NOT NULL, amount integer NOT NULL, region text NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
    }, { consistency: 'global', timeoutMs: 30_000 }),
    `create ${HISTORY}`,
  );
  const seeded = must(
    execute(primary, 'setup', {
      sql: `INSERT INTO ${ACCOUNTS} (id, balance) SELECT g, 1000 FROM generate_series(1, $1::int) g ON CONFLICT (id) DO NOTHING`,
      params: [accounts],
    }, { consistency: 'global', timeoutMs: 30_000 }),
    `seed ${ACCOUNTS}`,
  );
  return seeded.session;
}
