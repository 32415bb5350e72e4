import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  mirrorStreamName,
  sourceStreamName,
  type AgentStatus,
  type EpochEntry,
  type EpochFork,
  type EpochRecord,
  type EpochStore,
} from '@borealis/region-agent';
import type { Registry } from 'prom-client';
import { LinkProxy } from '../topology/link-proxy.js';
import { APP_DATABASE, SUPERUSER } from '../topology/postgres-config.js';
import type { Region, Topology } from '../topology/topology.js';
import { PromotionMetrics } from './metrics.js';

/** A promotion that cannot proceed (bad target, a guard, a timeout); nothing was changed unless said. */
/** Automatic failover is not started within this time after the previous promotion ended. */
export const AUTOMATIC_FAILOVER_COOLDOWN_MS = 15_000;

export class PromotionRefusedError extends Error {
  override name = 'PromotionRefusedError';
}

export class PromotionFailedError extends Error {
  override name = 'PromotionFailedError';
}

export interface PhaseTiming {
  phase: string;
  startedAt: number;
  ms: number;
}

export interface CandidateView {
  region: string;
  reachable: boolean;
  epoch?: number;
  streamSeq?: number;
  commitLsn?: string;
  commitTs?: number;
  error?: string;
}

export interface PromotionReport {
  kind: 'switchover' | 'failover';
  automatic: boolean;
  from: string;
  to: string;
  fromEpoch: number;
  epoch: number;
  fork: EpochFork;
  startedAt: number;
  completedAt: number;
  /** Writer endpoint refused connections from … to (ms since the Unix epoch). */
  writerRefused: { from: number; to: number };
  phases: PhaseTiming[];
  /** Failover: each secondary's applied position when apply was held. */
  candidates?: CandidateView[];
  /** Failover: the estimated loss window (last contact with the old primary − newest applied commit), s. */
  lossWindowSeconds?: number;
  forced?: boolean;
  rejoin?: { region: string; mode: string; lost: number; lostUnknown: string | null; ms: number } | { region: string; deferred: string };
}

export interface CoordinatorOptions {
  /** Failover when the primary region stops answering for this long (automatic mode), ms. */
  detectionMs: number;
  /** Refuse a failover whose estimated loss window exceeds this, s (unless forced). */
  rpoGuardSeconds: number;
  /** The agents' write lease (config control.leaseMs): a failover reroutes writes only after it ran out. */
  leaseMs: number;
  automatic: boolean;
  /** Monitor interval, ms. */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface HealthView {
  primary: string;
  epoch: number;
  /** ms since the Unix epoch of the last successful /status of the primary with epoch = current. */
  lastPrimaryContact: number;
  /** Since when the primary region counts as unhealthy (null: healthy). */
  unhealthySince: number | null;
  reason: string | null;
}

type Phase = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The promotion coordinator of the local topology (runs in the `up` supervisor): planned switchover,
 * unplanned failover, automatic failover on a detection window, reconciliation of regions that missed an
 * epoch (an old primary rejoins as a secondary). The epoch store is the authority; the writer endpoint
 * follows it.
 */
export class Coordinator {
  readonly metrics: PromotionMetrics;
  private record: EpochRecord | null = null;
  private busy: Promise<unknown> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastPrimaryContact = Date.now();
  private unhealthySince: number | null = null;
  /** When the last promotion (switchover or failover) ended: automatic failover waits out a cool-down after it. */
  private lastPromotionEndedAt = 0;
  private unhealthyReason: string | null = null;
  private readonly seedProxies = new Map<string, LinkProxy>();
  private reconciling = false;
  readonly history: PromotionReport[] = [];
  /** Listeners of promotions (drills wait on these). */
  private readonly listeners = new Set<(r: PromotionReport) => void>();
  private readonly log: (line: string) => void;

