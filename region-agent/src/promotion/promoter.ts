import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import type { Apply, ApplyPosition } from '../apply/index.js';
import { readPosition, WRITE_POSITION_SQL } from '../apply/index.js';
import type { Capture } from '../capture/index.js';
import type { AgentConfig } from '../config/index.js';
import { bootstrapDatabase } from '../db/index.js';
import { HEARTBEAT_SQL } from '../db/bootstrap-sql.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import type { Logger } from '../log/index.js';
import { compareLsn } from '../lsn/index.js';
import { manager } from '../transport/index.js';
import { decodeBody, mirrorStreamName, slotName, sourceStreamName } from '../wire/index.js';
import type { EpochStore } from './epoch-store.js';
import {
  EXPIRE_LEASE_SQL,
  readOnlySql,
  RECORD_LOST_SQL,
  SAVE_STATE_SQL,
  TERMINATE_CLIENTS_SQL,
  RENEW_LEASE_SQL,
} from './sql.js';
import { nextEpochAfter, type EpochEntry, type EpochFork } from './types.js';

/** A promotion step that cannot be done (wrong role or epoch, a timeout); HTTP 409 with the message. */
export class PromotionError extends Error {
  override name = 'PromotionError';
  constructor(
    message: string,
    readonly status = 409,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the promoter needs of the agent (region-agent/src/agent/agent.ts). */
export interface RoleHost {
  readonly config: AgentConfig;
  log: Logger;
  history: EpochEntry[];
  readonly store: EpochStore | null;
  nats(): NatsConnection;
  currentCapture(): Capture | null;
  currentApply(): Apply | null;
  /** Starts capture (primary) or apply (secondary) for config.role/config.epoch. */
  startRole(): Promise<void>;
  /** Stops whatever role loop runs (lease, heartbeat, capture, apply); resolves when it stopped. */
  stopRole(): Promise<void>;
  /** Stops the lease renewals and heartbeats of a primary, leaving capture running (fence). */
  stopLeaseAndHeartbeat(): Promise<void>;
  setMessage(ready: boolean, message: string): void;
  /** True while a secondary's apply is held by stop-apply (promotion in progress). */
  applyHeld: boolean;
  fenced: FenceResult | null;
}

export interface FenceResult {
  epoch: number;
  /** The fenced primary's stream: its last acknowledged message and that message's commit LSN. */
  stream: string;
  finalSeq: number;
  finalLsn: string;
  terminatedSessions: number;
  ms: number;
}

export interface LostTransaction {
  xid: number;
  commitLsn: string;
  commitTs: number;
  changes: unknown[];
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({
    connectionString: url,
    application_name: `${APPLICATION_NAME}-promotion`,
    options: SESSION_OPTIONS,
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent's side of the promotion protocol (docs/promotion.md), behind POST /admin/*. */
export class Promoter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: RoleHost) {}

  /** Admin calls run one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get c(): AgentConfig {
    return this.host.config;
  }

  async saveState(client: pg.ClientBase): Promise<void> {
    const c = this.c;
    await client.query(SAVE_STATE_SQL, [
      c.epoch,
      c.role,
      c.primaryRegion,
      JSON.stringify(this.host.history),
    ]);
  }

  private setEpoch(
    epoch: number,
    role: 'primary' | 'secondary',
    primary: string,
    history: EpochEntry[] | undefined,
  ): void {
    const c = this.c;
    if (history && history.length > 0) this.host.history = history;
    c.epoch = epoch;
    c.role = role;
    c.primaryRegion = primary;
    this.host.log = this.host.log.child({ epoch });
  }

  /** Marks this primary fenced before its final position is known (finalSeq -1): an interrupted fence can be undone. */
  private markFenced(): void {
    const c = this.c;
    this.host.fenced = {
      epoch: c.epoch,
      stream: sourceStreamName(c.database.name, c.epoch),
      finalSeq: -1,
      finalLsn: '0/0',
      terminatedSessions: 0,
      ms: 0,
    };
  }

  /**
   * Deletes the streams (source and every region's mirror) of the epochs below `below` — those every region has
   * applied past and that hold no fork anyone still needs (the caller, the promotion authority, decides). JetStream
   * reserves each stream's max_bytes, so streams of past epochs otherwise exhaust the servers' storage.
   */
  async dropEpochStreams(req: {
    below: number;
    regions: string[];
  }): Promise<{ deleted: string[] }> {
    const c = this.c;
    if (!Number.isInteger(req.below) || req.below < 2 || req.below > c.epoch)
      throw new PromotionError(
        `below must be an integer from 2 to this region's epoch ${c.epoch}`,
        400,
      );
    if (!Array.isArray(req.regions) || req.regions.some((r) => typeof r !== 'string'))
      throw new PromotionError('regions must be the list of region names', 400);
    const jsm = await manager(this.host.nats());
    const deleted: string[] = [];
    for (let e = 1; e < req.below; e++) {
      for (const name of [
        sourceStreamName(c.database.name, e),
        ...req.regions.map((r) => mirrorStreamName(c.database.name, r, e)),
      ]) {
        if (await jsm.streams.delete(name).catch(() => false)) deleted.push(name);
      }
    }
    if (deleted.length)
      this.host.log.info({ deleted, below: req.below }, 'deleted the streams of past epochs');
    return { deleted };
  }

  /**
   * The write lease pushed by a promotion authority without an epoch store (the operator on Kubernetes,
   * control.leaseFrom = "admin"): extends borealis.lease to validUntilMs when this region is the primary
   * of `epoch` and not fenced. Not serialised with the other operations on purpose: a renewal must never wait
   * behind a long rejoin; it checks role, epoch and fence itself.
   */
  async renewLease(req: { epoch: number; validUntilMs: number }): Promise<{ validUntil: string }> {
    const c = this.c;
    if (c.control.leaseFrom !== 'admin')
      throw new PromotionError(
        `region ${c.region} does not take its lease from the admin API (control.leaseFrom is "${c.control.leaseFrom}")`,
        409,
      );
    if (c.role !== 'primary' || c.epoch !== req.epoch)
      throw new PromotionError(
        `region ${c.region} is ${c.role} in epoch ${c.epoch}, not primary of epoch ${req.epoch}`,
        409,
      );
    if (this.host.fenced) throw new PromotionError(`region ${c.region} is fenced`, 409);
    if (!Number.isFinite(req.validUntilMs))
      throw new PromotionError('validUntilMs must be a time in ms since the Unix epoch', 400);
    // Absolute, on the authority's clock (sent time + lease): a renewal delivered late (a frozen region resuming)
    // cannot extend the lease past what the authority granted when it sent it.
    await withClient(c.database.url, (db) =>
      db.query(RENEW_LEASE_SQL, [req.epoch, req.validUntilMs]),
    );
    return { validUntil: new Date(req.validUntilMs).toISOString() };
  }

  /**
   * Fencing of the primary in a planned switchover: the write lease ends (every open client transaction fails
   * at COMMIT), the database turns read-only, client sessions are terminated; a marker commit then flows
   * through capture, and once JetStream acknowledged it every earlier commit is in the stream: its sequence
   * is the final position the target must apply.
   */
  fence(req: { epoch: number; timeoutMs?: number }): Promise<FenceResult> {
    return this.serial(async () => {
      const c = this.c;
      if (
        this.host.fenced &&
        this.host.fenced.epoch === req.epoch &&
        this.host.fenced.finalSeq >= 0
      )
        return this.host.fenced;
      if (c.role !== 'primary')
        throw new PromotionError(`region ${c.region} is not the primary (role ${c.role})`);
      if (req.epoch !== c.epoch)
        throw new PromotionError(
          `fence of epoch ${req.epoch} asked, region ${c.region} is in epoch ${c.epoch}`,
        );
      const capture = this.host.currentCapture();
      if (!capture) throw new PromotionError(`region ${c.region} runs no capture`, 503);
      const t0 = Date.now();
      this.host.setMessage(false, `fencing epoch ${c.epoch}`);
      // No renewal may revive the lease and no heartbeat may commit after the marker. Marked fenced at once,
      // so that an interrupted fence can still be undone (unfence).
      this.markFenced();
      await this.host.stopLeaseAndHeartbeat();
      const before = await withClient(c.database.url, async (db) => {
        await db.query(EXPIRE_LEASE_SQL, [c.epoch]);
        await db.query(readOnlySql(c.database.name, true));
        const t = await db.query<{ terminated: number }>(TERMINATE_CLIENTS_SQL);
        const lsn = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        // The marker: a heartbeat commit after every client commit.
        await db.query(HEARTBEAT_SQL, [c.region, c.epoch]);
        return { lsn: lsn.rows[0]!.lsn, terminated: t.rows[0]!.terminated };
      });
      const deadline = Date.now() + (req.timeoutMs ?? 15_000);
      // The marker's own acknowledgement (a keepalive position past `before` proves nothing: it may run
      // ahead of what was decoded).
      while (!(capture.drained && compareLsn(capture.lastAcked, before.lsn) > 0)) {
        if (Date.now() > deadline) {
          throw new PromotionError(
            `fence of ${c.region}: capture did not publish the final commit in time (acknowledged ${capture.lastAcked}, need > ${before.lsn})`,
            504,
          );
        }
        await sleep(5);
      }
      const st = capture.status();
      const result: FenceResult = {
        epoch: c.epoch,
        stream: st.stream,
        finalSeq: st.lastStreamSeq,
        finalLsn: capture.lastAcked,
        terminatedSessions: before.terminated,
        ms: 0,
      };
      await this.host.stopRole();
      result.ms = Date.now() - t0;
      this.host.fenced = result;
      this.host.setMessage(
        true,
        `fenced at stream sequence ${result.finalSeq} (${result.finalLsn}); waiting to rejoin`,
      );
      this.host.log.info(result, 'fenced');
      return result;
    });
  }

  /** Fences this primary after the store named a newer epoch (no drain: the new primary does not wait for it). */
  fenceSelf(reason: string): Promise<void> {
    return this.serial(async () => {
      const c = this.c;
      if (c.role !== 'primary' || this.host.fenced) return;
      this.host.log.warn({ reason }, 'superseded: fencing myself');
      this.markFenced();
      await this.host.stopRole();
      await withClient(c.database.url, async (db) => {
        await db.query(EXPIRE_LEASE_SQL, [c.epoch]);
        await db.query(readOnlySql(c.database.name, true));
        const t = await db.query<{ terminated: number }>(TERMINATE_CLIENTS_SQL);
        this.host.fenced!.terminatedSessions = t.rows[0]!.terminated;
      });
      this.host.setMessage(true, `fenced: ${reason}; waiting to rejoin`);
    });
  }

  /** Undoes a fence whose switchover did not happen (the store still names this region primary of its epoch). */
  unfence(req: { epoch: number }): Promise<{ ok: boolean }> {
    return this.serial(async () => {
      const c = this.c;
      if (!this.host.fenced || c.role !== 'primary' || c.epoch !== req.epoch) return { ok: false };
      if (this.host.store) {
        const cur = await this.host.store.read();
        if (!cur || cur.record.epoch !== c.epoch || cur.record.primary !== c.region) {
          throw new PromotionError(
            `the epoch store moved on (epoch ${cur?.record.epoch}); this region stays fenced`,
          );
        }
      }
      await this.host.stopRole();
      await withClient(c.database.url, (db) => db.query(readOnlySql(c.database.name, false)));
      this.host.fenced = null;
      await this.host.startRole();
      this.host.log.warn('unfenced: the switchover did not happen');
      return { ok: true };
    });
  }

  /** Stops apply on a secondary and reports its applied position (promotion decides from these). */
  stopApply(): Promise<{
    position: ApplyPosition | null;
    mirror: string;
    mirrorLastSeq: number | null;
  }> {
    return this.serial(async () => {
      const c = this.c;
      if (c.role !== 'secondary') throw new PromotionError(`region ${c.region} is not a secondary`);
      this.host.applyHeld = true;
      await this.host.stopRole();
      const position = await withClient(c.database.url, (db) => readPosition(db));
      const mirror = mirrorStreamName(c.database.name, c.region, c.epoch);
      let mirrorLastSeq: number | null = null;
      try {
        // Informational only: never let an unavailable JetStream API (a partition) delay the decision.
        // (jetstreamManager() itself makes a JetStream API request: it is inside the race too.)
        const info = manager(this.host.nats()).then((jsm) => jsm.streams.info(mirror));
        info.catch(() => undefined);
        const r = await Promise.race([
          info,
          new Promise<null>((res) => setTimeout(() => res(null), 300)),
        ]);
        mirrorLastSeq = r ? r.state.last_seq : null;
      } catch {
        mirrorLastSeq = null;
      }
      this.host.setMessage(
        true,
        `apply held at ${position ? `${position.epoch}/${position.streamSeq}` : 'nothing'} (promotion)`,
      );
      return { position, mirror, mirrorLastSeq };
    });
  }

  /** Resumes a held apply (the promotion went elsewhere or was refused). */
  resumeApply(): Promise<void> {
    return this.serial(async () => {
      if (this.c.role !== 'secondary' || !this.host.applyHeld) return;
      this.host.applyHeld = false;
      await this.host.startRole();
    });
  }

  /**
   * Promotes this secondary to primary of `epoch` (already written to the epoch store): its apply must be
   * held exactly at the fork; sequences move past every replicated value; a new slot is created before the
   * database takes writes; capture then publishes to the new epoch's stream.
   */
  promote(req: {
    epoch: number;
    primary: string;
    fork: EpochFork;
    history: EpochEntry[];
  }): Promise<{ ms: number; sequencesAdvanced: number }> {
    return this.serial(async () => {
      const c = this.c;
      const t0 = Date.now();
      if (req.primary !== c.region)
        throw new PromotionError(`promote names ${req.primary}, this is ${c.region}`);
      if (c.role === 'primary' && c.epoch === req.epoch) return { ms: 0, sequencesAdvanced: 0 };
      if (c.role !== 'secondary')
        throw new PromotionError(`region ${c.region} is ${c.role} in epoch ${c.epoch}`);
      if (req.epoch <= c.epoch)
        throw new PromotionError(`epoch ${req.epoch} is not newer than ${c.epoch}`);
      if (this.host.store) {
        // A fault may have taken the KV leader (or this agent's control connection) with it: retry a while.
        const deadline = Date.now() + 20_000;
        let cur: Awaited<ReturnType<EpochStore['read']>> = null;
        for (;;) {
          try {
            cur = await this.host.store.read();
            break;
          } catch (err) {
            if (Date.now() > deadline)
              throw new PromotionError(
                `cannot read the epoch store: ${(err as Error).message}`,
                503,
                { cause: err },
              );
            await sleep(200);
          }
        }
        if (!cur || cur.record.epoch !== req.epoch || cur.record.primary !== c.region) {
          throw new PromotionError(
            `the epoch store does not name ${c.region} primary of epoch ${req.epoch}`,
          );
        }
      }
      this.host.applyHeld = true;
      await this.host.stopRole();
      const pos = await withClient(c.database.url, (db) => readPosition(db));
      if (!pos || pos.epoch !== req.fork.epoch || pos.streamSeq !== req.fork.seq) {
        throw new PromotionError(
          `region ${c.region} applied ${pos ? `${pos.epoch}/${pos.streamSeq}` : 'nothing'}, the fork is ${req.fork.epoch}/${req.fork.seq}`,
        );
      }
      const slot = slotName(c.database.name);
      const advanced = await withClient(c.database.url, async (db) => {
        const r = await db.query<{ n: number }>('SELECT borealis.advance_sequences() AS n');
        await db.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
        await db.query('SET session_replication_role = replica');
        await db.query('SELECT borealis.ensure_lease_triggers_all()');
        await db.query('RESET session_replication_role');
        this.setEpoch(req.epoch, 'primary', c.region, req.history);
        await this.saveState(db);
        await db.query(readOnlySql(c.database.name, false));
        return r.rows[0]!.n;
      });
      this.host.applyHeld = false;
      this.host.fenced = null;
      await this.host.startRole();
      const ms = Date.now() - t0;
      this.host.log.info({ ms, sequencesAdvanced: advanced, fork: req.fork }, 'promoted');
      return { ms, sequencesAdvanced: advanced };
    });
  }

  /** A secondary follows a new epoch (another region was promoted): apply moves to it through the fork. */
  follow(req: {
    epoch: number;
    primary: string;
    history: EpochEntry[];
    seedUrl?: string;
  }): Promise<{ restarted: boolean }> {
    return this.serial(async () => {
      const c = this.c;
      if (c.role !== 'secondary')
        throw new PromotionError(`region ${c.region} is ${c.role}; use rejoin`);
      if (req.seedUrl) c.seed.sourceUrl = req.seedUrl;
      if (req.epoch < c.epoch)
        throw new PromotionError(`epoch ${req.epoch} is older than ${c.epoch}`);
      if (req.epoch === c.epoch && !this.host.applyHeld && !this.host.currentApply()?.diverged)
        return { restarted: false };
      await this.host.stopRole();
      this.setEpoch(req.epoch, 'secondary', req.primary, req.history);
      await withClient(c.database.url, (db) => this.saveState(db));
      this.host.applyHeld = false;
      await this.host.startRole();
      return { restarted: true };
    });
  }

  /**
   * The fenced old primary becomes a secondary of the new one. `clean` (planned switchover: it holds exactly
   * the fork) starts apply at its own final position; `reseed` (after a failover) first records every
   * transaction of its old stream past the fork into borealis.lost_transactions, then drops and re-seeds
   * its database from the new primary.
   */
  rejoin(req: {
    mode: 'clean' | 'reseed';
    epoch: number;
    primary: string;
    history: EpochEntry[];
    seedUrl?: string;
    /** Re-seed even a secondary of the current epoch (it diverged). */
    force?: boolean;
    /** Re-seed even when the old stream cannot be read (its losses then stay unrecorded). */
    allowUnknownLoss?: boolean;
  }): Promise<{ mode: string; lost: LostTransaction[]; lostUnknown: string | null; ms: number }> {
    return this.serial(async () => {
      const c = this.c;
      const t0 = Date.now();
      if (req.epoch <= c.epoch && c.role === 'secondary' && !req.force)
        return { mode: 'none', lost: [], lostUnknown: null, ms: 0 };
      const oldEpoch = c.epoch;
      const wasPrimary = c.role === 'primary';
      const next = nextEpochAfter(req.history, oldEpoch);
      if (!next?.fork && wasPrimary)
        throw new PromotionError(`no epoch forked from epoch ${oldEpoch} in the history given`);
      if (req.seedUrl) c.seed.sourceUrl = req.seedUrl;
      await this.host.stopRole();
      await withClient(c.database.url, async (db) => {
        await db.query(EXPIRE_LEASE_SQL, [oldEpoch]);
        await db.query(readOnlySql(c.database.name, true));
        await db.query(TERMINATE_CLIENTS_SQL);
      });
      const slot = slotName(c.database.name);
      if (req.mode === 'clean') {
        const f = this.host.fenced;
        if (
          !wasPrimary ||
          !f ||
          !next?.fork ||
          f.epoch !== oldEpoch ||
          f.finalSeq !== next.fork.seq
        ) {
          throw new PromotionError(
            `clean rejoin needs this region fenced at the fork (fenced ${f ? `${f.epoch}/${f.finalSeq}` : 'no'}, fork ${next?.fork ? `${next.fork.epoch}/${next.fork.seq}` : 'none'}); use reseed`,
          );
        }
        await withClient(c.database.url, async (db) => {
          await db.query('BEGIN');
          await db.query(WRITE_POSITION_SQL, [oldEpoch, f.finalSeq, f.finalLsn, Date.now() * 1000]);
          this.setEpoch(req.epoch, 'secondary', req.primary, req.history);
          await this.saveState(db);
          await db.query('COMMIT');
          await db.query(
            'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
            [slot],
          );
        });
        this.host.fenced = null;
        this.host.applyHeld = false;
        await this.host.startRole();
        return { mode: 'clean', lost: [], lostUnknown: null, ms: Date.now() - t0 };
      }
      // reseed: what this region has past the fork is lost — record it first.
      let lost: LostTransaction[] = [];
      let lostUnknown: string | null = null;
      if (wasPrimary) {
        try {
          lost = await this.readLost(sourceStreamName(c.database.name, oldEpoch), next!.fork!.seq);
        } catch (err) {
          lostUnknown = `could not read ${sourceStreamName(c.database.name, oldEpoch)}: ${(err as Error).message}`;
        }
        const unpublished = await this.unpublished(slot).catch((err: unknown) => {
          lostUnknown =
            `${lostUnknown ?? ''} could not read slot ${slot}: ${(err as Error).message}`.trim();
          return [] as LostTransaction[];
        });
        const seen = new Set(lost.map((t) => t.commitLsn));
        // Only what the new epoch does not hold: every commit of this region up to the fork's is in it (the
        // slot may still hold published transactions its lagging confirmation did not release).
        const forkLsn = next!.fork!.commitLsn;
        lost = [...lost, ...unpublished.filter((t) => !seen.has(t.commitLsn))].filter(
          (t) => compareLsn(t.commitLsn, forkLsn) > 0,
        );
        if (lostUnknown && !req.allowUnknownLoss) {
          // Nothing destroyed yet: the coordinator tries again (the region's NATS may still be rejoining).
          throw new PromotionError(
            `cannot record this region's lost transactions yet: ${lostUnknown}`,
            503,
          );
        }
      }
      const adminUrl = new URL(c.database.url);
      adminUrl.pathname = '/postgres';
      await withClient(adminUrl.toString(), async (db) => {
        await db.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1',
          [c.database.name],
        );
        await db.query(`DROP DATABASE IF EXISTS "${c.database.name}" WITH (FORCE)`);
        await db.query(`CREATE DATABASE "${c.database.name}"`);
      });
      await bootstrapDatabase(c.database.url, c.database.name, 'secondary');
      await withClient(c.database.url, async (db) => {
        for (const t of lost) {
          await db.query(RECORD_LOST_SQL, [
            oldEpoch,
            c.region,
            t.xid,
            t.commitLsn,
            t.commitTs,
            JSON.stringify(t.changes),
          ]);
        }
        this.setEpoch(req.epoch, 'secondary', req.primary, req.history);
        await this.saveState(db);
      });
      this.host.fenced = null;
      this.host.applyHeld = false;
      await this.host.startRole();
      this.host.log.warn(
        { lost: lost.length, lostUnknown },
        'rejoined as a secondary after re-seed; lost transactions recorded',
      );
      return { mode: 'reseed', lost, lostUnknown, ms: Date.now() - t0 };
    });
  }

  /** Transactions of this region's old stream after the fork (published, never reached the new primary). */
  private async readLost(stream: string, afterSeq: number): Promise<LostTransaction[]> {
    const jsm = await manager(this.host.nats());
    const info = await jsm.streams.info(stream);
    if (info.state.last_seq <= afterSeq) return [];
    const out: LostTransaction[] = [];
    const js = jetstream(this.host.nats());
    const consumer = await js.consumers.get(stream, { opt_start_seq: afterSeq + 1 });
    const iter = await consumer.consume({ max_messages: 500 });
    try {
      for await (const m of iter) {
        for (const tx of decodeBody(m.data).txs) {
          if (tx.changes.length === 0) continue;
          const onlyHeartbeat = tx.changes.every((ch) => ch.schema === 'borealis');
          if (onlyHeartbeat) continue;
          out.push({
            xid: tx.xid,
            commitLsn: tx.commitLsn,
            commitTs: tx.commitTs,
            changes: tx.changes,
          });
        }
        if (m.seq >= info.state.last_seq) break;
      }
    } finally {
      iter.stop();
    }
    return out;
  }

  /**
   * Transactions committed but never published (still ahead of the slot's confirmed position): peeked from
   * the slot without consuming it, decoded with the capture's pgoutput decoder.
   */
  private async unpublished(slot: string): Promise<LostTransaction[]> {
    const { PgoutputDecoder, TransactionAssembler } = await import('../capture/index.js');
    const c = this.c;
    return withClient(c.database.url, async (db) => {
      const exists = await db.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ]);
      if ((exists.rowCount ?? 0) === 0) return [];
      const r = await db.query<{ data: Buffer }>(
        `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', 'borealis')`,
        [slot],
      );
      const decoder = new PgoutputDecoder();
      const assembler = new TransactionAssembler();
      const out: LostTransaction[] = [];
      for (const row of r.rows) {
        const tx = assembler.push(decoder.decode(row.data));
        if (!tx) continue;
        const changes = tx.changes.filter((ch) => ch.schema !== 'borealis');
        if (changes.length === 0) continue;
        out.push({ xid: tx.xid, commitLsn: tx.commitLsn, commitTs: tx.commitTs, changes });
      }
      return out;
    });
  }
}
