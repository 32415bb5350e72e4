import type { Logger } from 'pino';
import { API_VERSION, type GlobalDatabase, type LastFailover } from '../api/index.js';
import type { KubeClient } from '../runtime/index.js';
import type { EpochStore } from './epoch-store.js';
import type { PromotionDriver, RegionRef } from './promotion-driver.js';

export type PromotionType = 'switchover' | 'failover';

export interface PhaseTiming {
  name: 'fence' | 'catch-up' | 'epoch' | 'promote' | 'demote';
  startedAt: string;
  seconds: number;
  error?: string;
}

export interface PromotionResult {
  ok: boolean;
  type: PromotionType;
  from: string;
  to: string;
  epoch?: number;
  startedAt: Date;
  completedAt: Date;
  phases: PhaseTiming[];
  lostTransactions?: number;
  error?: string;
}

export class PromotionBusyError extends Error {
  override readonly name = 'PromotionBusyError';
}

/**
 * Sequences a promotion (DESIGN §4) and is the cross-cluster promotion authority: fence the old primary,
 * wait for the target to catch up, compare-and-set the epoch, promote the target, demote the old primary.
 * One promotion per GlobalDatabase at a time; `status.lastFailover` records each attempt.
 */
export class PromotionCoordinator {
  private readonly inProgress = new Map<string, { type: PromotionType; from: string; to: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly driver: PromotionDriver,
    private readonly epochs: EpochStore,
    private readonly fieldManager: string,
    private readonly log: Logger,
    /** Called when a promotion starts or ends (the GlobalDatabase controller re-queues the key). */
    private readonly onChange: (namespace: string, name: string) => void = () => {},
  ) {}

  current(namespace: string, name: string): { type: PromotionType; from: string; to: string } | undefined {
    return this.inProgress.get(`${namespace}/${name}`);
  }

  async promote(gdb: GlobalDatabase, type: PromotionType, to: string, catchUpTimeoutMs = 60_000): Promise<PromotionResult> {
    const ns = gdb.metadata.namespace ?? 'default';
    const name = gdb.metadata.name;
    const key = `${ns}/${name}`;
    if (this.inProgress.has(key)) throw new PromotionBusyError(`a promotion of ${key} is already under way`);
    const record = await this.epochs.read(ns, name);
    if (!record) throw new Error(`GlobalDatabase ${key} has no epoch yet: wait for its first reconcile`);
    if (record.primaryRegion === to) throw new Error(`region ${to} is already the primary of ${key}`);
    const from = record.primaryRegion;
    const epoch = record.epoch + 1;
    const ref = (region: string): RegionRef => ({ namespace: ns, globalDatabase: name, region });
    const phases: PhaseTiming[] = [];
    const startedAt = new Date();
    const step = async <T>(phase: PhaseTiming['name'], fn: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      const entry: PhaseTiming = { name: phase, startedAt: new Date(t0).toISOString(), seconds: 0 };
      phases.push(entry);
      try {
        return await fn();
      } catch (err) {
        entry.error = (err as Error).message;
        throw err;
      } finally {
        entry.seconds = (Date.now() - t0) / 1000;
      }
    };
    this.inProgress.set(key, { type, from, to });
    this.onChange(ns, name);
    this.log.info({ gdb: key, type, from, to, epoch }, 'promotion started');
    let result: PromotionResult;
    try {
      if (type === 'switchover') await step('fence', () => this.driver.fence(ref(from), epoch));
      else await step('fence', () => this.driver.fence(ref(from), epoch)).catch((err: unknown) => this.log.warn({ err, region: from }, 'could not fence the failed primary (unreachable?): continuing, the epoch fences it'));
      const catchUpOpts: { finalPositionOf?: RegionRef; timeoutMs: number } = { timeoutMs: catchUpTimeoutMs };
      if (type === 'switchover') catchUpOpts.finalPositionOf = ref(from);
      await step('catch-up', () => this.driver.waitForCatchUp(ref(to), catchUpOpts));
      const won = await step('epoch', () => this.epochs.compareAndSet(ns, name, record, { epoch, primaryRegion: to }));
      if (!won) throw new Error(`the epoch of ${key} changed during the promotion (expected ${record.epoch} with primary ${from}): another promotion won`);
      await step('promote', () => this.driver.promote(ref(to), epoch));
      let lostTransactions: number | undefined;
      try {
        lostTransactions = (await step('demote', () => this.driver.demote(ref(from), to, epoch))).lostTransactions;
      } catch (err) {
        // The new primary serves already; the old one is fenced by the epoch and is re-seeded once reachable.
        this.log.warn({ err, region: from }, 'old primary not demoted yet');
      }
      result = { ok: true, type, from, to, epoch, startedAt, completedAt: new Date(), phases };
      if (lostTransactions !== undefined) result.lostTransactions = lostTransactions;
    } catch (err) {
      result = { ok: false, type, from, to, startedAt, completedAt: new Date(), phases, error: (err as Error).message };
    } finally {
      this.inProgress.delete(key);
    }
    await this.recordLastFailover(ns, name, result).catch((err: unknown) => this.log.error({ err, gdb: key }, 'could not record status.lastFailover'));
    this.log.info({ gdb: key, ok: result.ok, error: result.error, phases: result.phases }, 'promotion ended');
    this.onChange(ns, name);
    return result;
  }

  private async recordLastFailover(namespace: string, name: string, r: PromotionResult): Promise<void> {
    const last: LastFailover = {
      type: r.type,
      from: r.from,
      to: r.to,
      startedAt: r.startedAt.toISOString(),
      completedAt: r.completedAt.toISOString(),
      result: r.ok ? 'Succeeded' : 'Failed',
    };
    if (r.epoch !== undefined) last.epoch = r.epoch;
    if (r.ok) last.rtoSeconds = (r.completedAt.getTime() - r.startedAt.getTime()) / 1000;
    if (r.lostTransactions !== undefined) last.rpoTransactions = r.lostTransactions;
    if (r.error) last.message = r.error;
    await this.client.mergePatch(API_VERSION, 'GlobalDatabase', namespace, name, { status: { lastFailover: last } }, { subresource: 'status', fieldManager: this.fieldManager });
  }

  /** Records a refused automatic failover (RPO guard, no candidate) without touching the epoch. */
  async recordRefusal(gdb: GlobalDatabase, from: string, to: string | undefined, reason: string): Promise<void> {
    const now = new Date().toISOString();
    const last: LastFailover = { type: 'failover', from, to: to ?? '', startedAt: now, completedAt: now, result: 'Refused', message: reason };
    await this.client.mergePatch(API_VERSION, 'GlobalDatabase', gdb.metadata.namespace, gdb.metadata.name, { status: { lastFailover: last } }, { subresource: 'status', fieldManager: this.fieldManager });
  }
}
