import type { Change, ColumnValue, Transaction } from '../wire/index.js';

/** A parameterised statement (values are bound, never spliced into SQL). */
export interface Statement {
  text: string;
  values: ColumnValue[];
  /** Rows the statement must touch: an update or delete that finds no row means divergence. */
  expectRows?: number;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Most bound parameters in one statement (PostgreSQL's limit is 65535). */
const MAX_PARAMS = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

/**
 * Pure: turns one transaction's changes into statements, in order. Consecutive inserts into the
 * same table with the same columns become one multi-row INSERT. Rows are matched by their
 * replica identity: `key` columns with `=` (a primary key or replica identity index), or — for
 * REPLICA IDENTITY FULL (`fullIdentity`) — every column compared by its text form, one row via ctid.
 */
export function buildStatements(
  changes: readonly Change[],
  fullIdentity: (schema: string, table: string) => boolean,
  literal?: (value: string) => string,
): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  while (i < changes.length) {
    const c = changes[i]!;
    if (c.op === 'I') {
      const cols = Object.keys(c.new ?? {});
      const rows: Record<string, ColumnValue>[] = [c.new ?? {}];
      let j = i + 1;
      while (j < changes.length && rows.length < MAX_ROWS_PER_INSERT && (rows.length + 1) * cols.length <= MAX_PARAMS) {
        const n = changes[j]!;
        if (n.op !== 'I' || n.schema !== c.schema || n.table !== c.table || !sameColumns(cols, n.new ?? {})) break;
        rows.push(n.new ?? {});
        j++;
      }
      out.push(insertStatement(c.schema, c.table, cols, rows, literal));
      i = j;
      continue;
    }
    if (c.op === 'U') out.push(updateStatement(c, fullIdentity(c.schema, c.table)));
    else if (c.op === 'D') out.push(deleteStatement(c, fullIdentity(c.schema, c.table)));
    else if (c.op === 'T') out.push(truncateStatement(c));
    i++;
  }
  return out;
}

function sameColumns(cols: string[], row: Record<string, ColumnValue>): boolean {
  const keys = Object.keys(row);
  return keys.length === cols.length && keys.every((k, idx) => k === cols[idx]);
}

/**
 * A multi-row INSERT. With `literal` (a quoting function such as pg's escapeLiteral) the values are
 * written into the text as quoted literals and no parameters are bound — for the apply fast path, which
 * sends a whole group as one simple-protocol query.
 */
export function insertStatement(
  schema: string,
  table: string,
  cols: string[],
  rows: Record<string, ColumnValue>[],
  literal?: (value: string) => string,
): Statement {
  const values: ColumnValue[] = [];
  const tuples = rows.map((row) => {
    const ps = cols.map((col) => {
      const v = row[col] ?? null;
      if (literal) return v === null ? 'NULL' : literal(v);
      values.push(v);
      return `$${values.length}`;
    });
    return `(${ps.join(', ')})`;
  });
  const target = qualified(schema, table);
  if (cols.length === 0) return { text: `INSERT INTO ${target} DEFAULT VALUES`, values: [] };
  return { text: `INSERT INTO ${target} (${cols.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`, values };
}

function whereClause(key: Record<string, ColumnValue>, values: ColumnValue[], full: boolean): string {
  const parts = Object.entries(key).map(([col, v]) => {
    if (v === null) return `${quoteIdent(col)} IS NULL`;
    values.push(v);
    // Text comparison works for every type (json, point… have no equality operator) and matches
    // exactly because both sides print with the same session settings.
    return full ? `${quoteIdent(col)}::text = $${values.length}::text` : `${quoteIdent(col)} = $${values.length}`;
  });
  if (parts.length === 0) throw new Error('a row change without replica identity cannot be applied');
  return parts.join(' AND ');
}

export function updateStatement(c: Change, full: boolean): Statement {
  if (!c.key) throw new Error(`update of ${c.schema}.${c.table} carries no replica identity`);
  const values: ColumnValue[] = [];
  const sets = Object.entries(c.new ?? {}).map(([col, v]) => {
    values.push(v);
    return `${quoteIdent(col)} = $${values.length}`;
  });
  const target = qualified(c.schema, c.table);
  if (sets.length === 0) {
    // Every column unchanged and TOASTed: nothing to write, but the row must exist.
    return { text: `SELECT 1 FROM ${target} WHERE ${whereClause(c.key, values, full)} LIMIT 1`, values, expectRows: 1 };
  }
  const where = whereClause(c.key, values, full);
  const text = full
    ? `UPDATE ${target} SET ${sets.join(', ')} WHERE ctid = (SELECT ctid FROM ${target} WHERE ${where} LIMIT 1)`
    : `UPDATE ${target} SET ${sets.join(', ')} WHERE ${where}`;
  return { text, values, expectRows: 1 };
}

export function deleteStatement(c: Change, full: boolean): Statement {
  if (!c.key) throw new Error(`delete from ${c.schema}.${c.table} carries no replica identity`);
  const values: ColumnValue[] = [];
  const where = whereClause(c.key, values, full);
  const target = qualified(c.schema, c.table);
  const text = full
    ? `DELETE FROM ${target} WHERE ctid = (SELECT ctid FROM ${target} WHERE ${where} LIMIT 1)`
    : `DELETE FROM ${target} WHERE ${where}`;
  return { text, values, expectRows: 1 };
}

export function truncateStatement(c: Change): Statement {
  const t = c.truncate;
  if (!t) throw new Error('truncate change without relations');
  const rels = t.relations.map(([s, n]) => qualified(s, n)).join(', ');
  return {
    text: `TRUNCATE ${rels}${t.restartIdentity ? ' RESTART IDENTITY' : ''}${t.cascade ? ' CASCADE' : ''}`,
    values: [],
  };
}

/** Pure: true when a transaction touches no borealis.* relation (no heartbeat, DDL or local state). */
export function isPlainTransaction(tx: Transaction): boolean {
  for (const c of tx.changes) if (c.schema === 'borealis') return false;
  return true;
}

/**
 * Pure: consecutive plain transactions of one group as one change list in commit order, so their
 * inserts share multi-row statements (they commit together anyway). Identity and commit fields are
 * the last transaction's; error messages name the range.
 */
export function mergeTransactions(txs: readonly Transaction[]): Transaction {
  if (txs.length === 1) return txs[0]!;
  const last = txs[txs.length - 1]!;
  const changes: Change[] = [];
  for (const tx of txs) for (const c of tx.changes) changes.push(c);
  return { ...last, changes };
}

/** Pure: true when a transaction is plain and only inserts rows (the apply fast path's condition). */
export function isInsertOnlyTransaction(tx: Transaction): boolean {
  for (const c of tx.changes) if (c.op !== 'I' || c.schema === 'borealis') return false;
  return true;
}
