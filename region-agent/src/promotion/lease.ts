import pg from 'pg';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import type { Logger } from '../log/index.js';
import type { EpochStore } from './epoch-store.js';
import { RENEW_LEASE_SQL } from './sql.js';
import type { EpochRecord } from './types.js';

export interface LeaseOptions {
  databaseUrl: string;
  region: string;
  epoch: () => number;
  /** Null: no epoch store configured — the lease is renewed without a check (single-region tests). */
  store: EpochStore | null;
  leaseMs: number;
  intervalMs: number;
  /** Called when the store names a newer epoch (or another primary): the agent fences itself. */
  onSuperseded: (record: EpochRecord) => void;
}

/**
 * Keeps the primary's write lease: every interval it reads the epoch store and, only if the store still
 * names this region primary in this epoch, extends borealis.lease to (time before the read + leaseMs).
 * A primary that is frozen, partitioned from the store or superseded stops renewing, and its PostgreSQL
 * refuses every commit once the lease ends (borealis.check_lease).
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | null = null;
  private client: pg.Client | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  lastRenewedAt = 0;
  failures = 0;

  constructor(
    private readonly o: LeaseOptions,
    private readonly log: Logger,
  ) {}

  /** Renews once (throws when the store does not confirm this primary), then keeps renewing. */
  async start(): Promise<void> {
    this.stopped = false;
    const ok = await this.renew();
    if (!ok) throw new Error(`the epoch store does not name region ${this.o.region} primary of epoch ${this.o.epoch()}`);
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.renew()
        .then(() => undefined)
        .catch((err: unknown) => {
          if (this.failures++ % 20 === 0) this.log.warn({ err: (err as Error).message }, 'write lease renewal failed');
          const c = this.client;
          this.client = null;
          void c?.end().catch(() => undefined);
        })
        .finally(() => {
          this.running = null;
        });
    }, this.o.intervalMs);
  }

  /** Stops renewing; resolves once no renewal is in flight (so a later expiry is never overwritten). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async renew(): Promise<boolean> {
    const before = Date.now();
    const epoch = this.o.epoch();
    if (this.o.store) {
      const cur = await this.o.store.read();
      if (!cur || cur.record.epoch !== epoch || cur.record.primary !== this.o.region) {
        if (cur && (cur.record.epoch > epoch || (cur.record.epoch === epoch && cur.record.primary !== this.o.region))) {
          this.o.onSuperseded(cur.record);
        }
        return false;
      }
    }
    if (this.stopped) return false;
    if (!this.client) {
      const c = new pg.Client({
        connectionString: this.o.databaseUrl,
        application_name: `${APPLICATION_NAME}-lease`,
        options: SESSION_OPTIONS,
      });
      c.on('error', () => undefined);
      await c.connect();
      this.client = c;
    }
    await this.client.query(RENEW_LEASE_SQL, [epoch, before + this.o.leaseMs]);
    this.lastRenewedAt = before;
    this.failures = 0;
    return true;
  }
}
