import type { Logger } from 'pino';
import type { GlobalDatabase } from '../api/index.js';
import { epochRecordOf } from './epoch-store.js';
import type { PromotionDriver } from './promotion-driver.js';

export interface LeaseOptions {
  /** How long one renewal lets the primary commit, ms (from the moment it is sent). */
  leaseMs: number;
  /** Renewal interval, ms. */
  renewMs: number;
}

/**
 * The primary's write lease on Kubernetes (docs/operator.md "Fencing"): the operator, the promotion authority,
 * pushes `validUntil = sent + leaseMs` to the current primary's agent (POST /admin/lease) every renewMs. A region
 * the operator cannot reach (frozen, partitioned) stops committing client writes within leaseMs, and a frozen
 * one that resumes finds its lease ended. A failover promotes only after the last lease sent to the old primary
 * ran out (unless it was fenced).
 */
export class LeasePusher {
  private readonly tracked = new Map<string, GlobalDatabase>();
  /** Per GlobalDatabase key: the latest validUntil sent to each primary, by `${region}@${epoch}`. */
  private readonly sent = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly createdAt = Date.now();
  /** Set by the coordinator at each epoch change, before the controller's next read of the status. */
  private readonly primaries = new Map<string, { region: string; epoch: number }>();

  constructor(
    private readonly driver: PromotionDriver,
    readonly opts: LeaseOptions,
    private readonly paused: (namespace: string, name: string) => boolean,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.renewAll(), this.opts.renewMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The GlobalDatabase controller hands over every object it reconciles (undefined: deleted). */
  track(key: string, gdb: GlobalDatabase | undefined): void {
    if (gdb) {
      this.tracked.set(key, gdb);
      // A primary that never had a lease in its epoch (a new database) gets one now, not a tick later.
      const rec = epochRecordOf(gdb);
      if (rec && !this.granted(key, rec.primaryRegion, rec.epoch)) this.renewOne(key, gdb);
    } else {
      this.tracked.delete(key);
      this.sent.delete(key);
      this.primaries.delete(key);
    }
  }

  /** The coordinator names the new primary as soon as the epoch changed. */
  setPrimary(key: string, region: string, epoch: number): void {
    this.primaries.set(key, { region, epoch });
  }

  /**
   * The last validUntil (ms) sent to `region` as primary of `epoch` — it may hold until then. Nothing sent by this
   * process: a lease an earlier operator process granted ran out at the latest leaseMs after this one started.
   */
  lastGranted(key: string, region: string, epoch: number): number {
    return this.sent.get(key)?.get(`${region}@${epoch}`) ?? this.createdAt + this.opts.leaseMs;
  }

  /** True once this process has sent `region` a lease for `epoch`. */
  private granted(key: string, region: string, epoch: number): boolean {
    return this.sent.get(key)?.has(`${region}@${epoch}`) ?? false;
  }

  /** Sends one renewal to the primary of `epoch` now (after a promotion, so it need not wait for the next tick). */
  async renew(gdb: GlobalDatabase, region: string, epoch: number): Promise<void> {
    const key = `${gdb.metadata.namespace ?? 'default'}/${gdb.metadata.name}`;
    const validUntilMs = Date.now() + this.opts.leaseMs;
    const m = this.sent.get(key) ?? new Map<string, number>();
    this.sent.set(key, m);
    m.set(`${region}@${epoch}`, validUntilMs);
    await this.driver.admin(
      gdb,
      region,
      'lease',
      { epoch, validUntilMs },
      Math.max(500, this.opts.renewMs),
    );
  }

  private renewAll(): void {
    for (const [key, gdb] of this.tracked) this.renewOne(key, gdb);
  }

  private renewOne(key: string, gdb: GlobalDatabase): void {
    const fromStatus = epochRecordOf(gdb);
    const known = this.primaries.get(key);
    const rec =
      known && (!fromStatus || known.epoch >= fromStatus.epoch)
        ? { primaryRegion: known.region, epoch: known.epoch }
        : fromStatus;
    if (
      !rec ||
      this.inFlight.has(key) ||
      this.paused(gdb.metadata.namespace ?? 'default', gdb.metadata.name)
    )
      return;
    this.inFlight.add(key);
    this.renew(gdb, rec.primaryRegion, rec.epoch)
      .catch((err: unknown) =>
        this.log.warn(
          { err: (err as Error).message, gdb: key, region: rec.primaryRegion },
          'lease renewal failed',
        ),
      )
      .finally(() => this.inFlight.delete(key));
  }
}