  constructor(
    readonly topo: Topology,
    readonly store: EpochStore,
    readonly opts: CoordinatorOptions,
    registry: Registry,
    /** Keeps the epoch store's leader out of the primary region (control cluster); optional. */
    private readonly keepStoreLeaderOutside?: (primary: string) => Promise<unknown>,
  ) {
    // The writer endpoint exists once the topology started (tests may build a coordinator before that).
    this.metrics = new PromotionMetrics(registry, () => this.record?.epoch ?? 0, () => this.topo.writer?.refusedConnections ?? 0);
    this.log = opts.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    this.record = (await this.store.read())?.record ?? null;
    if (this.record) await this.keepStoreLeaderOutside?.(this.record.primary).catch(() => undefined);
    this.lastPrimaryContact = Date.now();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 200);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy?.catch(() => undefined);
    await Promise.all([...this.seedProxies.values()].map((p) => p.close().catch(() => undefined)));
  }

  get current(): EpochRecord | null {
    return this.record;
  }

  setAutomatic(on: boolean): void {
    this.opts.automatic = on;
  }

  health(): HealthView {
    return {
      primary: this.record?.primary ?? this.topo.primary.name,
      epoch: this.record?.epoch ?? 0,
      lastPrimaryContact: this.lastPrimaryContact,
      unhealthySince: this.unhealthySince,
      reason: this.unhealthyReason,
    };
  }

  onPromotion(fn: (r: PromotionReport) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ------------------------------------------------------------------ agents

  async agentStatus(region: Region, timeoutMs = 500): Promise<AgentStatus> {
    const res = await fetch(`${region.urls.http}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`${region.name} /status answered ${res.status}`);
    return (await res.json()) as AgentStatus;
  }

  private async admin<T>(region: Region, op: string, body: unknown, timeoutMs = 30_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${region.urls.http}/admin/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new PromotionFailedError(`${region.name} /admin/${op}: ${(err as Error).message}`, { cause: err });
    }
    const out = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw new PromotionFailedError(`${region.name} /admin/${op} answered ${res.status}: ${out.error ?? 'no detail'}`);
    return out;
  }

  /** The new primary's PostgreSQL reached from `region` through the region's own link (created on demand). */
  private async seedUrl(region: string, primary: string): Promise<string> {
    const key = `${region}->${primary}`;
    let p = this.seedProxies.get(key);
    if (!p) {
      p = await LinkProxy.start({
        link: this.topo.link(region, primary),
        target: { host: '127.0.0.1', port: this.topo.region(primary).postgres.port },
        purpose: 'postgres seed',
      });
      this.seedProxies.set(key, p);
    }
    return `postgres://${SUPERUSER}@127.0.0.1:${p.port}/${APP_DATABASE}`;
  }

  /** Reads the store, retrying for a while: a fault may take the KV stream leader with it (re-election). */
  private async readRecord(timeoutMs = 30_000): Promise<{ record: EpochRecord; revision: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const cur = await this.store.read();
        if (!cur) throw new PromotionFailedError('the epoch store holds no record');
        this.record = cur.record;
        return cur;
      } catch (err) {
        if (err instanceof PromotionFailedError || Date.now() > deadline) throw err;
        this.log(`  epoch store not readable yet (${(err as Error).message}); retrying`);
        await sleep(200);
      }
    }
  }

