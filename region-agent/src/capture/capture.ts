import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { LogicalReplicationService } from 'pg-logical-replication';
import type { AbstractPlugin } from 'pg-logical-replication/dist/output-plugins/abstract.plugin.js';
import pg from 'pg';
import type { Logger } from '../log/index.js';
import type { AgentMetrics } from '../metrics/index.js';
import { LOCAL_TABLES } from '../db/bootstrap-sql.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import { bigIntToLsn, compareLsn, lsnToBigInt } from '../lsn/index.js';
import { ensureStream, manager, sourceStreamConfig, type RetentionSettings } from '../transport/index.js';
import {
  encodeBody,
  HEADERS,
  messageId,
  PUBLICATION,
  slotName,
  sourceStreamName,
  txSubject,
  type Transaction,
} from '../wire/index.js';
import { packMessages, type OutgoingMessage } from './batcher.js';
import { PgoutputDecoder, TransactionAssembler } from './pgoutput-decoder.js';

export interface CaptureOptions {
  region: string;
  epoch: number;
  db: string;
  databaseUrl: string;
  retention: RetentionSettings;
  maxInFlight: number;
  maxBatchTransactions: number;
  maxMessageBytes: number;
}

export interface CaptureStatus {
  slot: string;
  stream: string;
  confirmedLsn: string;
  lastStreamSeq: number;
  capturedTransactions: number;
}

/** Header marking a chunk of a large transaction: "<index>" or "<index>/last". */
export const CHUNK_HEADER = 'Borealis-Chunk';

/** Longest delay between a JetStream acknowledgement and the slot confirmation it allows. */
const FEEDBACK_INTERVAL_MS = 10;

/** Queue length at which capture stops reading the WAL until publishing catches up. */
const MAX_QUEUED_TRANSACTIONS = 20_000;

/**
 * Capture on the primary: reads the slot with pgoutput, publishes transactions to the source
 * stream (packed under load), and confirms the slot only up to what JetStream acknowledged.
 * Any error stops this run; the agent restarts capture, which resumes from the slot and skips
 * what the stream already holds — so no transaction is skipped or duplicated.
 */
export class Capture {
  private service: LogicalReplicationService | null = null;
  private js: JetStreamClient | null = null;
  private queue: Transaction[] = [];
  private inFlight: { promise: Promise<PubAck>; message: OutgoingMessage; done: boolean; ack?: PubAck }[] = [];
  private confirmedLsn = '0/0';
  private lastAckedLsn = '0/0';
  private lastStreamSeq = 0;
  private captured = 0;
  /** Transactions with a commit LSN at or below this are already in the stream. */
  private skipThroughLsn: bigint = -1n;
  private failure: ((err: Error) => void) | null = null;
  private stopped = false;
  private pumpScheduled = false;
  private feedbackTimer: NodeJS.Timeout | null = null;
  private readonly stream: string;
  private readonly subject: string;
  private readonly slot: string;

  constructor(
    private readonly opts: CaptureOptions,
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly metrics: AgentMetrics,
  ) {
    this.stream = sourceStreamName(opts.db, opts.epoch);
    this.subject = txSubject(opts.db, opts.epoch);
    this.slot = slotName(opts.db);
  }

  status(): CaptureStatus {
    return {
      slot: this.slot,
      stream: this.stream,
      confirmedLsn: this.confirmedLsn,
      lastStreamSeq: this.lastStreamSeq,
      capturedTransactions: this.captured,
    };
  }

