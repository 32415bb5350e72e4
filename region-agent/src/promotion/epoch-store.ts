import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EpochEntry, EpochFork, EpochRecord } from './types.js';

/** The key holding the current epoch record of a database. */
export function epochKey(db: string): string {
  return `epoch.${db}`;
}

/** Thrown when a compare-and-set of the epoch lost to another writer (or the store cannot be reached). */
export class EpochConflictError extends Error {
  override name = 'EpochConflictError';
}

export class EpochStoreError extends Error {
  override name = 'EpochStoreError';
}

/**
 * The authoritative (epoch, primary) of a database: a JetStream KV bucket (R3 on the control NATS
 * cluster, docs/promotion.md). Reads go to the stream leader (allow_direct off), so a read after a
 * successful compare-and-set never sees the older value.
 */
export class EpochStore {
  private constructor(
    private readonly kv: KV,
    readonly db: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string, db: string, opts: { replicas?: number; create?: boolean } = {}): Promise<EpochStore> {
    const kvm = new Kvm(nc);
    try {
      const kv = opts.create
        ? await kvm.create(bucket, { replicas: opts.replicas ?? 1, history: 64, allow_direct: false })
        : await kvm.open(bucket);
      return new EpochStore(kv, db);
    } catch (err) {
      throw new EpochStoreError(`cannot open the epoch store bucket ${bucket}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The current record and its revision (null when the database has none yet). */
  async read(): Promise<{ record: EpochRecord; revision: number } | null> {
    let e;
    try {
      e = await this.kv.get(epochKey(this.db));
    } catch (err) {
      throw new EpochStoreError(`cannot read the epoch store: ${(err as Error).message}`, { cause: err });
    }
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    return { record: e.json<EpochRecord>(), revision: e.revision };
  }

  /** Writes epoch 1 for `primary` if the database has no record yet; returns the current record. */
  async initialize(primary: string): Promise<EpochRecord> {
    const entry: EpochEntry = { epoch: 1, primary, at: new Date().toISOString() };
    const record: EpochRecord = { ...entry, history: [entry] };
    try {
      await this.kv.create(epochKey(this.db), JSON.stringify(record));
      return record;
    } catch {
      const cur = await this.read();
      if (!cur) throw new EpochStoreError('epoch store: create failed and nothing is stored');
      return cur.record;
    }
  }

  /**
   * Compare-and-set: moves the epoch from `expected.epoch` (at `revision`) to expected.epoch + 1 with
   * `primary`. Exactly one caller wins per epoch.
   */
  async advance(expected: { record: EpochRecord; revision: number }, primary: string, fork: EpochFork): Promise<{ record: EpochRecord; revision: number }> {
    const entry: EpochEntry = { epoch: expected.record.epoch + 1, primary, fork, at: new Date().toISOString() };
    const record: EpochRecord = { ...entry, history: [...expected.record.history, entry] };
    try {
      const revision = await this.kv.update(epochKey(this.db), JSON.stringify(record), expected.revision);
      return { record, revision };
    } catch (err) {
      throw new EpochConflictError(
        `epoch ${expected.record.epoch} → ${entry.epoch} lost its compare-and-set (revision ${expected.revision}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
