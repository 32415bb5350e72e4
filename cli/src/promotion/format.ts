import type { PromotionReport } from './coordinator.js';
import type { DrillResult } from './drill.js';

const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** Human lines of a promotion: the phases with durations, the epoch move, what was lost. */
export function formatPromotion(r: PromotionReport): string {
  const lines = [
    `${r.kind}${r.automatic ? ' (automatic)' : ''}: ${r.from} → ${r.to}, epoch ${r.fromEpoch} → ${r.epoch}, fork at ${r.fork.epoch}/${r.fork.seq} (${r.fork.commitLsn})`,
  ];
  for (const p of r.phases) lines.push(`  ${p.phase.padEnd(9)} ${s(p.ms)}`);
  lines.push(`  total     ${s(r.completedAt - r.startedAt)}; writer endpoint refused connections for ${s(r.writerRefused.to - r.writerRefused.from)}`);
  if (r.candidates) {
    for (const c of r.candidates) {
      lines.push(`  candidate ${c.region.padEnd(9)} ${c.reachable ? `applied ${c.epoch}/${c.streamSeq}` : `unreachable (${c.error})`}`);
    }
  }
  if (r.lossWindowSeconds !== undefined) lines.push(`  estimated loss window ${r.lossWindowSeconds.toFixed(3)} s${r.forced ? ' (forced)' : ''}`);
  if (r.rejoin && 'mode' in r.rejoin) lines.push(`  ${r.rejoin.region} rejoined as a secondary (${r.rejoin.mode}), ${r.rejoin.lost} transaction(s) lost`);
  else if (r.rejoin) lines.push(`  ${r.rejoin.region}: ${r.rejoin.deferred}`);
  return lines.join('\n');
}

/** Human summary of a drill. */
export function formatDrill(r: DrillResult): string {
  const d = r.drill;
  const lines = [
    `${d.type} drill${d.fault ? `: ${d.fault} ${d.region}` : `: ${d.from} → ${d.to}`} at ${d.writesPerSec} writes/s${d.automatic ? ' (automatic failover)' : ''}`,
    `  RTO ${r.rtoSeconds === null ? 'none (no write acknowledged by the new primary)' : `${r.rtoSeconds.toFixed(3)} s`}  (detect ${r.phases.detectS.toFixed(3)} s, decide+fence ${r.phases.decideFenceS.toFixed(3)} s, promote ${r.phases.promoteS.toFixed(3)} s, reroute ${r.phases.rerouteS.toFixed(3)} s)`,
    `  RPO ${r.rpo.transactions} acknowledged write(s) lost, window ${r.rpo.windowSeconds.toFixed(3)} s`,
    `  write gap ${r.writeGapSeconds.toFixed(3)} s; writes ${r.writes.acknowledged}/${r.writes.attempted} acknowledged`,
    `  new primary ${d.to} (epoch ${r.promotion.epoch}); ${d.from} ${r.rejoin.rejoined ? `rejoined as a secondary, ${r.rejoin.lostRecorded ?? 0} lost transaction(s) recorded` : (r.rejoin.note ?? 'did not rejoin')}`,
  ];
  if (r.splitBrain.checked) lines.push(`  split brain: a direct write to ${d.from} after it came back was ${r.splitBrain.oldPrimaryRejectedWrite ? 'refused' : 'ACCEPTED'}`);
  lines.push(`  converged: ${r.converged.ok ? 'yes' : 'NO'} (${r.converged.regions.map((x) => `${x.region} ${x.rows}`).join(', ')} of ${r.converged.expected} rows)`);
  lines.push(`  reads: ${r.reads.map((x) => `${x.region} ${x.ok} ok/${x.failed} failed`).join(', ')}`);
  return lines.join('\n');
}
