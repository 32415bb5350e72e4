/** Pure SQL of the demo workload (one table, mixed inserts/updates/deletes) and its convergence checksum. */

export const DEMO_TABLE = 'demo_items';

export const CREATE_DEMO_TABLE = `CREATE TABLE IF NOT EXISTS ${DEMO_TABLE} (
  id bigserial PRIMARY KEY,
  account integer NOT NULL,
  amount numeric(12,2) NOT NULL,
  note text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

export const INSERT_ITEM = `INSERT INTO ${DEMO_TABLE} (account, amount, note) VALUES ($1, $2, $3) RETURNING id`;
export const UPDATE_ITEM = `UPDATE ${DEMO_TABLE} SET amount = amount + $2, note = $3, updated_at = now() WHERE id = $1`;
export const DELETE_ITEM = `DELETE FROM ${DEMO_TABLE} WHERE id = $1`;

/**
 * Row count and an order-independent-of-storage checksum of the whole table (md5 over rows in id order).
 * Every region must return the same pair once replication caught up.
 */
export const DEMO_CHECKSUM = `SELECT count(*)::bigint AS rows,
  coalesce(md5(string_agg(id::text || '|' || account::text || '|' || amount::text || '|' || note || '|' ||
    extract(epoch FROM updated_at)::text, ',' ORDER BY id)), '') AS checksum
  FROM ${DEMO_TABLE}`;

export type DemoOp = 'insert' | 'update' | 'delete' | 'batch';

/**
 * Picks the next operation: mostly inserts while the table is small, then a mix of 45 % inserts,
 * 35 % updates, 10 % deletes, 10 % multi-statement transactions (pure: r is a uniform [0,1) sample).
 */
export function pickOp(r: number, liveRows: number): DemoOp {
  if (liveRows < 10) return 'insert';
  if (r < 0.45) return 'insert';
  if (r < 0.8) return 'update';
  if (r < 0.9) return 'delete';
  return 'batch';
}
