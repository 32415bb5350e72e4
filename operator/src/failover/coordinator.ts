import type { Logger } from 'pino';
import { API_VERSION, resolveSpec, type GlobalDatabase, type LastFailover } from '../api/index.js';
import type { KubeClient } from '../runtime/index.js';
import type { EpochRecord, EpochStore } from './epoch-store.js';
import {
  mirrorStreamName,
  type AppliedPosition,
  type EpochEntry,
  type EpochFork,
} from './protocol.js';
import type { LeasePusher } from './lease.js';
import type { PromotionDriver } from './promotion-driver.js';

export type PromotionType = 'switchover' | 'failover';

export interface PhaseTiming {
  name: 'fence' | 'catch-up' | 'hold' | 'epoch' | 'lease' | 'promote' | 'rejoin' | 'follow';
  startedAt: string;
  seconds: number;
  error?: string;
}

/** One secondary's applied position when its apply was held (failover), or why it could not be held. */
export interface CandidatePosition {
  region: string;
  position?: AppliedPosition;
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
  /** Transactions of the old primary recorded as lost (switchover: its clean rejoin, always 0). */
  lostTransactions?: number;
  /** Failover: the held positions the target was chosen from. */
  candidates?: CandidatePosition[];
  /** Failover: estimated loss window (last healthy report of the old primary − newest applied commit), s. */
  lossWindowSeconds?: number;
  /** True when the promotion was refused before anything changed (guard, no candidate, target behind). */
  refused?: boolean;
  error?: string;
}

export interface PromoteOptions {
  /** Failover: promote even past the RPO guard or a less advanced named target. */
  force?: boolean;
  /** Failover: the last time the old primary reported healthy (bounds the loss window). */
  primaryLastHealthyAt?: Date;
  /** Switchover: how long the target may take to apply the old primary's final position. */
  catchUpTimeoutMs?: number;
}

export class PromotionBusyError extends Error {
  override readonly name = 'PromotionBusyError';
}

/** A promotion that stopped before the epoch changed: nothing moved (the old primary was unfenced). */
export class PromotionRefusedError extends Error {
  override readonly name = 'PromotionRefusedError';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sequences a promotion (DESIGN §4, docs/promotion.md) against the region agents' promotion API and is the
 * cross-cluster promotion authority (the epoch compare-and-set). Switchover: fence the old primary → wait until
 * the target applied its final position → hold the target's apply → CAS → promote → old primary rejoins clean →
 * the others follow. Failover: best-effort fence → hold apply on every reachable secondary → choose the most
 * advanced (RPO guard) → CAS with the fork → promote → the others follow; the old primary rejoins (re-seeded, its
 * unreplicated transactions recorded) once it answers again (GlobalDatabaseReconciler). One promotion per
 * GlobalDatabase at a time; `status.lastFailover` records each attempt.
 */
export class PromotionCoordinator {
  private readonly inProgress = new Map<
    string,
    { type: PromotionType; from: string; to: string; done: Promise<PromotionResult> }
  >();

  constructor(
    private readonly client: KubeClient,
    private readonly driver: PromotionDriver,
    private readonly epochs: EpochStore,
    private readonly fieldManager: string,
    private readonly log: Logger,
    /** Called when a promotion starts or ends (the GlobalDatabase controller re-queues the key). */
    private readonly onChange: (namespace: string, name: string) => void = () => {},
    /** The pushed write lease (Kubernetes); undefined when the agents take no lease from the operator. */
    private readonly lease?: LeasePusher,
    /** Told every promotion's outcome (metrics). */
    private readonly observe: (r: PromotionResult) => void = () => {},
  ) {}

  /** After the epoch moved to `to`: name it to the lease pusher and grant it its first lease at once. */
  private async leaseTo(gdb: GlobalDatabase, to: string, epoch: number): Promise<void> {
    if (!this.lease) return;
    this.lease.setPrimary(`${gdb.metadata.namespace ?? 'default'}/${gdb.metadata.name}`, to, epoch);
    await this.lease
      .renew(gdb, to, epoch)
      .catch((err: unknown) =>
        this.log.warn(
          { err: (err as Error).message, region: to },
          'first lease of the new primary failed; the pusher retries',
        ),
      );
  }

  private readonly lastHealthy = new Map<string, Date>();

  /** The GlobalDatabase controller reports each healthy primary report: a failover's loss window starts there. */
  notePrimaryHealthy(namespace: string, name: string, at: Date): void {
    this.lastHealthy.set(`${namespace}/${name}`, at);
  }

  get agents(): PromotionDriver {
    return this.driver;
  }

