import type { Change, ColumnValue, Transaction } from '../wire/index.js';

/**
 * A decoder of PostgreSQL's pgoutput protocol (version 1) that keeps every value as the exact text
 * PostgreSQL printed, and commit times in microseconds. (pg-logical-replication's own parser turns
 * values into JS types with pg's type parsers — lossy for timestamps, json, arrays — so Borealis
 * uses that library for the replication connection only and decodes the messages here.)
 */

/** Thrown for a message this decoder cannot read: capture stops rather than skip data. */
export class PgoutputDecodeError extends Error {
  override name = 'PgoutputDecodeError';
}

interface RelationColumn {
  name: string;
  isKey: boolean;
  typeOid: number;
}

export interface Relation {
  oid: number;
  schema: string;
  table: string;
  /** d default, n nothing, f full, i index */
  replicaIdentity: 'd' | 'n' | 'f' | 'i';
  columns: RelationColumn[];
}

/** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_OFFSET_US = 946_684_800_000_000n;

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  lsn(): string {
    const hi = this.u32();
    const lo = this.u32();
    return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
  }
  /** Timestamp (µs since 2000-01-01) → µs since the Unix epoch. */
  time(): number {
    return Number(this.u64() + PG_EPOCH_OFFSET_US);
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new PgoutputDecodeError('unterminated string in pgoutput message');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new PgoutputDecodeError('pgoutput message ends early');
  }
}

/** A tuple as read: column name → text value, null, or UNCHANGED for an unchanged TOASTed datum. */
const UNCHANGED = Symbol('unchanged-toast');
type TupleValue = ColumnValue | typeof UNCHANGED;
type Tuple = Map<string, TupleValue>;

export type DecodeEvent =
  | { kind: 'begin'; xid: number; commitLsn: string; commitTs: number }
  | { kind: 'change'; change: Change; relation: Relation }
  | { kind: 'commit'; commitLsn: string; endLsn: string; commitTs: number }
  | { kind: 'relation'; relation: Relation }
  | { kind: 'other'; tag: string };

/** Stateful decoder of one replication session (relations are announced once per session). */
export class PgoutputDecoder {
  private readonly relations = new Map<number, Relation>();

  decode(buf: Buffer): DecodeEvent {
    const r = new Reader(buf);
    const tag = String.fromCharCode(r.u8());
    switch (tag) {
      case 'B': {
        const commitLsn = r.lsn();
        const commitTs = r.time();
        const xid = r.u32();
        return { kind: 'begin', xid, commitLsn, commitTs };
      }
      case 'C': {
        r.u8(); // flags
        const commitLsn = r.lsn();
        const endLsn = r.lsn();
        const commitTs = r.time();
        return { kind: 'commit', commitLsn, endLsn, commitTs };
      }
      case 'R': {
        const oid = r.u32();
        const schema = r.cstring();
        const table = r.cstring();
        const replicaIdentity = String.fromCharCode(r.u8()) as Relation['replicaIdentity'];
        const n = r.i16();
        const columns: RelationColumn[] = [];
        for (let i = 0; i < n; i++) {
          const flags = r.u8();
          const name = r.cstring();
          const typeOid = r.u32();
          r.i32(); // type modifier
          columns.push({ name, isKey: (flags & 1) === 1, typeOid });
        }
        const relation: Relation = { oid, schema, table, replicaIdentity, columns };
        this.relations.set(oid, relation);
        return { kind: 'relation', relation };
      }
      case 'I': {
        const relation = this.relation(r.u32());
        expectByte(r, 'N');
        const row = readTuple(r, relation);
        return { kind: 'change', relation, change: insertChange(relation, row) };
      }
      case 'U': {
        const relation = this.relation(r.u32());
        let sub = String.fromCharCode(r.u8());
        let old: Tuple | undefined;
        if (sub === 'K' || sub === 'O') {
          old = readTuple(r, relation);
          sub = String.fromCharCode(r.u8());
        }
        if (sub !== 'N') throw new PgoutputDecodeError(`unexpected update sub-message '${sub}'`);
        const row = readTuple(r, relation);
        return { kind: 'change', relation, change: updateChange(relation, row, old) };
      }
      case 'D': {
        const relation = this.relation(r.u32());
        const sub = String.fromCharCode(r.u8());
        if (sub !== 'K' && sub !== 'O') throw new PgoutputDecodeError(`unexpected delete sub-message '${sub}'`);
        const old = readTuple(r, relation);
        return { kind: 'change', relation, change: deleteChange(relation, old) };
      }
      case 'T': {
        const n = r.u32();
        const flags = r.u8();
        const rels: Relation[] = [];
        for (let i = 0; i < n; i++) rels.push(this.relation(r.u32()));
        const first = rels[0];
        if (!first) throw new PgoutputDecodeError('truncate message without relations');
        return {
          kind: 'change',
          relation: first,
          change: {
            schema: first.schema,
            table: first.table,
            op: 'T',
            truncate: {
              relations: rels.map((x) => [x.schema, x.table] as [string, string]),
              cascade: (flags & 1) === 1,
              restartIdentity: (flags & 2) === 2,
            },
          },
        };
      }
      case 'Y':
      case 'O':
      case 'M':
        return { kind: 'other', tag };
      default:
        throw new PgoutputDecodeError(`unknown pgoutput message '${tag}' (0x${buf[0]?.toString(16) ?? '??'})`);
    }
  }

