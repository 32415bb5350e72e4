import pg from 'pg';
import type { DrillReportInput } from '../report/types.js';
import type { Topology } from '../topology/topology.js';
import type { Coordinator, PromotionReport } from './coordinator.js';
import { longestWriteGap, missingAcknowledged, Prober, PROBE_TABLE } from './prober.js';

export type DrillType = 'switchover' | 'failover';
export type Fault = 'kill' | 'freeze' | 'partition';

export interface DrillOptions {
  type: DrillType;
  /** Failover drills: the fault injected into `region` (default: the primary). */
  fault?: Fault;
  /** Failover: the region faulted (default the primary). Switchover: the target (default the first secondary). */
  region?: string;
  /** Failover: promote this region (must be the most advanced unless force). */
  to?: string;
  force?: boolean;
  writesPerSec?: number;
  /** Prober time before the fault, ms (default 2000). */
  preMs?: number;
  /** Prober time after the first write on the new primary, ms (default 1500). */
  settleMs?: number;
  /** Time allowed for the old primary to rejoin and every region to converge, ms (default 120 s). */
  rejoinTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DrillResult {
  drill: { type: DrillType; fault: Fault | null; region: string; from: string; to: string; writesPerSec: number; t0: number; automatic: boolean };
  /** fault (or switchover request) → first write acknowledged on the new primary. */
  rtoSeconds: number | null;
  phases: { detectS: number; decideFenceS: number; promoteS: number; rerouteS: number };
  rpo: { transactions: number; windowSeconds: number; lostNumbers: number[] };
  /** Switchover: longest gap between acknowledged writes around the switchover. */
  writeGapSeconds: number;
  /** acknowledgedByOldPrimaryAfterT0: writes sent after the writer endpoint left the old primary yet acknowledged by it (must be 0). */
  writes: { attempted: number; acknowledged: number; failed: number; acknowledgedByOldPrimaryAfterT0: number };
  reads: { region: string; ok: number; failed: number }[];
  splitBrain: { checked: boolean; oldPrimaryRejectedWrite: boolean | null; error?: string };
  /**
   * The old primary after the fault: whether it rejoined as a secondary of the new epoch, how many transactions
   * it recorded in borealis.lost_transactions, and which probe numbers of this drill are among them.
   */
  rejoin: { region: string; rejoined: boolean; role?: string; epoch?: number; lostRecorded?: number; lostProbeNumbers?: number[]; note?: string };
  converged: { ok: boolean; regions: { region: string; rows: number | null }[]; expected: number };
  promotion: PromotionReport;
  report: DrillReportInput;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = [], timeoutMs = 3_000): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The processes of a region (agent, PostgreSQL incl. readers, nats-server, its control cluster member). */
function regionProcesses(topo: Topology, region: string) {
  const r = topo.region(region);
  const procs = [r.postgres.process, ...r.readers.map((x) => x.process), r.nats.process];
  if (r.agent) procs.unshift(r.agent.process);
  for (const m of topo.control?.members ?? []) if (m.region === region) procs.push(m.process);
  return procs;
}

/**
 * Signals a process and its whole process group: each managed process leads its own group, and a
 * postmaster's backends (which commit client transactions) are its children — stopping the postmaster alone
 * would leave them committing.
 */
function signalGroup(p: { pid: number; exited: boolean }, sig: NodeJS.Signals): void {
  if (p.exited) return;
  try {
    process.kill(-p.pid, sig);
  } catch {
    try {
      process.kill(p.pid, sig);
    } catch {
      // already gone
    }
  }
}

export async function injectFault(topo: Topology, fault: Fault, region: string): Promise<void> {
  const procs = regionProcesses(topo, region);
  if (fault === 'kill') {
    for (const p of procs) signalGroup(p, 'SIGKILL');
    await Promise.all(procs.map((p) => p.waitExit()));
  } else if (fault === 'freeze') for (const p of procs) signalGroup(p, 'SIGSTOP');
  else topo.isolate(region);
}

export async function recoverFault(topo: Topology, fault: Fault, region: string): Promise<boolean> {
  if (fault === 'freeze') {
    for (const p of regionProcesses(topo, region)) signalGroup(p, 'SIGCONT');
    return true;
  }
  if (fault === 'partition') {
    topo.heal(region);
    return true;
  }
  await topo.restartRegion(region); // kill: every process starts again on its own data
  return true;
}

/**
 * A regional-outage drill on a running topology: a prober writes numbered rows through the writer endpoint
 * and reads every region before, during and after the fault (or switchover); RTO is fault → first write
 * acknowledged by the new primary, RPO the acknowledged writes missing on the new primary (DESIGN §6).
 */
export async function runDrill(topo: Topology, coord: Coordinator, o: DrillOptions): Promise<DrillResult> {
  const log = o.log ?? (() => undefined);
  const rec = coord.current;
  if (!rec) throw new Error('the coordinator has no epoch record');
  if (coord.promoting) throw new Error('a promotion is in progress');
  const from = rec.primary;
  const writesPerSec = o.writesPerSec ?? 50;
  const fault = o.type === 'failover' ? (o.fault ?? 'kill') : null;
  const faultRegion = o.type === 'failover' ? (o.region ?? from) : from;
  if (o.type === 'failover' && faultRegion !== from) throw new Error(`a failover drill faults the primary (${from}), not ${faultRegion}`);
  const switchTo = o.type === 'switchover' ? (o.region ?? topo.regions.find((r) => r.name !== from)!.name) : undefined;
  const writerUrl = topo.describe().writer;
  const run = `drill-${Date.now()}`;
  const rolesBefore = new Map(topo.regions.map((r) => [r.name, r.role] as const));

  await Prober.createTable(writerUrl);
  const prober = new Prober({ writerUrl, readers: topo.regions.map((r) => ({ region: r.name, url: r.urls.reader })), writesPerSec, run });
  const lag = new Map<string, { t: number; seconds: number }[]>(topo.regions.map((r) => [r.name, []]));
  const lagTimer = setInterval(() => {
    for (const r of topo.regions) {
      void coord.agentStatus(r, 400).then(
        (s) => {
          if (s.apply && s.apply.lagSeconds >= 0) lag.get(r.name)!.push({ t: Date.now(), seconds: s.apply.lagSeconds });
        },
        () => undefined,
      );
    }
  }, 250);
  let faulted = false;
  try {
    prober.start();
    // Every region has the probe table and rows before the fault.
    const deadline = Date.now() + 30_000;
    await sleep(o.preMs ?? 2_000);
    for (;;) {
      const seen = prober.reads.filter((x) => x.ok && (x.maxN ?? 0) > 0).map((x) => x.region);
      if (topo.regions.every((r) => seen.includes(r.name))) break;
      if (Date.now() > deadline) throw new Error(`not every region replicates the probe rows (seen in ${[...new Set(seen)].join(', ')})`);
      await sleep(100);
    }

    const t0 = Date.now();
    let promotion: PromotionReport;
    if (o.type === 'switchover') {
      log(`switchover ${from} → ${switchTo} under ${writesPerSec} writes/s`);
      promotion = await coord.switchover(switchTo!);
    } else {
      log(`fault: ${fault} ${faultRegion} under ${writesPerSec} writes/s`);
      let auto: Promise<PromotionReport> | null = null;
      if (coord.opts.automatic) {
        auto = new Promise((resolve) => {
          const unsubscribe = coord.onPromotion((r) => {
            unsubscribe();
            resolve(r);
          });
        });
      }
      await injectFault(topo, fault!, faultRegion);
      faulted = true;
      if (auto) {
        promotion = await Promise.race([
          auto,
          sleep(60_000).then(() => {
            throw new Error('automatic failover did not happen within 60 s');
          }),
        ]);
      } else {
        await coord.waitForDetection();
        promotion = await coord.failover({ to: o.to, force: o.force, detectMs: Date.now() - t0 });
      }
    }
    const to = promotion.to;
    const newPort = topo.region(to).postgres.port;
    const oldPort = topo.region(from).postgres.port;
    let firstAck: number | null = null;
    const ackDeadline = Date.now() + 60_000;
    while (firstAck === null && Date.now() < ackDeadline) {
      const e = prober.ledger.find((x) => x.ackAt !== undefined && x.ackAt > t0 && x.port === newPort);
      if (e) firstAck = e.ackAt!;
      else await sleep(20);
    }
    log(`first write on ${to} ${firstAck === null ? 'never acknowledged' : `after ${((firstAck - t0) / 1000).toFixed(3)} s`}`);
    await sleep(o.settleMs ?? 1_500);

    // Recover the faulted region; the coordinator's monitor rejoins it as a secondary.
    let recovered = true;
    if (fault) {
      recovered = await recoverFault(topo, fault, faultRegion);
      faulted = false;
    }
    const splitBrain: DrillResult['splitBrain'] = { checked: false, oldPrimaryRejectedWrite: null };
    if (fault && recovered) {
      // A client writing straight to the old primary after it came back must be refused.
      splitBrain.checked = true;
      try {
        await query(topo.region(from).postgres.url, `INSERT INTO public.${PROBE_TABLE} (run, n) VALUES ($1, -1)`, [`${run}-split`], 5_000);
        splitBrain.oldPrimaryRejectedWrite = false;
      } catch (err) {
        splitBrain.oldPrimaryRejectedWrite = true;
        splitBrain.error = (err as Error).message;
      }
    }
    const rejoin: DrillResult['rejoin'] = { region: from, rejoined: false };
    if (recovered) {
      const deadline2 = Date.now() + (o.rejoinTimeoutMs ?? 120_000);
      for (;;) {
        const s = await coord.agentStatus(topo.region(from), 1_000).catch(() => null);
        if (s && s.role === 'secondary' && s.epoch === promotion.epoch && s.apply && s.apply.epoch === promotion.epoch && s.ready) {
          rejoin.rejoined = true;
          rejoin.role = s.role;
          rejoin.epoch = s.epoch;
          break;
        }
        if (Date.now() > deadline2) {
          rejoin.note = `not rejoined in time (${s ? `${s.role} epoch ${s.epoch}: ${s.message}` : 'no answer'})`;
          break;
        }
        await sleep(200);
      }
      if (rejoin.rejoined) {
        const lost = await query<{ n: string }>(topo.region(from).postgres.url, 'SELECT count(*) AS n FROM borealis.lost_transactions WHERE epoch = $1', [promotion.fromEpoch]).catch(() => null);
        rejoin.lostRecorded = lost ? Number(lost[0]!.n) : undefined;
        const nums = await query<{ n: string }>(
          topo.region(from).postgres.url,
          `SELECT (c->'new'->>'n')::bigint AS n FROM borealis.lost_transactions, jsonb_array_elements(changes) c
            WHERE epoch = $1 AND c->>'table' = $2 AND c->'new'->>'run' = $3 ORDER BY 1`,
          [promotion.fromEpoch, PROBE_TABLE, run],
        ).catch(() => null);
        rejoin.lostProbeNumbers = nums ? nums.map((x) => Number(x.n)) : undefined;
      }
    } else {
      rejoin.note = `${from} did not come back`;
    }
    await prober.stop();

    // RPO against the ledger, on the new primary.
    const present = new Set(
      (await query<{ n: string }>(topo.region(to).postgres.url, `SELECT n FROM public.${PROBE_TABLE} WHERE run = $1`, [run])).map((r) => Number(r.n)),
    );
    const rpo = missingAcknowledged(prober.ledger, present);
    // Convergence: every live region holds exactly the new primary's rows.
    const expected = present.size;
    const live = topo.regions.filter((r) => r.name !== from || rejoin.rejoined);
    const counts: { region: string; rows: number | null }[] = [];
    const deadline3 = Date.now() + 60_000;
    for (const r of live) {
      let rows: number | null = null;
      for (;;) {
        rows = await query<{ n: string }>(r.postgres.url, `SELECT count(*) AS n FROM public.${PROBE_TABLE} WHERE run = $1`, [run])
          .then((x) => Number(x[0]!.n))
          .catch(() => null);
        if (rows === expected || Date.now() > deadline3) break;
        await sleep(200);
      }
      counts.push({ region: r.name, rows });
    }
    const acked = prober.acknowledged();
    const phaseEnd = (name: string) => {
      const p = promotion.phases.find((x) => x.phase === name);
      return p ? p.startedAt + p.ms : promotion.startedAt;
    };
    const casEnd = phaseEnd('cas');
    const promoteEnd = phaseEnd('promote');
    const phases = {
      detectS: Math.max(0, (promotion.startedAt - t0) / 1000),
      decideFenceS: Math.max(0, (casEnd - Math.max(t0, promotion.startedAt)) / 1000),
      promoteS: Math.max(0, (promoteEnd - casEnd) / 1000),
      rerouteS: firstAck !== null ? Math.max(0, (firstAck - promoteEnd) / 1000) : 0,
    };
    const result: DrillResult = {
      drill: { type: o.type, fault, region: o.type === 'failover' ? faultRegion : switchTo!, from, to, writesPerSec, t0, automatic: promotion.automatic },
      rtoSeconds: firstAck !== null ? (firstAck - t0) / 1000 : null,
      phases,
      rpo: { transactions: rpo.count, windowSeconds: rpo.windowSeconds, lostNumbers: rpo.numbers },
      writeGapSeconds: longestWriteGap(prober.ledger, t0, firstAck ?? Date.now()) / 1000,
      writes: {
        attempted: prober.ledger.length,
        acknowledged: acked.length,
        failed: prober.ledger.length - acked.length,
        // Writes sent after the writer endpoint stopped routing to the old primary, yet acknowledged by it.
        acknowledgedByOldPrimaryAfterT0: acked.filter((e) => e.port === oldPort && e.sentAt > promotion.writerRefused.from).length,
      },
      reads: topo.regions.map((r) => ({
        region: r.name,
        ok: prober.reads.filter((x) => x.region === r.name && x.ok).length,
        failed: prober.reads.filter((x) => x.region === r.name && !x.ok).length,
      })),
      splitBrain,
      rejoin,
      converged: { ok: counts.every((c) => c.rows === expected), regions: counts, expected },
      promotion,
      report: {
        type: o.type,
        fault,
        regions: topo.regions.map((r) => ({
          name: r.name,
          roleBefore: rolesBefore.get(r.name) ?? 'secondary',
          roleAfter: r.name === from && !rejoin.rejoined ? 'down' : r.role,
        })),
        from,
        to,
        t0,
        epochBefore: promotion.fromEpoch,
        epochAfter: promotion.epoch,
        writes: prober.ledger.map((e) => ({
          t: e.ackAt ?? e.sentAt,
          ok: e.ackAt !== undefined,
          region: e.port !== undefined ? topo.regions.find((r) => r.postgres.port === e.port)?.name : undefined,
          seq: e.n,
          error: e.error,
        })),
        lag: [...lag.entries()].map(([region, samples]) => ({ region, samples })),
        phases: [
          { name: 'detect', start: t0, end: Math.max(t0, promotion.startedAt) },
          { name: 'fence', start: Math.max(t0, promotion.startedAt), end: casEnd },
          { name: 'promote', start: casEnd, end: promoteEnd },
          { name: 'reroute', start: promoteEnd, end: firstAck ?? promoteEnd },
        ],
        rto: { seconds: firstAck !== null ? (firstAck - t0) / 1000 : null, firstWriteAt: firstAck ?? undefined },
        rpo: { transactions: rpo.count, windowSeconds: rpo.windowSeconds, lostSeqs: rpo.numbers },
        result: firstAck === null ? 'failed: no write acknowledged by the new primary' : 'passed',
      },
    };
    return result;
  } finally {
    clearInterval(lagTimer);
    await prober.stop();
    if (faulted && fault) await recoverFault(topo, fault, faultRegion).catch(() => undefined);
  }
}