  current(
    namespace: string,
    name: string,
  ): { type: PromotionType; from: string; to: string } | undefined {
    const p = this.inProgress.get(`${namespace}/${name}`);
    return p && { type: p.type, from: p.from, to: p.to };
  }

  /** The promotion under way for the GlobalDatabase, if any (drills join an automatic failover with it). */
  running(namespace: string, name: string): Promise<PromotionResult> | undefined {
    return this.inProgress.get(`${namespace}/${name}`)?.done;
  }

  /**
   * Promotes `to` (a failover without `to` chooses the most advanced secondary). Resolves with the outcome, also
   * when it failed or was refused; rejects only when it could not start (busy, no epoch yet, already primary).
   */
  async promote(
    gdb: GlobalDatabase,
    type: PromotionType,
    to: string | undefined,
    opts: PromoteOptions = {},
  ): Promise<PromotionResult> {
    const ns = gdb.metadata.namespace ?? 'default';
    const name = gdb.metadata.name;
    const key = `${ns}/${name}`;
    if (this.inProgress.has(key))
      throw new PromotionBusyError(`a promotion of ${key} is already under way`);
    const record = await this.epochs.read(ns, name);
    if (!record)
      throw new Error(`GlobalDatabase ${key} has no epoch yet: wait for its first reconcile`);
    if (record.primaryRegion === to)
      throw new Error(`region ${to} is already the primary of ${key}`);
    if (type === 'switchover' && !to) throw new Error('a switchover needs a target region');
    const from = record.primaryRegion;
    const done = this.run(gdb, type, from, to, record, opts);
    this.inProgress.set(key, { type, from, to: to ?? '(most advanced secondary)', done });
    this.onChange(ns, name);
    try {
      return await done;
    } finally {
      this.inProgress.delete(key);
      this.onChange(ns, name);
    }
  }

  private async run(
    gdb: GlobalDatabase,
    type: PromotionType,
    from: string,
    to: string | undefined,
    record: EpochRecord,
    opts: PromoteOptions,
  ): Promise<PromotionResult> {
    const ns = gdb.metadata.namespace ?? 'default';
    const key = `${ns}/${gdb.metadata.name}`;
    const phases: PhaseTiming[] = [];
    const startedAt = new Date();
    const result: PromotionResult = {
      ok: false,
      type,
      from,
      to: to ?? '',
      startedAt,
      completedAt: startedAt,
      phases,
    };
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
    this.log.info({ gdb: key, type, from, to, epoch: record.epoch + 1 }, 'promotion started');
    try {
      if (type === 'switchover') await this.switchover(gdb, from, to!, record, opts, step, result);
      else await this.failover(gdb, from, to, record, opts, step, result);
      result.ok = true;
    } catch (err) {
      result.error = (err as Error).message;
      if (err instanceof PromotionRefusedError) result.refused = true;
    }
    result.completedAt = new Date();
    this.observe(result);
    await this.recordLastFailover(ns, gdb.metadata.name, result).catch((err: unknown) =>
      this.log.error({ err, gdb: key }, 'could not record status.lastFailover'),
    );
    this.log.info(
      { gdb: key, ok: result.ok, error: result.error, phases: result.phases, to: result.to },
      'promotion ended',
    );
    return result;
  }

