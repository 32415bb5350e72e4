import pg from 'pg';
import { DataApiError, fromPgError, isPgError } from './errors.js';
import type { Statement } from './request.js';

/** One statement's result as the Data API returns it. */
export interface StatementResult {
  /** PostgreSQL's command tag verb: SELECT, INSERT, UPDATE… */
  command: string;
  rowCount: number | null;
  rows: Record<string, unknown>[];
  fields: { name: string; dataTypeID: number }[];
}

export interface RunOptions {
  /** BEGIN READ ONLY: a write fails with SQLSTATE 25006 (and is then forwarded on a secondary). */
  readOnly: boolean;
  /** Absolute deadline (Date.now() ms): statement_timeout is set from what is left of it. */
  deadline: number;
  maxRows: number;
  /** Take `pg_current_wal_insert_lsn()` right after COMMIT, in the same round trip (the write's commit position). */
  wantLsn: boolean;
  /**
   * This region is the primary now: a read-only error (25006) means the session still carries the
   * database's read-only default from before a promotion, so that connection is dropped, not reused.
   */
  expectWritable?: boolean;
}

export interface RunResult {
  results: StatementResult[];
  /** WAL insert position after COMMIT (wantLsn), else null. */
  lsn: string | null;
  /** When the transaction wrote (had an xid): its xid and the WAL positions around its COMMIT. */
  commit: { xid: string; before: string; after: string } | null;
}

/** Types returned as PostgreSQL's own text: exact, and plain JSON strings (no Date/Buffer objects). */
const TEXT_TYPES = new Set([
  17, // bytea ("\x…" hex)
  20, // int8
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1266, // timetz
  1700, // numeric
]);

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_TYPES.has(oid) ? (v: string) => v : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** Statements a client may not send: they would end or escape the transaction the Data API runs them in. */
const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|end|abort|rollback(?!\s+to\b)|prepare\s+transaction)\b/i;

export function isTransactionControl(sql: string): boolean {
  return TRANSACTION_CONTROL.test(sql);
}

/**
 * Runs a request's statements in one transaction on the region's PostgreSQL with bound parameters only
 * (extended query protocol, one statement per text: a client's text is never concatenated into SQL).
 */
export class SqlRunner {
  private pool: pg.Pool;
  private readonly poolConfig: pg.PoolConfig;

  constructor(url: string, poolSize: number, connectTimeoutMs: number) {
    this.poolConfig = {
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'borealis-data-api',
      options: '-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c bytea_output=hex',
      types,
    };
    this.pool = new pg.Pool(this.poolConfig);
    // An idle client's error (PostgreSQL restarted) must not crash the agent; the pool drops that client.
    this.pool.on('error', () => undefined);
  }

  async run(statements: Statement[], o: RunOptions): Promise<RunResult> {
    for (const [i, s] of statements.entries()) {
      if (isTransactionControl(s.sql)) {
        throw new DataApiError(400, {
          code: 'transaction_control',
          message: 'transaction control statements (BEGIN, COMMIT, ROLLBACK, …) are not allowed: every request runs in one transaction of its own; use POST /v1/transaction for several statements',
          retryable: false,
          statement: i,
        });
      }
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      if (isPgError(err)) throw fromPgError(err);
      throw new DataApiError(
        503,
        { code: 'unavailable', message: `no database connection: ${(err as Error).message}`, retryable: true },
        { cause: err },
      );
    }
    let broken: Error | undefined;
    let open = false;
    // A checked-out client whose session is terminated (fencing terminates sessions) emits 'error' between
    // queries; without a listener that would crash the agent. The next query fails and is answered instead.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query(o.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      open = true;
      const results: StatementResult[] = [];
      for (const [i, s] of statements.entries()) {
        const left = o.deadline - Date.now();
        if (left <= 0) {
          throw new DataApiError(504, {
            code: 'timeout',
            message: `the request's time limit ran out before statement ${i}`,
            retryable: true,
            statement: i,
          });
        }
        // Also takes the transaction's first snapshot, so a client's SET TRANSACTION READ WRITE cannot follow.
        await client.query('SELECT set_config($1, $2, true)', ['statement_timeout', String(Math.max(1, left))]);
        let r: pg.QueryResult;
        try {
          r = await client.query({ text: s.sql, values: s.params, queryMode: 'extended' } as pg.QueryConfig);
        } catch (err) {
          if (isPgError(err)) throw fromPgError(err, statements.length > 1 ? i : undefined);
          throw err;
        }
        if (client.getTransactionStatus?.() === 'I') {
          throw new DataApiError(400, {
            code: 'transaction_control',
            message: `statement ${i} ended the request's transaction; transaction control is not allowed`,
            retryable: false,
            statement: i,
          });
        }
        if (r.rows.length > o.maxRows) {
          throw new DataApiError(400, {
            code: 'too_many_rows',
            message: `statement returned ${r.rows.length} rows, more than this agent's limit of ${o.maxRows}: add a LIMIT or page with a key`,
            retryable: false,
            statement: i,
          });
        }
        results.push({
          command: r.command,
          rowCount: r.rowCount,
          rows: r.rows as Record<string, unknown>[],
          fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
        });
      }
      // One round trip: the transaction's xid (if it wrote) and WAL position before COMMIT, COMMIT, drop whatever
      // session state the client's SQL set, the WAL insert position after COMMIT (at or past its commit record).
      const tail = (await client.query(
        o.wantLsn
          ? `SELECT (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)::text AS xid, pg_current_wal_insert_lsn()::text AS before;
             COMMIT; RESET ALL; SELECT pg_current_wal_insert_lsn()::text AS lsn`
          : 'COMMIT; RESET ALL',
      )) as unknown as pg.QueryResult[];
      open = false;
      if (!o.wantLsn) return { results, lsn: null, commit: null };
      const pre = tail[0]?.rows[0] as { xid: string | null; before: string } | undefined;
      const lsn = (tail[3]?.rows[0] as { lsn?: string } | undefined)?.lsn ?? null;
      const commit = pre?.xid && lsn ? { xid: pre.xid, before: pre.before, after: lsn } : null;
      return { results, lsn, commit };
    } catch (err) {
      if (!isPgError(err) && !(err instanceof DataApiError)) broken = err as Error;
      const sqlstate = isPgError(err) ? err.code : err instanceof DataApiError ? err.body.sqlstate : undefined;
      if (o.expectWritable && sqlstate === '25006') broken = err as Error;
      if (open && !broken) {
        await client.query('ROLLBACK; RESET ALL').catch((e: unknown) => {
          broken = e as Error;
        });
      }
      if (isPgError(err)) throw fromPgError(err);
      if (err instanceof DataApiError) throw err;
      throw new DataApiError(
        503,
        { code: 'unavailable', message: `database connection failed: ${(err as Error).message}`, retryable: true },
        { cause: err },
      );
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }

  /** Connections in use and waiting requests (metrics). */
  stats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** Replaces every pooled connection (new sessions take the database's current defaults); in-flight requests finish on the old pool. */
  refresh(): void {
    const old = this.pool;
    this.pool = new pg.Pool(this.poolConfig);
    this.pool.on('error', () => undefined);
    void old.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
