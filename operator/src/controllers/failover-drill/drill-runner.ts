import {
  ConditionType,
  setCondition,
  type DrillPhase,
  type DrillPhaseName,
  type FailoverDrill,
  type FailoverDrillStatus,
  type GlobalDatabase,
} from '../../api/index.js';
import type { PromotionResult, PromotionType, RegionRef } from '../../failover/index.js';
import type { DrillHarness, ProberRun } from './harness.js';

/** What a drill needs from the world; the controller wires these to Kubernetes, unit tests to fakes. */
export interface DrillPorts {
  getGlobalDatabase(namespace: string, name: string): Promise<GlobalDatabase | undefined>;
  /** Runs the promotion (a failover without `to` chooses the most advanced secondary), or joins the one under way. */
  promote(
    gdb: GlobalDatabase,
    type: PromotionType,
    to: string | undefined,
    opts: { force?: boolean },
  ): Promise<PromotionResult>;
  /** Region the writer endpoint currently selects. */
  writerRegion(gdb: GlobalDatabase): Promise<string | undefined>;
  writeStatus(status: FailoverDrillStatus): Promise<void>;
  harness: DrillHarness;
  sleep(ms: number): Promise<void>;
  now(): Date;
}

export class DrillError extends Error {
  override readonly name = 'DrillError';
}

const iso = (d: Date): string => d.toISOString();

/**
 * Chooses the drill's target: the declared one; for a switchover without one, the ready secondary that applied
 * the most; for a failover without one, undefined — the coordinator chooses once every secondary's apply is held.
 */
export function chooseTarget(drill: FailoverDrill, gdb: GlobalDatabase): string | undefined {
  const primary = gdb.status?.primaryRegion;
  const regions = gdb.spec.regions.map((r) => r.name);
  if (drill.spec.targetRegion) {
    if (!regions.includes(drill.spec.targetRegion))
      throw new DrillError(
        `spec.targetRegion "${drill.spec.targetRegion}" is not a region of GlobalDatabase ${gdb.metadata.name} (regions: ${regions.join(', ')})`,
      );
    if (drill.spec.targetRegion === primary)
      throw new DrillError(
        `spec.targetRegion "${drill.spec.targetRegion}" is already the primary: name a secondary or omit it`,
      );
    return drill.spec.targetRegion;
  }
  if (drill.spec.type === 'failover') return undefined;
  const best = (gdb.status?.regions ?? [])
    .filter((r) => r.name !== primary && r.ready && r.streamSeq !== undefined)
    .sort(
      (a, b) =>
        (b.streamSeq ?? 0) - (a.streamSeq ?? 0) ||
        (a.lagSeconds ?? 0) - (b.lagSeconds ?? 0) ||
        a.name.localeCompare(b.name),
    )[0];
  if (!best)
    throw new DrillError(
      `no ready secondary of GlobalDatabase ${gdb.metadata.name} to promote: wait for status.regions to show a ready secondary, or set spec.targetRegion`,
    );
  return best.name;
}