  private relation(oid: number): Relation {
    const rel = this.relations.get(oid);
    if (!rel) throw new PgoutputDecodeError(`change for relation ${oid} before its Relation message`);
    return rel;
  }
}

function expectByte(r: Reader, c: string): void {
  const got = String.fromCharCode(r.u8());
  if (got !== c) throw new PgoutputDecodeError(`expected '${c}' in pgoutput message, got '${got}'`);
}

function readTuple(r: Reader, relation: Relation): Tuple {
  const n = r.i16();
  if (n !== relation.columns.length) {
    throw new PgoutputDecodeError(
      `tuple of ${relation.schema}.${relation.table} has ${n} columns, relation has ${relation.columns.length}`,
    );
  }
  const tuple: Tuple = new Map();
  for (let i = 0; i < n; i++) {
    const col = relation.columns[i]!;
    const kind = String.fromCharCode(r.u8());
    switch (kind) {
      case 'n':
        tuple.set(col.name, null);
        break;
      case 'u':
        tuple.set(col.name, UNCHANGED);
        break;
      case 't': {
        const len = r.i32();
        tuple.set(col.name, r.bytes(len).toString('utf8'));
        break;
      }
      case 'b':
        throw new PgoutputDecodeError('binary tuple data is not supported (Borealis requests text mode)');
      default:
        throw new PgoutputDecodeError(`unknown tuple data kind '${kind}'`);
    }
  }
  return tuple;
}

/** Row values without unchanged-TOAST columns, and the names of those columns. */
function rowValues(row: Tuple): { values: Record<string, ColumnValue>; unchanged: string[] } {
  const values: Record<string, ColumnValue> = {};
  const unchanged: string[] = [];
  for (const [name, v] of row) {
    if (v === UNCHANGED) unchanged.push(name);
    else values[name] = v;
  }
  return { values, unchanged };
}

function keyColumns(relation: Relation): string[] {
  if (relation.replicaIdentity === 'f') return relation.columns.map((c) => c.name);
  return relation.columns.filter((c) => c.isKey).map((c) => c.name);
}

/** The identity of the old row: from the old/key tuple when sent, else the new row's key columns. */
function identity(relation: Relation, source: Tuple): Record<string, ColumnValue> {
  const key: Record<string, ColumnValue> = {};
  for (const name of keyColumns(relation)) {
    const v = source.get(name);
    if (v === UNCHANGED || v === undefined) {
      throw new PgoutputDecodeError(
        `key column ${name} of ${relation.schema}.${relation.table} is missing from the replicated row`,
      );
    }
    key[name] = v;
  }
  return key;
}

function insertChange(relation: Relation, row: Tuple): Change {
  const { values } = rowValues(row);
  return { schema: relation.schema, table: relation.table, op: 'I', new: values };
}

function updateChange(relation: Relation, row: Tuple, old: Tuple | undefined): Change {
  const { values, unchanged } = rowValues(row);
  const change: Change = {
    schema: relation.schema,
    table: relation.table,
    op: 'U',
    key: identity(relation, old ?? row),
    new: values,
  };
  if (unchanged.length > 0) change.unchanged = unchanged;
  return change;
}

function deleteChange(relation: Relation, old: Tuple): Change {
  return { schema: relation.schema, table: relation.table, op: 'D', key: identity(relation, old) };
}

/** Accumulates decode events into whole transactions. */
export class TransactionAssembler {
  private current: Transaction | null = null;

  /** True between BEGIN and COMMIT. */
  get open(): boolean {
    return this.current !== null;
  }

  /** Feeds one event; returns the finished transaction at its commit. */
  push(event: DecodeEvent): Transaction | null {
    switch (event.kind) {
      case 'begin':
        if (this.current) throw new PgoutputDecodeError('BEGIN inside an open transaction');
        this.current = { xid: event.xid, commitLsn: event.commitLsn, commitTs: event.commitTs, changes: [] };
        return null;
      case 'change':
        if (!this.current) throw new PgoutputDecodeError('change outside a transaction');
        this.current.changes.push(event.change);
        return null;
      case 'commit': {
        const tx = this.current;
        if (!tx) throw new PgoutputDecodeError('COMMIT without BEGIN');
        this.current = null;
        tx.commitTs = event.commitTs;
        return tx;
      }
      default:
        return null;
    }
  }

  reset(): void {
    this.current = null;
  }
}
