import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { CHUNK_HEADER } from '../capture/index.js';
import { findDdlStatement, splitStatements } from '../ddl/index.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import type { Logger } from '../log/index.js';
import { lsnToBigInt } from '../lsn/index.js';
import type { AgentMetrics } from '../metrics/index.js';
import { ensureStream, isNotFound, manager, mirrorStreamConfig, type RetentionSettings } from '../transport/index.js';
import { decodeBody, mirrorStreamName, sourceStreamName, type Change, type Transaction } from '../wire/index.js';
import { DelayWindow } from './delay-window.js';
import { readPosition, writePositionAndCommitSql, WRITE_POSITION_SQL, type ApplyPosition } from './position.js';
import { buildStatements, isInsertOnlyTransaction, isPlainTransaction, mergeTransactions } from './sql.js';
import { catchUpPlan, type EpochEntry } from '../promotion/types.js';

export interface ApplyOptions {
  region: string;
  db: string;
  databaseUrl: string;
  retention: RetentionSettings;
  maxGroupTransactions: number;
  /** Seeds an empty region before the first apply; returns the position to start after. */
  seed: (mirrorLastSeq: number) => Promise<ApplyPosition>;
  /** The epoch this region follows now (default 1) and the epochs before it (promotion; docs/promotion.md). */
  epoch?: () => number;
  history?: () => EpochEntry[];
}

/** Thrown when this region applied past the point where the current epoch forked: it must be re-seeded. */
export class DivergedError extends Error {
  override name = 'DivergedError';
}

/**
 * The position after a group: the stream sequence always advances; within one epoch the commit
 * LSN and time never go back (transactions skipped because the seed snapshot held them are older).
 */
export function nextPosition(pos: ApplyPosition, last: Item): ApplyPosition {
  if (last.epoch === pos.epoch && lsnToBigInt(last.tx.commitLsn) < lsnToBigInt(pos.commitLsn)) {
    return { ...pos, streamSeq: last.seq };
  }
  return { epoch: last.epoch, streamSeq: last.seq, commitLsn: last.tx.commitLsn, commitTs: last.tx.commitTs };
}

/** Thrown when the stream no longer holds the transactions this region needs next: re-seed it. */
export class RetentionGapError extends Error {
  override name = 'RetentionGapError';
}

/** Thrown when a stream message cannot be applied; apply stops and retries, never skips it. */
export class ApplyError extends Error {
  override name = 'ApplyError';
}

export interface Item {
  seq: number;
  epoch: number;
  tx: Transaction;
}

/**
 * Apply on a secondary: reads the local mirror with an ordered consumer from the stored position,
 * applies transactions in commit order — many per PostgreSQL transaction when behind — and
 * stores the position in the same transaction.
 */
export class Apply {
  private client: pg.Client | null = null;
  private messages: ConsumerMessages | null = null;
  private position: ApplyPosition | null = null;
  private applied = 0;
  private pending = 0;
  private stopped = false;
  private partial: { seq: number; epoch: number; tx: Transaction; next: number } | null = null;
  private fullIdentity = new Map<string, boolean>();
  readonly delays = new DelayWindow();
  private mirror: string;
  /** Set when the region applied past the current epoch's fork point (it needs a re-seed). */
  diverged: string | null = null;

  constructor(
    private readonly opts: ApplyOptions,
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly metrics: AgentMetrics,
  ) {
    this.mirror = mirrorStreamName(opts.db, opts.region);
  }

  status() {
    return { stream: this.mirror, position: this.position, applied: this.applied, pending: this.pending };
  }