  /** Runs until stop() or an error (rejects with it). */
  async run(): Promise<void> {
    this.stopped = false;
    this.queue = [];
    this.inFlight = [];
    await this.ensureSlot();
    const jsm = await manager(this.nc);
    await ensureStream(jsm, sourceStreamConfig(this.opts.db, this.opts.region, this.opts.retention, this.opts.epoch));
    this.js = jetstream(this.nc, { timeout: 10_000 });
    await this.readStreamTail(jsm);

    const failed = new Promise<never>((_, reject) => {
      this.failure = reject;
    });
    const service = new LogicalReplicationService(
      {
        connectionString: this.opts.databaseUrl,
        application_name: `${APPLICATION_NAME}-capture`,
        options: SESSION_OPTIONS,
      },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service = service;
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler();
    // Events arrive synchronously in WAL order (flow control off): a keepalive is seen after
    // every transaction sent before it has been queued.
    service.on('data', (_lsn: string, tx: Transaction | null) => {
      if (tx) this.enqueue(tx);
    });
    service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
      // Nothing open, queued or unacknowledged: all WAL up to the keepalive's position is handled,
      // so it may be confirmed (a fast shutdown of PostgreSQL waits for exactly that).
      if (!assembler.open && this.queue.length === 0 && this.inFlight.length === 0 && compareLsn(lsn, this.confirmedLsn) > 0) {
        this.confirmedLsn = lsn;
      }
      if (shouldRespond) this.sendFeedback();
    });
    service.on('error', (err: Error) => this.fail(err));
    const plugin = {
      name: 'pgoutput',
      options: {},
      parse: (buf: Buffer): Transaction | null => {
        try {
          const tx = assembler.push(decoder.decode(buf));
          if (!tx) return null;
          const kept = this.filterLocal(tx);
          // Only region-local rows (the write lease, promotion state): nothing to replicate.
          return kept.changes.length === 0 && tx.changes.length > 0 ? null : kept;
        } catch (err) {
          this.fail(err as Error);
          return null;
        }
      },
      start: (client: pg.Client, slot: string, lsn: string) =>
        client.query(
          `START_REPLICATION SLOT "${slot}" LOGICAL ${lsn} (proto_version '1', publication_names '${PUBLICATION}')`,
        ),
    } as unknown as AbstractPlugin;
    this.log.info(
      { slot: this.slot, stream: this.stream, skipThroughLsn: bigIntToLsn(this.skipThroughLsn < 0n ? 0n : this.skipThroughLsn) },
      'capture starting',
    );
    const subscribed = service.subscribe(plugin, this.slot, '0/0').then(
      () => {
        if (!this.stopped) throw new Error('replication stream ended');
      },
      (err: unknown) => {
        if (!this.stopped) throw err;
      },
    );
    try {
      await Promise.race([subscribed, failed]);
    } finally {
      this.failure = null;
      await this.stop();
    }
  }

  /** True when nothing is queued or awaiting its JetStream acknowledgement. */
  get drained(): boolean {
    return this.queue.length === 0 && this.inFlight.length === 0;
  }

  /** Commit LSN of the newest transaction JetStream acknowledged (or idle keepalive position). */
  get confirmed(): string {
    return this.confirmedLsn;
  }

  /** Commit LSN of the newest transaction JetStream acknowledged (never a keepalive position). */
  get lastAcked(): string {
    return this.lastAckedLsn;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const service = this.service;
    this.service = null;
    if (service) await service.stop().catch(() => undefined);
  }

  private fail(err: Error): void {
    this.metrics.errors.inc({ component: 'capture' });
    const f = this.failure;
    this.failure = null;
    f?.(err);
  }

  private async ensureSlot(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, options: SESSION_OPTIONS });
    await client.connect();
    try {
      const found = await client.query<{ plugin: string }>(
        'SELECT plugin FROM pg_replication_slots WHERE slot_name = $1',
        [this.slot],
      );
      if (found.rowCount === 0) {
        await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [this.slot]);
        this.log.info({ slot: this.slot }, 'created logical replication slot');
      } else if (found.rows[0]!.plugin !== 'pgoutput') {
        throw new Error(`slot ${this.slot} exists with plugin ${found.rows[0]!.plugin}; Borealis needs pgoutput`);
      }
    } finally {
      await client.end();
    }
  }

  /** Learns what the stream already holds, so transactions re-read from the slot are not published twice. */
  private async readStreamTail(jsm: Awaited<ReturnType<typeof manager>>): Promise<void> {
    const info = await jsm.streams.info(this.stream);
    this.lastStreamSeq = info.state.last_seq;
    this.skipThroughLsn = -1n;
    if (info.state.messages === 0) return;
    const last = await jsm.streams.getMessage(this.stream, { seq: info.state.last_seq });
    if (!last) return;
    const lsn = last.header.get(HEADERS.commitLsn);
    const epoch = Number(last.header.get(HEADERS.epoch));
    if (!lsn || epoch !== this.opts.epoch) return;
    const chunk = last.header.get(CHUNK_HEADER);
    const through = lsnToBigInt(lsn);
    // A large transaction whose last chunk never made it is published again (apply restarts it at chunk 0).
    this.skipThroughLsn = chunk && !chunk.endsWith('/last') ? through - 1n : through;
    this.confirmedLsn = bigIntToLsn(this.skipThroughLsn < 0n ? 0n : this.skipThroughLsn);
  }

  private filterLocal(tx: Transaction): Transaction {
    const changes = tx.changes.filter((c) => !LOCAL_TABLES.has(`${c.schema}.${c.table}`));
    return changes.length === tx.changes.length ? tx : { ...tx, changes };
  }

  private enqueue(tx: Transaction): void {
    if (lsnToBigInt(tx.commitLsn) <= this.skipThroughLsn) return; // already in the stream
    this.queue.push(tx);
    this.schedulePump();
    if (this.queue.length >= MAX_QUEUED_TRANSACTIONS) this.pauseReading(true);
  }

  /**
   * Publishes after the current socket read: every transaction decoded from one read of the
   * replication stream is queued by then, so consecutive commits share a message (DESIGN §3 Batch
   * under load) instead of one JetStream publish each while publishes are in flight.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Back-pressure: stop reading the replication socket while the publish queue is long. */
  private pauseReading(pause: boolean): void {
    const stream = (this.service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } } | null)
      ?._connection?.stream;
    if (pause) stream?.pause();
    else stream?.resume();
  }

  /** Publishes queued transactions while fewer than maxInFlight publishes await their ack. */
  private pump(): void {
    if (this.stopped || !this.js) return;
    const room = this.opts.maxInFlight - this.inFlight.length;
    if (room <= 0 || this.queue.length === 0) return;
    const { messages, consumed } = packMessages(
      this.queue,
      this.opts.epoch,
      this.opts.maxBatchTransactions,
      this.opts.maxMessageBytes,
      room,
    );
    this.queue.splice(0, consumed);
    for (const message of messages) this.publish(message);
    if (this.queue.length < MAX_QUEUED_TRANSACTIONS / 2) this.pauseReading(false);
  }

  private publish(message: OutgoingMessage): void {
    const h = natsHeaders();
    h.set(HEADERS.epoch, String(this.opts.epoch));
    h.set(HEADERS.commitLsn, message.lastLsn);
    h.set(HEADERS.commitTs, String(message.lastCommitTs));
    if (message.chunk) h.set(CHUNK_HEADER, `${message.chunk.index}${message.chunk.last ? '/last' : ''}`);
    const data = encodeBody(message.body);
    const entry: (typeof this.inFlight)[number] = {
      message,
      done: false,
      promise: this.js!.publish(this.subject, data, {
        msgID: messageId(this.opts.epoch, message.lastLsn, message.chunk?.index),
        headers: h,
      }),
    };
    this.inFlight.push(entry);
    this.metrics.replicationBytes.inc({ direction: 'out' }, data.length);
    entry.promise.then(
      (ack) => {
        entry.done = true;
        entry.ack = ack;
        this.completeInOrder();
      },
      (err: unknown) => this.fail(new Error(`publish to ${this.stream} failed: ${(err as Error).message}`, { cause: err })),
    );
  }

  /** Confirms acknowledged messages in publish order and advances the slot. */
  private completeInOrder(): void {
    let advanced = false;
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) {
      const { message, ack } = this.inFlight.shift()!;
      this.lastStreamSeq = Math.max(this.lastStreamSeq, ack!.seq);
      this.metrics.publishedMessages.inc();
      if (message.chunk) this.metrics.publishedChunks.inc();
      if (message.transactions > 0) {
        if (compareLsn(message.lastLsn, this.lastAckedLsn) > 0) this.lastAckedLsn = message.lastLsn;
        this.captured += message.transactions;
        this.metrics.capturedTransactions.inc(message.transactions);
        if (compareLsn(message.lastLsn, this.confirmedLsn) > 0) this.confirmedLsn = message.lastLsn;
        advanced = true;
      }
    }
    if (advanced) this.scheduleFeedback();
    this.pump();
  }

  /**
   * Confirms the slot at most every FEEDBACK_INTERVAL_MS while acknowledgements stream in: one standby
   * status update per acknowledged message was ~9% of the capture agent's CPU (a socket write each) at
   * 1,000 tx/s (docs/benchmarks.md). Confirming later is always safe; keepalives still answer at once.
   */
  private scheduleFeedback(): void {
    if (this.feedbackTimer) return;
    this.feedbackTimer = setTimeout(() => {
      this.feedbackTimer = null;
      if (!this.stopped) this.sendFeedback();
    }, FEEDBACK_INTERVAL_MS);
  }

  /**
   * Standby status update with the exact confirmed position (the library's own acknowledge()
   * reports lsn+1, which a PostgreSQL fast shutdown never sees as "caught up"). After a
   * transaction it is the transaction's commit LSN — at restart PostgreSQL may send that
   * transaction again, and readStreamTail() knows it is already in the stream; when idle it is the
   * keepalive's WAL position.
   */
  private sendFeedback(): void {
    const connection = (this.service as unknown as { _connection?: { sendCopyFromChunk(b: Buffer): void } } | null)
      ?._connection;
    if (!connection) return;
    try {
      connection.sendCopyFromChunk(standbyStatusUpdate(lsnToBigInt(this.confirmedLsn)));
    } catch (err) {
      this.fail(err as Error);
    }
  }
}

/** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/** Pure: a StandbyStatusUpdate ('r') message reporting `lsn` as written, flushed and applied. */
export function standbyStatusUpdate(lsn: bigint, nowMs = Date.now()): Buffer {
  const b = Buffer.alloc(34);
  b.write('r', 0);
  b.writeBigUInt64BE(lsn, 1);
  b.writeBigUInt64BE(lsn, 9);
  b.writeBigUInt64BE(lsn, 17);
  b.writeBigInt64BE(BigInt(nowMs - PG_EPOCH_MS) * 1000n, 25);
  b.writeUInt8(0, 33);
  return b;
}
