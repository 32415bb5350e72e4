/** Version of the message body encoding (docs/wire-format.md). */
export const WIRE_VERSION = 1;

/**
 * A column value as PostgreSQL's text output function printed it (what pgoutput sends in text
 * mode), or null for SQL NULL. Text is lossless for every type and is fed back to PostgreSQL's
 * input functions on apply, so numeric, timestamptz, bytea (hex), json, arrays round-trip exactly.
 */
export type ColumnValue = string | null;

/** One row change. `rel` is "schema.table" (unquoted names joined by a dot, each JSON string exact). */
export interface Change {
  /** Schema of the relation. */
  schema: string;
  /** Table name of the relation. */
  table: string;
  /** I insert, U update, D delete, T truncate. */
  op: 'I' | 'U' | 'D' | 'T';
  /** Replica identity of the old row (U/D): key columns, or every column for REPLICA IDENTITY FULL. */
  key?: Record<string, ColumnValue>;
  /** New row (I/U). Columns whose value is an unchanged TOASTed datum are absent (left as they are). */
  new?: Record<string, ColumnValue>;
  /** Names of the columns (I/U) whose unchanged TOASTed value was not sent. */
  unchanged?: string[];
  /** For T: every truncated relation as [schema, table], and the options. */
  truncate?: { relations: [string, string][]; cascade: boolean; restartIdentity: boolean };
}

/** One committed transaction of the primary. */
export interface Transaction {
  xid: number;
  /** LSN of the commit record, as "X/Y" hex. */
  commitLsn: string;
  /** Commit time, microseconds since the Unix epoch. */
  commitTs: number;
  changes: Change[];
}

/** The body of one message on `borealis.<db>.tx`. */
export interface MessageBody {
  v: typeof WIRE_VERSION;
  /** Epoch of the primary that captured these transactions. */
  epoch: number;
  /** Transactions in commit order. A chunked message holds one partial transaction. */
  txs: Transaction[];
  /** Present when a large transaction is split: chunk index (0-based) and whether it is the last. */
  chunk?: { index: number; last: boolean };
}
