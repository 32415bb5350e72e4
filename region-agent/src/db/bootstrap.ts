import pg from 'pg';
import type { Logger } from '../log/index.js';
import { quoteIdent } from '../apply/sql.js';
import { BOOTSTRAP_SQL } from './bootstrap-sql.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from './session.js';

/** Waits until PostgreSQL accepts connections (it may still be starting). */
export async function waitForPostgres(url: string, log: Logger, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const c = new pg.Client({ connectionString: url, options: SESSION_OPTIONS, connectionTimeoutMillis: 2_000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL at ${redact(url)} did not answer: ${(err as Error).message}`, { cause: err });
      if (attempt % 10 === 0) log.info({ err: (err as Error).message }, 'waiting for PostgreSQL');
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/**
 * Installs the borealis schema (idempotent) and sets the database's client default for the role:
 * secondaries are read-only for clients (only the agent's own sessions write).
 */
export async function bootstrapDatabase(url: string, db: string, role: 'primary' | 'secondary'): Promise<void> {
  const c = new pg.Client({ connectionString: url, options: SESSION_OPTIONS, application_name: APPLICATION_NAME });
  await c.connect();
  try {
    const settings = await c.query<{ wal_level: string }>(`SELECT current_setting('wal_level') AS wal_level`);
    if (settings.rows[0]?.wal_level !== 'logical') {
      throw new Error(
        `PostgreSQL wal_level is '${settings.rows[0]?.wal_level}'; Borealis needs wal_level = logical (set it in postgresql.conf and restart)`,
      );
    }
    // The agent's own DDL is not user DDL: keep the event trigger from logging (and replicating) it.
    await c.query('SET session_replication_role = replica');
    await c.query('SELECT pg_advisory_lock(4242001)');
    try {
      await c.query(BOOTSTRAP_SQL);
    } finally {
      await c.query('SELECT pg_advisory_unlock(4242001)');
    }
    // A role named "borealis" would resolve "$user" in the default search_path to the borealis
    // schema and create user tables there: point its search_path at public in this database.
    const named = await c.query(`SELECT 1 FROM pg_roles WHERE rolname = 'borealis'`);
    if ((named.rowCount ?? 0) > 0) await c.query(`ALTER ROLE borealis IN DATABASE ${quoteIdent(db)} SET search_path = public`);
    await c.query(
      role === 'secondary'
        ? `ALTER DATABASE ${quoteIdent(db)} SET default_transaction_read_only = on`
        : `ALTER DATABASE ${quoteIdent(db)} RESET default_transaction_read_only`,
    );
  } finally {
    await c.end();
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