  lagSeconds(): number | null {
    if (!this.position) return null;
    return Math.max(0, Date.now() / 1000 - this.position.commitTs / 1e6);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  /** The current epoch's position once stopped (what promotion forks from). */
  currentPosition(): ApplyPosition | null {
    return this.position;
  }

  async run(): Promise<void> {
    this.stopped = false;
    this.partial = null;
    const epoch = this.opts.epoch?.() ?? 1;
    this.mirror = mirrorStreamName(this.opts.db, this.opts.region, epoch);
    const jsm = await manager(this.nc);
    await this.waitForSource(jsm, epoch);
    await ensureStream(jsm, mirrorStreamConfig(this.opts.db, this.opts.region, this.opts.retention, epoch));
    if (this.stopped) return; // stopped (e.g. held for a promotion) while JetStream answered slowly

    const client = new pg.Client({
      connectionString: this.opts.databaseUrl,
      application_name: `${APPLICATION_NAME}-apply`,
      // synchronous_commit=off as in PostgreSQL's own subscriptions: changes and apply_position commit
      // together, so a crash loses both and apply resumes from the mirror at the position kept.
      options: `${SESSION_OPTIONS} -c session_replication_role=replica -c synchronous_commit=off`,
    });
    await client.connect();
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    client.on('error', (err) => this.log.warn({ err }, 'apply connection error'));

    // Seeding starts after the source's last sequence read before the snapshot: everything the
    // snapshot lacks is published after it (the mirror keeps the source's sequence numbers).
    this.position =
      (await readPosition(client)) ??
      (await this.opts.seed((await jsm.streams.info(sourceStreamName(this.opts.db, epoch))).state.last_seq));
    if (this.stopped) return; // held (promotion) while seeding
    if (this.position.epoch < epoch) await this.catchUp(jsm, client, epoch);
    if (this.position.epoch > epoch) {
      throw new DivergedError(`applied epoch ${this.position.epoch} is newer than the epoch ${epoch} this region follows`);
    }
    const startSeq = this.position.streamSeq + 1;
    const first = (await jsm.streams.info(this.mirror)).state.first_seq;
    if (first > startSeq && (await jsm.streams.info(this.mirror)).state.messages > 0) {
      throw new RetentionGapError(
        `region ${this.opts.region} fell behind retention: it needs stream sequence ${startSeq} but the mirror starts at ${first}; it is re-seeded from the primary`,
      );
    }
    this.log.info({ stream: this.mirror, startSeq, position: this.position }, 'apply starting');

    const js = jetstream(this.nc);
    const consumer = await js.consumers.get(this.mirror, { opt_start_seq: startSeq });
    const messages = await consumer.consume({ max_messages: 2_000 });
    this.messages = messages;

    const buffer: Item[] = [];
    const signal: { wake: (() => void) | null } = { wake: null };
    let readerError: unknown = null;
    let readerDone = false;
    const reader = (async () => {
      try {
        for await (const m of messages) {
          this.metrics.replicationBytes.inc({ direction: 'in' }, m.data.length);
          this.pending = m.info.pending;
          const items = this.itemsOf(m);
          for (const it of items) buffer.push(it);
          if (items.length > 0) signal.wake?.();
          while (buffer.length > 20_000 && !this.stopped) await new Promise((r) => setTimeout(r, 5));
        }
      } catch (err) {
        readerError = err;
      } finally {
        readerDone = true;
        signal.wake?.();
      }
    })();

    try {
      while (!this.stopped) {
        if (readerError) throw readerError instanceof Error ? readerError : new ApplyError('the mirror consumer failed', { cause: readerError });
        if (buffer.length === 0) {
          if (readerDone) break;
          await new Promise<void>((r) => (signal.wake = r));
          signal.wake = null;
          continue;
        }
        const group = buffer.splice(0, this.opts.maxGroupTransactions);
        await this.applyGroup(client, group);
      }
      if (!this.stopped) throw new ApplyError('the mirror consumer ended');
    } finally {
      messages.stop();
      await reader;
    }
  }

  /**
   * Moves an applied position of an earlier epoch to the current one: applies the earlier epoch's
   * transactions up to exactly the fork point of the next epoch (read from the promoted region's mirror of
   * it, across gateways), then starts the next epoch at sequence 0.
   */
  private async catchUp(jsm: Awaited<ReturnType<typeof manager>>, client: pg.Client, epoch: number): Promise<void> {
    const plan = catchUpPlan(this.opts.history?.() ?? [], this.position!, epoch);
    if (!plan.ok) {
      this.diverged = plan.reason;
      throw new DivergedError(`region ${this.opts.region}: ${plan.reason}`);
    }
    for (const step of plan.steps) {
      if (step.throughSeq > step.afterSeq) {
        this.log.info(step, 'applying the rest of the previous epoch up to the fork point');
        await jsm.streams.info(step.stream);
        const js = jetstream(this.nc);
        const consumer = await js.consumers.get(step.stream, { opt_start_seq: step.afterSeq + 1 });
        const iter = await consumer.consume({ max_messages: 1_000 });
        try {
          let group: Item[] = [];
          for await (const m of iter) {
            if (this.stopped) throw new ApplyError('stopped during catch-up');
            if (m.seq > step.throughSeq) break;
            group.push(...this.itemsOf(m));
            if (m.seq === step.throughSeq || group.length >= this.opts.maxGroupTransactions || m.info.pending === 0) {
              if (group.length > 0) await this.applyGroup(client, group);
              group = [];
              if (m.seq === step.throughSeq) break;
            }
          }
        } finally {
          iter.stop();
        }
        if (this.position!.epoch !== step.fromEpoch || this.position!.streamSeq !== step.throughSeq) {
          throw new ApplyError(
            `catch-up of epoch ${step.fromEpoch} from ${step.stream} ended at sequence ${this.position!.streamSeq}, fork is ${step.throughSeq}`,
          );
        }
      }
      const next: ApplyPosition = { epoch: step.toEpoch, streamSeq: 0, commitLsn: '0/0', commitTs: this.position!.commitTs };
      await client.query(WRITE_POSITION_SQL, [next.epoch, next.streamSeq, next.commitLsn, next.commitTs]);
      this.position = next;
      this.log.info({ position: next }, 'now following the next epoch');
    }
  }

  private async waitForSource(jsm: Awaited<ReturnType<typeof manager>>, epoch: number): Promise<void> {
    const source = sourceStreamName(this.opts.db, epoch);
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await jsm.streams.info(source);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (attempt % 20 === 0) this.log.info({ source }, 'waiting for the primary to create the source stream');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Decodes a stream message into complete transactions (joining chunks of a large one). */
  private itemsOf(m: JsMsg): Item[] {
    const body = decodeBody(m.data);
    const chunk = m.headers?.get(CHUNK_HEADER);
    if (!chunk) return body.txs.map((tx) => ({ seq: m.seq, epoch: body.epoch, tx }));
    const index = Number.parseInt(chunk, 10);
    const part = body.txs[0];
    if (!part) throw new ApplyError(`chunk message ${m.seq} holds no transaction`);
    if (index === 0) {
      // A chunk sequence starts (again, if capture re-published an interrupted one).
      this.partial = { seq: m.seq, epoch: body.epoch, tx: { ...part, changes: [...part.changes] }, next: 1 };
    } else {
      const p = this.partial;
      if (!p || p.tx.commitLsn !== part.commitLsn || p.next !== index) {
        throw new ApplyError(`chunk ${index} of transaction ${part.commitLsn} at stream sequence ${m.seq} arrived out of order`);
      }
      p.tx.changes.push(...part.changes);
      p.next++;
      p.seq = m.seq;
    }
    if (!chunk.endsWith('/last')) return [];
    const done = this.partial!;
    this.partial = null;
    return [{ seq: m.seq, epoch: done.epoch, tx: done.tx }];
  }

  private async applyGroup(client: pg.Client, group: Item[]): Promise<void> {
    if (await this.applyInsertOnlyGroup(client, group)) return;
    const pos = this.position!;
    let last: Item | null = null;
    let next: ApplyPosition = pos;
    let applied = 0;
    let heartbeats = 0;
    let ddl = 0;
    await client.query('BEGIN');
    try {
      // Runs of plain transactions are applied as one change list (multi-row inserts across them).
      const plain: Transaction[] = [];
      const flushPlain = async () => {
        if (plain.length === 0) return;
        await this.applyTransaction(client, mergeTransactions(plain));
        plain.length = 0;
      };
      for (const item of group) {
        last = item;
        // Already applied (e.g. the stream holds transactions that were in the seed snapshot).
        if (item.epoch === pos.epoch && lsnToBigInt(item.tx.commitLsn) <= lsnToBigInt(pos.commitLsn)) continue;
        applied++;
        if (isPlainTransaction(item.tx)) {
          plain.push(item.tx);
          continue;
        }
        await flushPlain();
        const r = await this.applyTransaction(client, item.tx);
        heartbeats += r.heartbeats;
        ddl += r.ddl;
      }
      await flushPlain();
      next = nextPosition(pos, last!);
      await client.query(writePositionAndCommitSql(next));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.metrics.errors.inc({ component: 'apply' });
      throw err;
    }
    const now = Date.now();
    this.position = next;
    this.applied += applied;
    this.metrics.appliedTransactions.inc(applied);
    this.metrics.applyGroupSize.observe(group.length);
    if (heartbeats > 0) this.metrics.heartbeats.inc({ kind: 'applied' }, heartbeats);
    if (ddl > 0) this.metrics.ddlApplied.inc(ddl);
    for (const item of group) {
      const delay = Math.max(0, now / 1000 - item.tx.commitTs / 1e6);
      this.metrics.applyDelay.observe(delay);
      this.delays.add(delay, now);
    }
  }

  /**
   * Fast path for a group whose transactions only insert rows into user tables (no heartbeat, DDL,
   * update or delete — nothing whose row count must be checked before COMMIT): BEGIN, the merged
   * multi-row INSERTs with literal values, the position write and COMMIT go as one simple-protocol
   * query — one round trip per group instead of 3+. Returns false (nothing done) for any other group.
   */
  private async applyInsertOnlyGroup(client: pg.Client, group: Item[]): Promise<boolean> {
    const pos = this.position!;
    const todo: Transaction[] = [];
    for (const item of group) {
      if (item.epoch === pos.epoch && lsnToBigInt(item.tx.commitLsn) <= lsnToBigInt(pos.commitLsn)) continue;
      if (!isInsertOnlyTransaction(item.tx)) return false;
      todo.push(item.tx);
    }
    const next = nextPosition(pos, group[group.length - 1]!);
    const statements =
      todo.length === 0 ? [] : buildStatements(mergeTransactions(todo).changes, () => false, (v) => client.escapeLiteral(v));
    const text = ['BEGIN', ...statements.map((s) => s.text), writePositionAndCommitSql(next)].join(';\n');
    try {
      await client.query(text);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.metrics.errors.inc({ component: 'apply' });
      const first = todo[0];
      throw new ApplyError(
        `applying ${todo.length} transaction(s) from ${first?.xid} (commit ${first?.commitLsn}) failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const now = Date.now();
    this.position = next;
    this.applied += todo.length;
    this.metrics.appliedTransactions.inc(todo.length);
    this.metrics.applyGroupSize.observe(group.length);
    for (const item of group) {
      const delay = Math.max(0, now / 1000 - item.tx.commitTs / 1e6);
      this.metrics.applyDelay.observe(delay);
      this.delays.add(delay, now);
    }
    return true;
  }

  private async applyTransaction(client: pg.Client, tx: Transaction): Promise<{ heartbeats: number; ddl: number }> {
    let heartbeats = 0;
    let ddl = 0;
    // Per logged query string: the statements and how far the DDL events have consumed them.
    const cursors = new Map<string, { statements: string[]; next: number }>();
    // Apply runs of ordinary changes together (multi-row inserts); borealis.* rows one by one.
    let run: Change[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      await this.loadIdentity(client, run);
      for (const s of buildStatements(run, (schema, table) => this.fullIdentity.get(`${schema}.${table}`) ?? false)) {
        const rows = await this.exec(client, s.text, s.values, tx);
        if (s.expectRows !== undefined && rows !== s.expectRows) {
          this.metrics.unsupportedChanges.inc({ reason: 'row_not_found' });
          throw new ApplyError(
            `applying transaction ${tx.xid} (commit ${tx.commitLsn}): expected ${s.expectRows} row(s), found ${rows} — this region has diverged; statement: ${s.text.slice(0, 300)}`,
          );
        }
      }
      run = [];
    };
    for (const change of tx.changes) {
      const rel = `${change.schema}.${change.table}`;
      if (rel === 'borealis.ddl_log' && change.op === 'I') {
        await flush();
        await this.applyDdl(client, change, tx, cursors);
        ddl++;
        run.push(change);
        continue;
      }
      run.push(change);
      if (rel === 'borealis.heartbeat' && (change.op === 'I' || change.op === 'U')) {
        await flush();
        const seqs = change.new?.sequences;
        if (seqs) await this.exec(client, 'SELECT borealis.sync_sequences($1::jsonb)', [seqs], tx);
        heartbeats++;
      }
    }
    await flush();
    return { heartbeats, ddl };
  }

  private async applyDdl(
    client: pg.Client,
    change: Change,
    tx: Transaction,
    cursors: Map<string, { statements: string[]; next: number }>,
  ): Promise<void> {
    const query = change.new?.query ?? '';
    const searchPath = change.new?.search_path ?? 'public';
    const tag = /^\{"?([^",}]+)"?/.exec(change.new?.command_tags ?? '')?.[1] ?? '';
    let cursor = cursors.get(query);
    if (!cursor) {
      cursor = { statements: splitStatements(query), next: 0 };
      cursors.set(query, cursor);
    }
    const found = findDdlStatement(cursor.statements, tag, cursor.next);
    if (!found) {
      this.metrics.unsupportedChanges.inc({ reason: 'ddl_not_found' });
      throw new ApplyError(
        `transaction ${tx.xid} (commit ${tx.commitLsn}) logged a ${tag} that cannot be found in its query string: ${query.slice(0, 300)}`,
      );
    }
    cursor.next = found.index + 1;
    await client.query(`SELECT set_config('search_path', $1, true)`, [searchPath]);
    await this.exec(client, found.sql, [], tx);
    await client.query(`SELECT set_config('search_path', 'pg_catalog, public', true)`);
    await client.query('SELECT borealis.ensure_replica_identity_all()');
    this.fullIdentity.clear();
    this.log.info({ commitLsn: tx.commitLsn, tag }, 'applied DDL');
  }

  /** Learns, per table, whether rows are matched by a key or by every column (no primary key). */
  private async loadIdentity(client: pg.Client, changes: Change[]): Promise<void> {
    for (const c of changes) {
      if (c.op !== 'U' && c.op !== 'D') continue;
      const rel = `${c.schema}.${c.table}`;
      if (this.fullIdentity.has(rel)) continue;
      const r = await client.query<{ keyed: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class cl ON cl.oid = i.indrelid
                          JOIN pg_namespace n ON n.oid = cl.relnamespace
                         WHERE n.nspname = $1 AND cl.relname = $2 AND (i.indisprimary OR i.indisreplident)) AS keyed`,
        [c.schema, c.table],
      );
      this.fullIdentity.set(rel, !r.rows[0]?.keyed);
    }
  }

  private async exec(client: pg.Client, text: string, values: unknown[], tx: Transaction): Promise<number | null> {
    try {
      return (await client.query(text, values)).rowCount;
    } catch (err) {
      throw new ApplyError(
        `applying transaction ${tx.xid} (commit ${tx.commitLsn}) failed: ${(err as Error).message} — statement: ${text.slice(0, 300)}`,
        { cause: err },
      );
    }
  }
}
