import pg from 'pg';
import type { Logger } from '../log/index.js';

/**
 * Finds the exact LSN of a transaction's commit record (what capture names `commitLsn` and secondaries store
 * in borealis.apply_position) with pg_walinspect, reading only the WAL between a position taken just before
 * COMMIT and one taken just after it. pg_walinspect lives in the cluster's `postgres` database (never in the
 * replicated one, so no DDL of ours replicates) and needs a superuser: the agent's own database URL.
 * Without it (extension missing, no privilege) positions fall back to the WAL insert position after COMMIT,
 * which is also correct but makes a `session` wait last until the next commit (a heartbeat at the latest).
 */
export class CommitLsnFinder {
  private pool: pg.Pool | null;
  private ready: Promise<boolean> | null = null;
  private failures = 0;

  constructor(
    agentDatabaseUrl: string,
    private readonly log: Logger,
  ) {
    const url = new URL(agentDatabaseUrl);
    url.pathname = '/postgres';
    this.pool = new pg.Pool({ connectionString: url.toString(), max: 4, idleTimeoutMillis: 30_000, application_name: 'borealis-data-api-lsn' });
    this.pool.on('error', () => undefined);
  }

  private async prepare(): Promise<boolean> {
    try {
      await this.pool!.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'pg_walinspect unavailable: commit positions are the WAL insert position after COMMIT (session waits last until the next commit)');
      return false;
    }
  }

  /** The commit record's start LSN of transaction `xid` (32-bit) between `from` and `to`, or null. */
  async find(xid: string, from: string, to: string): Promise<string | null> {
    if (!this.pool) return null;
    this.ready ??= this.prepare();
    if (!(await this.ready)) return null;
    try {
      const r = await this.pool.query<{ lsn: string }>(
        `SELECT start_lsn::text AS lsn
           FROM pg_get_wal_records_info($1::pg_lsn, LEAST($2::pg_lsn, pg_current_wal_flush_lsn()))
          WHERE resource_manager = 'Transaction' AND record_type LIKE 'COMMIT%' AND xid::text = $3
          LIMIT 1`,
        [from, to, xid],
      );
      this.failures = 0;
      return r.rows[0]?.lsn ?? null;
    } catch (err) {
      if (++this.failures === 1) this.log.warn({ err: (err as Error).message, xid, from, to }, 'finding the commit LSN failed; using the insert position');
      return null;
    }
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    await p?.end();
  }
}
