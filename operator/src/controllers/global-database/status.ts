import {
  ConditionType,
  setCondition,
  type Condition,
  type GlobalDatabasePhase,
  type GlobalDatabaseStatus,
  type RegionStatus,
  type ResolvedSpec,
} from '../../api/index.js';
import type { RegionReport } from './agent-status.js';

export interface StatusInput {
  spec: ResolvedSpec;
  generation: number | undefined;
  current: GlobalDatabaseStatus | undefined;
  /** Primary and epoch in force (authoritative store / previous status). */
  epoch: number;
  primaryRegion: string;
  reports: RegionReport[];
  /** Error applying the desired objects, if any. */
  applyError?: string;
  /** A promotion (switchover/failover) is under way. */
  promoting?: { type: 'switchover' | 'failover'; from: string; to: string };
  /** The last promotion attempt failed or was refused: shown on FailingOver=False. */
  promotionProblem?: string;
  now: Date;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function regionStatus(
  name: string,
  primaryRegion: string,
  r: RegionReport | undefined,
): RegionStatus {
  if (!r?.status)
    return {
      name,
      role: 'unknown',
      ready: false,
      message: r?.error ?? 'no report from the region agent yet',
    };
  const s = r.status;
  const out: RegionStatus = { name, role: s.role, ready: s.ready, epoch: s.epoch };
  if (s.role === 'primary' && s.capture) {
    out.appliedLsn = s.capture.confirmedLsn;
    out.streamSeq = s.capture.lastStreamSeq;
  }
  if (s.role === 'secondary' && s.apply) {
    out.appliedLsn = s.apply.commitLsn;
    out.streamSeq = s.apply.streamSeq;
    out.lagSeconds = round(s.apply.lagSeconds);
    out.pendingMessages = s.apply.pendingMessages;
  }
  const expectedRole = name === primaryRegion ? 'primary' : 'secondary';
  if (s.role !== expectedRole)
    out.message = `agent reports role ${s.role}, expected ${expectedRole}`;
  else if (s.message) out.message = s.message;
  return out;
}

/** The whole status a reconcile wants to see, computed from the agents' reports (pure). */
export function computeStatus(input: StatusInput): GlobalDatabaseStatus {
  const { spec, now } = input;
  const byRegion = new Map(input.reports.map((r) => [r.region, r]));
  const regions = spec.regions.map((r) =>
    regionStatus(r.name, input.primaryRegion, byRegion.get(r.name)),
  );
  const ready = regions.filter((r) => r.ready && !r.message?.startsWith('agent reports role'));
  const secondaries = regions.filter((r) => r.name !== input.primaryRegion);
  const lags = secondaries.map((r) => r.lagSeconds).filter((x): x is number => x !== undefined);
  const lagging = secondaries.filter(
    (r) => r.lagSeconds === undefined || r.lagSeconds > spec.maxLagSeconds,
  );
  const notReady = regions.filter((r) => !ready.includes(r));

  let conditions: Condition[] = input.current?.conditions ?? [];
  const set = (type: ConditionType, ok: boolean, reason: string, message: string): void => {
    conditions = setCondition(
      conditions,
      { type, status: ok ? 'True' : 'False', reason, message },
      input.generation,
      now,
    );
  };
  const allReady = notReady.length === 0 && !input.applyError;
  set(
    ConditionType.Ready,
    allReady,
    input.applyError ? 'ApplyFailed' : allReady ? 'AllRegionsReady' : 'RegionsNotReady',
    input.applyError ??
      (allReady
        ? `${regions.length} of ${regions.length} regions ready`
        : `not ready: ${notReady.map((r) => `${r.name} (${r.message ?? 'not ready'})`).join('; ')}`),
  );
  if (secondaries.length === 0)
    set(
      ConditionType.Replicating,
      true,
      'NoSecondaries',
      'single-region database: nothing to replicate',
    );
  else if (lagging.length === 0)
    set(
      ConditionType.Replicating,
      true,
      'WithinMaxLag',
      `every secondary within ${spec.maxLagSeconds}s (max ${Math.max(...lags)}s)`,
    );
  else
    set(
      ConditionType.Replicating,
      false,
      lagging.some((r) => r.lagSeconds === undefined) ? 'NoApplyPosition' : 'Lagging',
      `over ${spec.maxLagSeconds}s or unknown: ${lagging.map((r) => `${r.name} (${r.lagSeconds === undefined ? 'unknown' : `${r.lagSeconds}s`})`).join('; ')}`,
    );
  const degradedReasons = [
    ...notReady.map((r) => `${r.name} not ready`),
    ...lagging.filter((r) => r.lagSeconds !== undefined).map((r) => `${r.name} lagging`),
  ];
  if (input.applyError) degradedReasons.unshift('applying objects failed');
  set(
    ConditionType.Degraded,
    degradedReasons.length > 0,
    degradedReasons.length > 0 ? 'RegionsImpaired' : 'AllHealthy',
    degradedReasons.join('; ') || 'all regions healthy',
  );
  if (input.promoting)
    set(
      ConditionType.FailingOver,
      true,
      input.promoting.type === 'switchover' ? 'SwitchoverInProgress' : 'FailoverInProgress',
      `${input.promoting.type} ${input.promoting.from} → ${input.promoting.to}`,
    );
  else if (input.promotionProblem)
    set(ConditionType.FailingOver, false, 'PromotionNotPerformed', input.promotionProblem);
  else
    set(
      ConditionType.FailingOver,
      false,
      'Idle',
      `primary is ${input.primaryRegion} (epoch ${input.epoch})`,
    );

  let phase: GlobalDatabasePhase;
  if (input.promoting) phase = 'FailingOver';
  else if (allReady && lagging.length === 0) phase = 'Ready';
  else if (
    ready.length === 0 &&
    (!input.current?.phase ||
      input.current.phase === 'Pending' ||
      input.current.phase === 'Provisioning')
  )
    phase = 'Provisioning';
  else phase = 'Degraded';

  const status: GlobalDatabaseStatus = {
    phase,
    epoch: input.epoch,
    primaryRegion: input.primaryRegion,
    regionsReady: `${ready.length}/${regions.length}`,
    regionStates: regions
      .map(
        (r) =>
          `${r.name}=${r.role ?? 'unknown'}/e${r.epoch ?? '?'}${r.role === 'secondary' && r.lagSeconds !== undefined ? `/${r.lagSeconds}s` : ''}${r.ready ? '' : '!'}`,
      )
      .join(' '),
    regions,
    conditions,
  };
  if (input.generation !== undefined) status.observedGeneration = input.generation;
  if (lags.length > 0) status.maxLagSeconds = Math.max(...lags);
  else if (secondaries.length === 0) status.maxLagSeconds = 0;
  if (input.current?.lastFailover) status.lastFailover = input.current.lastFailover;
  // Written by the promotion coordinator (epoch CAS) and the switchover trigger; carried over unchanged.
  if (input.current?.epochHistory) status.epochHistory = input.current.epochHistory;
  status.requestedPrimaryRegion = input.current?.requestedPrimaryRegion ?? input.spec.primaryRegion;
  return status;
}

/** Canonical JSON (sorted keys) for "did the status change?" checks. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
