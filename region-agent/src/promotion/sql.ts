/** Pure SQL of promotion and fencing (docs/promotion.md). */
import { quoteIdent } from '../apply/sql.js';

/** Renews the write lease up to a time computed before the epoch store was read (µs-precise). */
export const RENEW_LEASE_SQL = `
INSERT INTO borealis.lease (id, epoch, valid_until) VALUES (1, $1, to_timestamp($2::double precision / 1000))
ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch,
  valid_until = CASE WHEN borealis.lease.epoch = excluded.epoch
                     THEN greatest(borealis.lease.valid_until, excluded.valid_until) ELSE excluded.valid_until END`;

/** Ends the write lease at once: every client transaction not yet committed fails at COMMIT. */
export const EXPIRE_LEASE_SQL = `
INSERT INTO borealis.lease (id, epoch, valid_until) VALUES (1, $1, '-infinity')
ON CONFLICT (id) DO UPDATE SET valid_until = '-infinity'`;

export function readOnlySql(db: string, on: boolean): string {
  return on
    ? `ALTER DATABASE ${quoteIdent(db)} SET default_transaction_read_only = on`
    : `ALTER DATABASE ${quoteIdent(db)} RESET default_transaction_read_only`;
}

/** Terminates every client session of the database (not the agent's own, not walsenders). */
export const TERMINATE_CLIENTS_SQL = `
SELECT count(pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
   AND coalesce(application_name, '') NOT LIKE 'borealis-agent%'`;

export const SAVE_STATE_SQL = `
INSERT INTO borealis.agent_state (id, epoch, role, primary_region, history, updated_at)
VALUES (1, $1, $2, $3, $4::jsonb, clock_timestamp())
ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, role = excluded.role,
  primary_region = excluded.primary_region, history = excluded.history, updated_at = excluded.updated_at`;

export const LOAD_STATE_SQL = `SELECT epoch, role, primary_region, history FROM borealis.agent_state WHERE id = 1`;

export const RECORD_LOST_SQL = `
INSERT INTO borealis.lost_transactions (epoch, region, xid, commit_lsn, commit_ts, changes)
VALUES ($1, $2, $3, $4::pg_lsn, timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::jsonb)`;