/** Runs one drill to the end, writing every phase with timestamps; never throws (failures end in result Failed). */
export async function runDrill(drill: FailoverDrill, p: DrillPorts): Promise<FailoverDrillStatus> {
  const ns = drill.metadata.namespace ?? 'default';
  const status: FailoverDrillStatus = {
    startedAt: iso(p.now()),
    phases: [],
    observedGeneration: drill.metadata.generation ?? 1,
  };
  let current: DrillPhase | undefined;
  const advance = (name: DrillPhaseName, message?: string): void => {
    const t = p.now();
    if (current) {
      current.completedAt = iso(t);
      current.seconds = (t.getTime() - Date.parse(current.startedAt)) / 1000;
    }
    current = { name, startedAt: iso(t) };
    if (message) current.message = message;
    status.phases!.push(current);
    status.phase = name;
  };
  const enter = async (name: DrillPhaseName, message?: string): Promise<void> => {
    advance(name, message);
    await p.writeStatus(structuredClone(status));
  };
  let undoFault: (() => Promise<void>) | undefined;
  let prober: ProberRun | undefined;
  try {
    await enter('Preparing');
    const gdb = await p.getGlobalDatabase(ns, drill.spec.globalDatabase);
    if (!gdb)
      throw new DrillError(
        `GlobalDatabase "${drill.spec.globalDatabase}" not found in namespace ${ns} (spec.globalDatabase)`,
      );
    const from = gdb.status?.primaryRegion;
    if (!from || !gdb.status?.epoch)
      throw new DrillError(
        `GlobalDatabase ${drill.spec.globalDatabase} has no primary in its status yet: wait until the operator reconciled it`,
      );
    status.from = from;
    let to = chooseTarget(drill, gdb);
    if (to) status.to = to;
    const primaryStatus = gdb.status.regions?.find((r) => r.name === from);
    if (!primaryStatus?.ready)
      throw new DrillError(
        `primary region ${from} is not ready (${primaryStatus?.message ?? 'no report'}): a drill starts from a healthy GlobalDatabase; wait for phase Ready`,
      );
    const ref = (region: string): RegionRef => ({
      namespace: ns,
      globalDatabase: gdb.metadata.name,
      region,
    });
    prober = await p.harness.startProber({
      ...ref(from),
      writesPerSecond: drill.spec.workload?.writesPerSecond ?? 50,
    });
    let t0: Date;
    if (drill.spec.type === 'failover') {
      await enter('InjectingFault', `${drill.spec.fault} ${from}`);
      t0 = p.now();
      undoFault = await p.harness.injectFault(ref(from), drill.spec.fault ?? 'kill');
      await enter('Detecting');
      const detectMs = (gdb.spec.failover?.detectionSeconds ?? 10) * 1000 * 3;
      for (let waited = 0; ; waited += 500) {
        const g = await p.getGlobalDatabase(ns, gdb.metadata.name);
        if (g?.status?.regions?.find((r) => r.name === from)?.ready === false) break;
        if (waited >= detectMs)
          throw new DrillError(
            `the operator did not see region ${from} fail within ${detectMs / 1000}s of the ${drill.spec.fault} fault`,
          );
        await p.sleep(500);
      }
    } else t0 = p.now();
    await enter('Promoting', `${drill.spec.type} ${from} → ${to ?? 'the most advanced secondary'}`);
    const opts: { force?: boolean } = {};
    if (drill.spec.force) opts.force = true;
    const result = await p.promote(gdb, drill.spec.type, to, opts);
    to = result.to;
    status.to = to;
    status.promotionPhases = result.phases.map((ph) => ({ name: ph.name, seconds: ph.seconds }));
    if (!result.ok)
      throw new DrillError(
        `${drill.spec.type} ${from} → ${to || '(none)'} ${result.refused ? 'refused' : 'failed'}: ${result.error}`,
      );
    status.epoch = result.epoch;
    await enter('Rerouting');
    for (let waited = 0; (await p.writerRegion(gdb)) !== to; waited += 250) {
      if (waited >= 60_000)
        throw new DrillError(`the writer endpoint did not move to ${to} within 60s`);
      await p.sleep(250);
    }
    await enter('Verifying');
    const firstWrite = await prober.firstAcknowledgedWriteAfter(t0, 120_000, to);
    const loss = await prober.stop(ref(to));
    status.rtoSeconds = Math.round(firstWrite.getTime() - t0.getTime()) / 1000;
    status.rpoTransactions = loss.lostTransactions;
    status.rpoSeconds = loss.lostWindowSeconds;
    status.acknowledgedWrites = loss.acknowledged;
    if (drill.spec.type === 'switchover' && loss.lostTransactions > 0)
      throw new DrillError(
        `switchover lost ${loss.lostTransactions} acknowledged writes: a planned switchover must lose none`,
      );
    status.result = 'Succeeded';
    status.message = `${drill.spec.type} ${from} → ${to}: RTO ${status.rtoSeconds}s, RPO ${status.rpoTransactions} transactions`;
  } catch (err) {
    status.result = 'Failed';
    status.message = `${current ? `phase ${current.name}: ` : ''}${(err as Error).message}`;
    if (current) current.message = (err as Error).message;
  } finally {
    await prober?.close().catch(() => undefined);
    if (undoFault) await undoFault().catch(() => undefined);
  }
  // The last write carries result, completedAt and the condition together: readers never see a partial end.
  advance('Completed');
  status.completedAt = current!.startedAt;
  current!.completedAt = current!.startedAt;
  current!.seconds = 0;
  status.conditions = setCondition(
    status.conditions,
    {
      type: ConditionType.Completed,
      status: 'True',
      reason: status.result === 'Succeeded' ? 'Succeeded' : 'Failed',
      message: status.message ?? '',
    },
    status.observedGeneration,
    p.now(),
  );
  await p.writeStatus(structuredClone(status));
  return status;
}