  /**
   * Compare-and-set with retries: an update whose answer was lost (leader change) may have been applied, so
   * the store is read back — our own record means success, the old one means try again, anything else lost.
   */
  private async advance(cur: { record: EpochRecord; revision: number }, to: string, fork: EpochFork): Promise<{ record: EpochRecord; revision: number }> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        return await this.store.advance(cur, to, fork);
      } catch (err) {
        const now = await this.readRecord().catch(() => null);
        if (now && now.record.epoch === cur.record.epoch + 1 && now.record.primary === to && now.record.fork?.seq === fork.seq && now.record.fork.epoch === fork.epoch) {
          return now;
        }
        if (!now || now.record.epoch !== cur.record.epoch || now.revision !== cur.revision || Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  }

  private setRoles(primary: string): void {
    for (const r of this.topo.regions) r.role = r.name === primary ? 'primary' : 'secondary';
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) return Promise.reject(new PromotionRefusedError('a promotion is already in progress'));
    const run = fn();
    this.busy = run;
    return run.finally(() => {
      this.busy = null;
      this.lastPromotionEndedAt = Date.now();
    });
  }

  get promoting(): boolean {
    return this.busy !== null;
  }

  private phaseRunner(phases: PhaseTiming[], kind: string): Phase {
    return async (name, fn) => {
      const startedAt = Date.now();
      try {
        return await fn();
      } finally {
        const ms = Date.now() - startedAt;
        phases.push({ phase: name, startedAt, ms });
        this.metrics.phase.observe({ phase: name, kind }, ms / 1000);
        this.log(`  ${name.padEnd(9)} ${(ms / 1000).toFixed(3)} s`);
      }
    };
  }

  // ------------------------------------------------------------------ switchover

  /**
   * Planned switchover (RPO 0): refuse new writer connections, fence the primary (final stream position),
   * wait until the target applied exactly that, hold its apply, CAS the epoch, promote, move the writer
   * endpoint, turn the old primary into a secondary of the new one, tell the others.
   */
  switchover(to: string, opts: { timeoutMs?: number } = {}): Promise<PromotionReport> {
    return this.exclusive(async () => {
      const startedAt = Date.now();
      const phases: PhaseTiming[] = [];
      const phase = this.phaseRunner(phases, 'switchover');
      const cur = await this.readRecord();
      const from = cur.record.primary;
      if (to === from) throw new PromotionRefusedError(`${to} is already the primary (epoch ${cur.record.epoch})`);
      const target = this.topo.region(to);
      const old = this.topo.region(from);
      const st = await this.agentStatus(target, 2_000).catch((err: unknown) => {
        throw new PromotionRefusedError(`target ${to} does not answer: ${(err as Error).message}`);
      });
      if (st.role !== 'secondary' || st.epoch !== cur.record.epoch || !st.ready || st.promotion?.diverged) {
        throw new PromotionRefusedError(`target ${to} is not a ready secondary of epoch ${cur.record.epoch} (${st.role}, epoch ${st.epoch}: ${st.message})`);
      }
      this.log(`switchover ${from} → ${to} (epoch ${cur.record.epoch} → ${cur.record.epoch + 1})`);
      const writer = this.topo.writer;
      const refusedFrom = Date.now();
      writer.refuse({ dropExisting: true });
      let fenced: { finalSeq: number; finalLsn: string } | null = null;
      try {
        fenced = await phase('fence', () =>
          this.admin<{ finalSeq: number; finalLsn: string }>(old, 'fence', { epoch: cur.record.epoch, timeoutMs: opts.timeoutMs ?? 15_000 }),
        );
        const f = fenced;
        await phase('catch_up', async () => {
          const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
          for (;;) {
            const s = await this.agentStatus(target, 1_000).catch(() => null);
            if (s?.apply && s.apply.epoch === cur.record.epoch && s.apply.streamSeq >= f.finalSeq) return;
            if (Date.now() > deadline) throw new PromotionFailedError(`${to} did not apply stream sequence ${f.finalSeq} in time (at ${s?.apply?.streamSeq})`);
            await sleep(10);
          }
        });
        const held = await phase('hold', () =>
          this.admin<{ position: { epoch: number; streamSeq: number; commitLsn: string } | null }>(target, 'stop-apply', {}),
        );
        if (!held.position || held.position.epoch !== cur.record.epoch || held.position.streamSeq !== f.finalSeq) {
          await this.admin(target, 'resume-apply', {}).catch(() => undefined);
          throw new PromotionFailedError(`${to} holds ${JSON.stringify(held.position)}, expected sequence ${f.finalSeq} of epoch ${cur.record.epoch}`);
        }
      } catch (err) {
        // Nothing moved: the old primary takes writes again in its epoch.
        if (fenced || err instanceof PromotionFailedError) await this.admin(old, 'unfence', { epoch: cur.record.epoch }).catch(() => undefined);
        writer.accept();
        this.metrics.failovers.inc({ kind: 'switchover', result: 'failed' });
        throw err;
      }
      const fork: EpochFork = {
        epoch: cur.record.epoch,
        seq: fenced.finalSeq,
        commitLsn: fenced.finalLsn,
        stream: mirrorStreamName(APP_DATABASE, to, cur.record.epoch),
      };
      const next = await phase('cas', () => this.advance(cur, to, fork));
      this.record = next.record;
      await phase('promote', () => this.promoteAfterCas(target, next.record, fork));
      await phase('reroute', () => {
        writer.setTarget({ host: '127.0.0.1', port: target.postgres.port });
        writer.accept();
        return Promise.resolve();
      });
      const refusedTo = Date.now();
      this.setRoles(to);
      const rejoin = await phase('rejoin', async () => {
        const r = await this.admin<{ mode: string; lost: unknown[]; lostUnknown: string | null; ms: number }>(old, 'rejoin', {
          mode: 'clean',
          epoch: next.record.epoch,
          primary: to,
          history: next.record.history,
          seedUrl: await this.seedUrl(from, to),
        });
        return { region: from, mode: r.mode, lost: r.lost.length, lostUnknown: r.lostUnknown, ms: r.ms };
      });
      await this.tellFollowers(next.record, [from, to]);
      const report: PromotionReport = {
        kind: 'switchover',
        automatic: false,
        from,
        to,
        fromEpoch: cur.record.epoch,
        epoch: next.record.epoch,
        fork,
        startedAt,
        completedAt: Date.now(),
        writerRefused: { from: refusedFrom, to: refusedTo },
        phases,
        rejoin,
      };
      this.metrics.failovers.inc({ kind: 'switchover', result: 'ok' });
      this.metrics.rpo.set(rejoin.lost);
      this.finish(report);
      return report;
    });
  }

  /**
   * After the CAS the epoch belongs to the target: promotion is retried (a slow store, a KV leader change)
   * rather than abandoned; until it succeeds the writer endpoint keeps refusing.
   */
  private async promoteAfterCas(target: Region, record: EpochRecord, fork: EpochFork): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.admin(target, 'promote', { epoch: record.epoch, primary: target.name, fork, history: record.history });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.log(`  promote of ${target.name} failed (${(err as Error).message}); retrying`);
        await sleep(250);
      }
    }
  }

  private finish(report: PromotionReport): void {
    this.history.push(report);
    void this.keepStoreLeaderOutside?.(report.to).catch(() => undefined);
    this.lastPrimaryContact = Date.now();
    this.unhealthySince = null;
    this.unhealthyReason = null;
    for (const l of this.listeners) l(report);
  }

  private async tellFollowers(record: EpochRecord, skip: string[]): Promise<void> {
    await Promise.all(
      this.topo.regions
        .filter((r) => !skip.includes(r.name))
        .map(async (r) => {
          try {
            await this.admin(r, 'follow', { epoch: record.epoch, primary: record.primary, history: record.history, seedUrl: await this.seedUrl(r.name, record.primary) }, 5_000);
          } catch (err) {
            this.log(`  ${r.name} did not take epoch ${record.epoch} yet (${(err as Error).message}); the monitor retries`);
          }
        }),
    );
  }

  // ------------------------------------------------------------------ failover

  /**
   * Unplanned failover: refuse writer connections, hold apply on every reachable secondary, pick the one
   * that applied the most (a named target only if it is as advanced, unless forced), refuse when the
   * estimated loss window exceeds the RPO guard (unless forced), CAS the epoch, promote, wait until the old
   * primary's write lease has certainly ended, move the writer endpoint, move the other secondaries. The old
   * primary rejoins (re-seeded, its unreplicated transactions recorded) once it answers again.
   */
  failover(opts: { to?: string; force?: boolean; automatic?: boolean; reason?: string; detectMs?: number } = {}): Promise<PromotionReport> {
    return this.exclusive(async () => {
      const startedAt = Date.now();
      const phases: PhaseTiming[] = [];
      const kind = opts.automatic ? 'automatic' : 'failover';
      const phase = this.phaseRunner(phases, 'failover');
      if (opts.detectMs !== undefined) {
        phases.push({ phase: 'detect', startedAt: startedAt - opts.detectMs, ms: opts.detectMs });
        this.metrics.phase.observe({ phase: 'detect', kind: 'failover' }, opts.detectMs / 1000);
      }
      const cur = await this.readRecord();
      const from = cur.record.primary;
      if (opts.to === from) throw new PromotionRefusedError(`${from} is the primary already`);
      this.log(`failover from ${from} (epoch ${cur.record.epoch})${opts.reason ? `: ${opts.reason}` : ''}`);
      const writer = this.topo.writer;
      const refusedFrom = Date.now();
      writer.refuse({ dropExisting: true });
      const secondaries = this.topo.regions.filter((r) => r.name !== from);
      const candidates: CandidateView[] = await phase('hold', () =>
        Promise.all(
          secondaries.map(async (r): Promise<CandidateView> => {
            try {
              const h = await this.admin<{ position: { epoch: number; streamSeq: number; commitLsn: string; commitTs: number } | null }>(r, 'stop-apply', {}, 10_000);
              if (!h.position) return { region: r.name, reachable: true, error: 'nothing applied' };
              return { region: r.name, reachable: true, ...h.position };
            } catch (err) {
              return { region: r.name, reachable: false, error: (err as Error).message };
            }
          }),
        ),
      );
      const resumeAll = async () => {
        await Promise.all(secondaries.map((r) => this.admin(r, 'resume-apply', {}, 3_000).catch(() => undefined)));
        writer.accept();
      };
      const usable = candidates.filter((c) => c.reachable && c.epoch === cur.record.epoch && c.streamSeq !== undefined);
      if (usable.length === 0) {
        await resumeAll();
        this.metrics.failovers.inc({ kind, result: 'refused' });
        throw new PromotionRefusedError(`no reachable secondary of epoch ${cur.record.epoch}: ${JSON.stringify(candidates)}`);
      }
      const best = usable.reduce((a, b) => (b.streamSeq! > a.streamSeq! ? b : a));
      let chosen = best;
      if (opts.to) {
        const named = usable.find((c) => c.region === opts.to);
        if (!named) {
          await resumeAll();
          this.metrics.failovers.inc({ kind, result: 'refused' });
          throw new PromotionRefusedError(`${opts.to} is not a reachable secondary of epoch ${cur.record.epoch}`);
        }
        if (named.streamSeq! < best.streamSeq! && !opts.force) {
          await resumeAll();
          this.metrics.failovers.inc({ kind, result: 'refused' });
          throw new PromotionRefusedError(
            `${opts.to} applied through sequence ${named.streamSeq}, ${best.region} through ${best.streamSeq}: promoting ${opts.to} would lose more (use --force)`,
          );
        }
        chosen = named;
      }
      const lossWindowSeconds = Math.max(0, (this.lastPrimaryContact - chosen.commitTs! / 1000) / 1000);
      if (lossWindowSeconds > this.opts.rpoGuardSeconds && !opts.force) {
        await resumeAll();
        this.metrics.failovers.inc({ kind, result: 'refused' });
        throw new PromotionRefusedError(
          `RPO guard: ${chosen.region} is ${lossWindowSeconds.toFixed(1)} s behind the last contact with ${from} (guard ${this.opts.rpoGuardSeconds} s); use --force to promote anyway`,
        );
      }
      const to = chosen.region;
      const target = this.topo.region(to);
      const fork: EpochFork = {
        epoch: cur.record.epoch,
        seq: chosen.streamSeq!,
        commitLsn: chosen.commitLsn!,
        stream: mirrorStreamName(APP_DATABASE, to, cur.record.epoch),
      };
      let next: { record: EpochRecord; revision: number };
      try {
        next = await phase('cas', () => this.advance(cur, to, fork));
      } catch (err) {
        await resumeAll();
        this.metrics.failovers.inc({ kind, result: 'failed' });
        throw err;
      }
      const casAt = Date.now();
      this.record = next.record;
      await phase('promote', () => this.promoteAfterCas(target, next.record, fork));
      await phase('reroute', async () => {
        // The old primary renews its lease only after reading its own epoch from the store: past CAS + lease
        // no write of the old epoch can commit anywhere.
        const wait = casAt + this.opts.leaseMs - Date.now();
        if (wait > 0) await sleep(wait);
        writer.setTarget({ host: '127.0.0.1', port: target.postgres.port });
        writer.accept();
      });
      const refusedTo = Date.now();
      this.setRoles(to);
      await this.tellFollowers(next.record, [from, to]);
      const report: PromotionReport = {
        kind: 'failover',
        automatic: !!opts.automatic,
        from,
        to,
        fromEpoch: cur.record.epoch,
        epoch: next.record.epoch,
        fork,
        startedAt,
        completedAt: Date.now(),
        writerRefused: { from: refusedFrom, to: refusedTo },
        phases,
        candidates,
        lossWindowSeconds,
        forced: !!opts.force,
        rejoin: { region: from, deferred: 'rejoins (re-seeded, losses recorded) once it answers again' },
      };
      this.metrics.failovers.inc({ kind, result: 'ok' });
      this.finish(report);
      return report;
    });
  }

  private gcBelow = 1;

  /**
   * Deletes the streams (source and mirrors) of epochs no region needs any more: every region answers and
   * has applied into epoch ≥ E, so epochs < E − 1 are gone from every catch-up path (the epoch just before
   * E is kept: it holds the fork stream and a returning old primary's unreplicated transactions).
   */
  private async collectOldStreams(minEpoch: number): Promise<void> {
    const below = minEpoch - 1;
    if (below <= this.gcBelow) return;
    const live = this.topo.regions.find((r) => r.name === this.record?.primary) ?? this.topo.regions[0]!;
    const nc = await connect({ servers: [live.urls.nats], name: 'borealis-control-plane-gc', timeout: 2_000 });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 5_000 });
      for (let e = this.gcBelow; e < below; e++) {
        const names = [sourceStreamName(APP_DATABASE, e), ...this.topo.regions.map((r) => mirrorStreamName(APP_DATABASE, r.name, e))];
        for (const n of names) await jsm.streams.delete(n).catch(() => undefined);
        this.log(`deleted the streams of epoch ${e} (every region is in epoch ≥ ${minEpoch})`);
      }
      this.gcBelow = below;
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /** Rejoins (or moves) every region that is behind the current epoch; returns what it did. */
  async reconcile(): Promise<{ region: string; action: string; result?: unknown; error?: string }[]> {
    if (this.reconciling || this.busy) return [];
    this.reconciling = true;
    const out: { region: string; action: string; result?: unknown; error?: string }[] = [];
    try {
      const rec = this.record;
      if (!rec) return out;
      let minEpoch: number | null = rec.epoch;
      for (const r of this.topo.regions) {
        if (r.name === rec.primary) continue;
        const st = await this.agentStatus(r, 500).catch(() => null);
        if (!st) {
          minEpoch = null;
          continue;
        }
        const applied = st.role === 'secondary' ? st.apply?.epoch : st.epoch;
        if (!applied) minEpoch = null;
        else if (minEpoch !== null) minEpoch = Math.min(minEpoch, applied);
        const behind = st.epoch < rec.epoch;
        const diverged = !!st.promotion?.diverged;
        if (!behind && !diverged) continue;
        const seedUrl = await this.seedUrl(r.name, rec.primary);
        try {
          if (st.role === 'primary' || diverged) {
            const res = await this.admin<{ mode: string; lost: unknown[]; lostUnknown: string | null; ms: number }>(
              r,
              'rejoin',
              { mode: 'reseed', epoch: rec.epoch, primary: rec.primary, history: rec.history, seedUrl, force: diverged },
              120_000,
            );
            this.log(`${r.name} rejoined as a secondary of ${rec.primary} (${res.mode}, ${res.lost.length} lost transaction(s) recorded)`);
            out.push({ region: r.name, action: 'rejoin', result: { mode: res.mode, lost: res.lost.length, lostUnknown: res.lostUnknown, ms: res.ms } });
          } else if (!st.promotion?.applyHeld) {
            await this.admin(r, 'follow', { epoch: rec.epoch, primary: rec.primary, history: rec.history, seedUrl }, 5_000);
            out.push({ region: r.name, action: 'follow' });
          }
        } catch (err) {
          out.push({ region: r.name, action: 'rejoin', error: (err as Error).message });
        }
      }
      if (minEpoch !== null && out.length === 0) await this.collectOldStreams(minEpoch).catch((err: unknown) => this.log(`stream cleanup: ${(err as Error).message}`));
    } finally {
      this.reconciling = false;
    }
    return out;
  }

  // ------------------------------------------------------------------ monitor

  private async tick(): Promise<void> {
    if (this.stopped || this.busy) return;
    const rec = this.record;
    if (!rec) return;
    const now = Date.now();
    const primary = this.topo.region(rec.primary);
    let reason: string | null = null;
    const st = await this.agentStatus(primary, 400).catch((err: unknown) => {
      reason = `primary agent ${rec.primary} does not answer (${(err as Error).message})`;
      return null;
    });
    if (st && (st.epoch !== rec.epoch || st.role !== 'primary')) reason = `primary agent ${rec.primary} reports ${st.role} epoch ${st.epoch}`;
    if (st && !reason && !st.ready) reason = `primary agent ${rec.primary} is not ready: ${st.message}`;
    if (!reason) {
      // Missed heartbeats: the primary answers here, but no secondary has applied a heartbeat for a window.
      const secs = this.topo.regions.filter((r) => r.name !== rec.primary);
      const lags = await Promise.all(secs.map((r) => this.agentStatus(r, 400).then((s) => s.apply?.lagSeconds ?? null).catch(() => null)));
      const known = lags.filter((l): l is number => l !== null && l >= 0);
      if (known.length > 0 && known.every((l) => l * 1000 > this.opts.detectionMs)) {
        reason = `no heartbeat of ${rec.primary} reached any secondary for ${Math.min(...known).toFixed(1)} s`;
        // The primary may still be committing (a partition): the loss window keeps growing with the last
        // contact, which is why lastPrimaryContact is not moved back here.
        if (this.unhealthySince === null) this.unhealthySince = now - Math.min(...known) * 1000;
      }
    }
    if (st && st.ready && st.epoch === rec.epoch && st.role === 'primary') this.lastPrimaryContact = now;
    if (!reason) {
      this.unhealthySince = null;
      this.unhealthyReason = null;
      void this.reconcile();
      return;
    }
    if (this.unhealthySince === null) {
      this.unhealthySince = now;
      this.log(`primary ${rec.primary} unhealthy: ${reason}`);
    }
    this.unhealthyReason = reason;
    // No automatic failover right after a promotion: while regions rejoin and cross the epoch their
    // heartbeat lag is not yet the new primary's, and a second failover would flap the primary.
    const coolingDown = now - this.lastPromotionEndedAt < AUTOMATIC_FAILOVER_COOLDOWN_MS;
    if (this.opts.automatic && !coolingDown && now - this.unhealthySince >= this.opts.detectionMs) {
      const detectMs = now - this.unhealthySince;
      this.failover({ automatic: true, reason: `${reason} for ${(detectMs / 1000).toFixed(1)} s`, detectMs }).then(
        () => undefined,
        (err: unknown) => {
          this.log(`automatic failover did not happen: ${(err as Error).message}`);
          // Try again only after another full detection window.
          this.unhealthySince = Date.now();
        },
      );
    }
  }

  /** Resolves when the primary has counted as unhealthy for a full detection window (drills, manual mode). */
  async waitForDetection(timeoutMs = 60_000): Promise<{ detectedAt: number; since: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = this.unhealthySince;
      if (since !== null && Date.now() - since >= this.opts.detectionMs) {
        return { detectedAt: Date.now(), since, reason: this.unhealthyReason ?? 'unhealthy' };
      }
      if (Date.now() > deadline) throw new PromotionFailedError('the primary never counted as failed');
      await sleep(20);
    }
  }

  /** Test/drill helper: the history of the store, as EpochEntry list. */
  epochHistory(): EpochEntry[] {
    return this.record?.history ?? [];
  }
}