  private async switchover(
    gdb: GlobalDatabase,
    from: string,
    to: string,
    record: EpochRecord,
    opts: PromoteOptions,
    step: Step,
    result: PromotionResult,
  ): Promise<void> {
    const d = this.driver;
    const st = await d.status(gdb, to, 3_000).catch((err: unknown) => {
      throw new PromotionRefusedError(`target ${to} does not answer: ${(err as Error).message}`);
    });
    if (st.role !== 'secondary' || st.epoch !== record.epoch || !st.ready || st.promotion?.diverged)
      throw new PromotionRefusedError(
        `target ${to} is not a ready secondary of epoch ${record.epoch} (${st.role}, epoch ${st.epoch}${st.message ? `: ${st.message}` : ''})`,
      );
    let fenced: { finalSeq: number; finalLsn: string } | undefined;
    try {
      fenced = await step('fence', () =>
        d.admin<{ finalSeq: number; finalLsn: string }>(
          gdb,
          from,
          'fence',
          { epoch: record.epoch, timeoutMs: 15_000 },
          20_000,
        ),
      );
      const finalSeq = fenced.finalSeq;
      await step('catch-up', async () => {
        const deadline = Date.now() + (opts.catchUpTimeoutMs ?? 30_000);
        for (;;) {
          const s = await d.status(gdb, to, 2_000).catch(() => undefined);
          if (s?.apply && s.apply.epoch === record.epoch && s.apply.streamSeq >= finalSeq) return;
          if (Date.now() > deadline)
            throw new Error(
              `${to} did not apply stream sequence ${finalSeq} of epoch ${record.epoch} in time (at ${s?.apply?.streamSeq ?? 'unknown'})`,
            );
          await sleep(50);
        }
      });
      const held = await step('hold', () =>
        d.admin<{ position: AppliedPosition | null }>(gdb, to, 'stop-apply', {}, 15_000),
      );
      if (held.position?.epoch !== record.epoch || held.position.streamSeq !== finalSeq) {
        await d.admin(gdb, to, 'resume-apply', {}, 5_000).catch(() => undefined);
        throw new Error(
          `${to} holds ${JSON.stringify(held.position)}, expected sequence ${finalSeq} of epoch ${record.epoch}`,
        );
      }
    } catch (err) {
      // Nothing moved: the old primary takes writes again in its epoch.
      if (fenced)
        await d
          .admin(gdb, from, 'unfence', { epoch: record.epoch }, 10_000)
          .catch((e: unknown) =>
            this.log.error({ err: e, region: from }, 'could not unfence the old primary'),
          );
      throw new PromotionRefusedError(
        `switchover ${from} → ${to} stopped before the epoch changed (the primary stays ${from}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const fork: EpochFork = {
      epoch: record.epoch,
      seq: fenced.finalSeq,
      commitLsn: fenced.finalLsn,
      stream: mirrorStreamName(resolveSpec(gdb.spec).databaseName, to, record.epoch),
    };
    const next = await this.advance(gdb, record, to, fork, step, async () => {
      await d.admin(gdb, to, 'resume-apply', {}, 5_000).catch(() => undefined);
      await d.admin(gdb, from, 'unfence', { epoch: record.epoch }, 10_000).catch(() => undefined);
    });
    result.epoch = next.epoch;
    await step('promote', () => this.promoteAfterCas(gdb, to, next, fork));
    await this.leaseTo(gdb, to, next.epoch);
    try {
      const r = await step('rejoin', async () =>
        d.admin<{ mode: string; lost: unknown[] }>(
          gdb,
          from,
          'rejoin',
          {
            mode: 'clean',
            epoch: next.epoch,
            primary: to,
            history: next.history,
            seedUrl: await d.seedUrl(gdb, from, to),
          },
          60_000,
        ),
      );
      result.lostTransactions = r.lost.length;
    } catch (err) {
      // The new primary serves already; the old one is fenced and rejoins through the reconciler.
      this.log.warn(
        { err, region: from },
        'old primary did not rejoin yet; the reconciler retries',
      );
    }
    await step('follow', () => this.tellFollowers(gdb, next, [from, to]));
  }

  private async failover(
    gdb: GlobalDatabase,
    from: string,
    to: string | undefined,
    record: EpochRecord,
    opts: PromoteOptions,
    step: Step,
    result: PromotionResult,
  ): Promise<void> {
    const d = this.driver;
    const spec = resolveSpec(gdb.spec);
    // A reachable old primary (e.g. restarted after a kill) must stop taking writes now: there is no write lease on
    // Kubernetes (docs/operator.md), so this fence and the rejoin are what stops it. Unreachable (frozen, cut off):
    // the new epoch does once it answers again. Fencing runs beside the promotion, so a dead primary's time-out does
    // not add to the failover.
    let oldPrimaryFenced = false;
    const fencing = step('fence', () =>
      d.admin(gdb, from, 'fence', { epoch: record.epoch, timeoutMs: 1_500 }, 3_000),
    ).then(
      () => void (oldPrimaryFenced = true),
      (err: unknown) =>
        this.log.warn(
          { err: (err as Error).message, region: from },
          'could not fence the failed primary (unreachable?): continuing',
        ),
    );
    const secondaries = spec.regions.map((r) => r.name).filter((r) => r !== from);
    const holding = step('hold', () =>
      Promise.all(
        secondaries.map(async (region): Promise<CandidatePosition> => {
          try {
            const h = await d.admin<{ position: AppliedPosition | null }>(
              gdb,
              region,
              'stop-apply',
              {},
              10_000,
            );
            return h.position
              ? { region, position: h.position }
              : { region, error: 'nothing applied' };
          } catch (err) {
            return { region, error: (err as Error).message };
          }
        }),
      ),
    );
    // Not awaited: a frozen primary's time-out must not delay the promotion (the step's timing is still recorded).
    void fencing;
    const candidates = await holding;
    result.candidates = candidates;
    const resumeAll = (): Promise<unknown> =>
      Promise.all(
        secondaries.map((r) => d.admin(gdb, r, 'resume-apply', {}, 5_000).catch(() => undefined)),
      );
    const refuse = async (message: string): Promise<never> => {
      await resumeAll();
      throw new PromotionRefusedError(message);
    };
    const usable = candidates.filter(
      (c): c is CandidatePosition & { position: AppliedPosition } =>
        c.position?.epoch === record.epoch,
    );
    if (usable.length === 0)
      return refuse(
        `no reachable secondary of epoch ${record.epoch} to promote: ${candidates.map((c) => `${c.region}: ${c.error ?? `epoch ${c.position?.epoch}`}`).join('; ')}`,
      );
    const best = usable.reduce((a, b) => (b.position.streamSeq > a.position.streamSeq ? b : a));
    let chosen = best;
    if (to) {
      const named = usable.find((c) => c.region === to);
      if (!named) return refuse(`${to} is not a reachable secondary of epoch ${record.epoch}`);
      if (named.position.streamSeq < best.position.streamSeq && !opts.force)
        return refuse(
          `${to} applied through sequence ${named.position.streamSeq}, ${best.region} through ${best.position.streamSeq}: promoting ${to} would lose more (set force to promote it anyway)`,
        );
      chosen = named;
    }
    result.to = chosen.region;
    const lastContact = (
      opts.primaryLastHealthyAt ??
      this.lastHealthy.get(`${gdb.metadata.namespace ?? 'default'}/${gdb.metadata.name}`) ??
      new Date()
    ).getTime();
    const lossWindowSeconds = Math.max(0, (lastContact - chosen.position.commitTs / 1000) / 1000);
    result.lossWindowSeconds = Math.round(lossWindowSeconds * 1000) / 1000;
    if (lossWindowSeconds > spec.failover.rpoGuardSeconds && !opts.force)
      return refuse(
        `RPO guard: ${chosen.region} is ${lossWindowSeconds.toFixed(1)}s behind the last healthy report of ${from} (rpoGuardSeconds ${spec.failover.rpoGuardSeconds}); force to promote anyway`,
      );
    const target = chosen.region;
    const fork: EpochFork = {
      epoch: record.epoch,
      seq: chosen.position.streamSeq,
      commitLsn: chosen.position.commitLsn,
      stream: mirrorStreamName(spec.databaseName, target, record.epoch),
    };
    const next = await this.advance(gdb, record, target, fork, step, resumeAll);
    result.epoch = next.epoch;
    // No two writers: unless the old primary was fenced, the new one takes writes only once the last lease granted to
    // the old one has run out (it may be partitioned but alive, committing until then).
    const granted = this.lease?.lastGranted(
      `${gdb.metadata.namespace ?? 'default'}/${gdb.metadata.name}`,
      from,
      record.epoch,
    );
    if (!oldPrimaryFenced && granted !== undefined && granted > Date.now())
      await step('lease', () => sleep(granted - Date.now() + 50));
    await step('promote', () => this.promoteAfterCas(gdb, target, next, fork));
    await this.leaseTo(gdb, target, next.epoch);
    await step('follow', () => this.tellFollowers(gdb, next, [from, target]));
  }

  /** The compare-and-set; on a lost race `undo` runs and the promotion ends refused. */
  private async advance(
    gdb: GlobalDatabase,
    record: EpochRecord,
    to: string,
    fork: EpochFork,
    step: Step,
    undo: () => Promise<unknown>,
  ): Promise<EpochRecord> {
    const ns = gdb.metadata.namespace ?? 'default';
    const entry: EpochEntry = {
      epoch: record.epoch + 1,
      primary: to,
      fork,
      at: new Date().toISOString(),
    };
    const next: EpochRecord = {
      epoch: entry.epoch,
      primaryRegion: to,
      history: [...record.history, entry],
    };
    const won = await step('epoch', () =>
      this.epochs.compareAndSet(ns, gdb.metadata.name, record, next),
    ).catch(async (err: unknown) => {
      await undo();
      throw err;
    });
    if (!won) {
      await undo();
      throw new PromotionRefusedError(
        `the epoch of ${ns}/${gdb.metadata.name} changed during the promotion (expected ${record.epoch} with primary ${record.primaryRegion}): another promotion won`,
      );
    }
    return next;
  }

  /** After the CAS the epoch belongs to the target: promotion is retried rather than abandoned. */
  private async promoteAfterCas(
    gdb: GlobalDatabase,
    target: string,
    next: EpochRecord,
    fork: EpochFork,
  ): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.driver.admin(
          gdb,
          target,
          'promote',
          { epoch: next.epoch, primary: target, fork, history: next.history },
          30_000,
        );
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.log.warn({ err: (err as Error).message, region: target }, 'promote failed; retrying');
        await sleep(250);
      }
    }
  }

  /** Moves the other secondaries into the new epoch (a region that does not answer is moved by the reconciler later). */
  private async tellFollowers(
    gdb: GlobalDatabase,
    next: EpochRecord,
    skip: string[],
  ): Promise<void> {
    const regions = resolveSpec(gdb.spec)
      .regions.map((r) => r.name)
      .filter((r) => !skip.includes(r));
    await Promise.all(
      regions.map(async (region) => {
        try {
          await this.follow(gdb, region, next);
        } catch (err) {
          this.log.warn(
            { err: (err as Error).message, region },
            `region did not take epoch ${next.epoch} yet; the reconciler retries`,
          );
        }
      }),
    );
  }

  /** Moves a secondary into `record`'s epoch (through the fork), seeding from the primary if it must. */
  async follow(gdb: GlobalDatabase, region: string, record: EpochRecord): Promise<void> {
    await this.driver.admin(
      gdb,
      region,
      'follow',
      {
        epoch: record.epoch,
        primary: record.primaryRegion,
        history: record.history,
        seedUrl: await this.driver.seedUrl(gdb, region, record.primaryRegion),
      },
      10_000,
    );
  }

  private async recordLastFailover(
    namespace: string,
    name: string,
    r: PromotionResult,
  ): Promise<void> {
    const last: LastFailover = {
      type: r.type,
      from: r.from,
      to: r.to,
      startedAt: r.startedAt.toISOString(),
      completedAt: r.completedAt.toISOString(),
      result: r.ok ? 'Succeeded' : r.refused ? 'Refused' : 'Failed',
    };
    if (r.epoch !== undefined) last.epoch = r.epoch;
    if (r.ok) last.rtoSeconds = (r.completedAt.getTime() - r.startedAt.getTime()) / 1000;
    if (r.lostTransactions !== undefined) last.rpoTransactions = r.lostTransactions;
    if (r.error) last.message = r.error;
    // Merge patch: fields this attempt does not have are deleted (null), not left from an earlier attempt.
    const patch: Record<string, unknown> = {
      message: null,
      epoch: null,
      rtoSeconds: null,
      rpoTransactions: null,
      ...last,
    };
    await this.client.mergePatch(
      API_VERSION,
      'GlobalDatabase',
      namespace,
      name,
      { status: { lastFailover: patch } },
      { subresource: 'status', fieldManager: this.fieldManager },
    );
  }

  /** Adds the count of transactions a returning old primary recorded as lost to status.lastFailover (when it is that failover's). */
  async recordLoss(
    gdb: GlobalDatabase,
    region: string,
    epoch: number,
    lost: number,
  ): Promise<void> {
    // Read fresh: an older snapshot would overwrite a count recorded meanwhile.
    const fresh = await this.client.get<GlobalDatabase>(
      API_VERSION,
      'GlobalDatabase',
      gdb.metadata.namespace,
      gdb.metadata.name,
    );
    const last = fresh.status?.lastFailover;
    if (!last || last.from !== region || last.epoch !== epoch) return;
    await this.client.mergePatch(
      API_VERSION,
      'GlobalDatabase',
      gdb.metadata.namespace,
      gdb.metadata.name,
      {
        status: { lastFailover: { ...last, rpoTransactions: (last.rpoTransactions ?? 0) + lost } },
      },
      { subresource: 'status', fieldManager: this.fieldManager },
    );
  }

  /** Records a refused automatic failover (RPO guard, no candidate) without touching the epoch. */
  async recordRefusal(
    gdb: GlobalDatabase,
    from: string,
    to: string | undefined,
    reason: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    const last: LastFailover = {
      type: 'failover',
      from,
      to: to ?? '',
      startedAt: now,
      completedAt: now,
      result: 'Refused',
      message: reason,
    };
    await this.client.mergePatch(
      API_VERSION,
      'GlobalDatabase',
      gdb.metadata.namespace,
      gdb.metadata.name,
      { status: { lastFailover: last } },
      { subresource: 'status', fieldManager: this.fieldManager },
    );
  }
}

type Step = <T>(phase: PhaseTiming['name'], fn: () => Promise<T>) => Promise<T>;
