/**
 * Pure rendering of the per-region status table shown by `borealis status` and the demo's live view, from
 * each agent's GET /status document (AgentStatus, exported by @borealis/region-agent).
 */
import type { AgentStatus } from '@borealis/region-agent';

export interface RegionStatusRow {
  name: string;
  role: 'primary' | 'secondary';
  /** The agent's /status, or why it could not be read. */
  status: AgentStatus | { error: string };
  /** Transactions per second since the previous sample (captured on the primary, applied on secondaries). */
  txPerSecond?: number | null;
}

function hasStatus(s: RegionStatusRow['status']): s is AgentStatus {
  return !('error' in s);
}

/** Seconds as a short human figure: 0.8ms, 12ms, 1.25s, 2m03s. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '-';
  if (s < 0.001) return `${(s * 1e3).toFixed(2)}ms`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 0.01 ? 1 : 0)}ms`;
  if (s < 60) return `${s.toFixed(2)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/** The position column: stream sequence and commit LSN of the newest captured (primary) or applied transaction. */
export function positionOf(s: AgentStatus): string {
  if (s.role === 'primary' && s.capture)
    return `seq ${s.capture.lastStreamSeq} @ ${s.capture.confirmedLsn}`;
  if (s.apply) return `seq ${s.apply.streamSeq} @ ${s.apply.commitLsn}`;
  return '-';
}

/** Counter used for tx/s: captured on the primary, applied on secondaries. */
export function transactionCount(s: AgentStatus): number | undefined {
  if (s.role === 'primary') return s.capture?.capturedTransactions;
  return s.apply?.appliedTransactions;
}

export const STATUS_COLUMNS = [
  'REGION',
  'ROLE',
  'READY',
  'POSITION',
  'LAG',
  'P50',
  'P99',
  'TX/S',
  'PENDING',
] as const;

export function statusCells(row: RegionStatusRow): string[] {
  const s = row.status;
  if (!hasStatus(s))
    return [row.name, row.role, 'no', `unreachable: ${s.error}`, '-', '-', '-', '-', '-'];
  const tps = row.txPerSecond;
  return [
    row.name,
    s.role,
    s.ready ? 'yes' : 'no',
    positionOf(s),
    s.role === 'primary' ? '-' : formatSeconds(s.apply?.lagSeconds),
    s.role === 'primary' ? '-' : formatSeconds(s.apply?.applyDelayP50Seconds),
    s.role === 'primary' ? '-' : formatSeconds(s.apply?.applyDelayP99Seconds),
    tps === null || tps === undefined ? '-' : tps.toFixed(0),
    s.role === 'primary' ? '-' : String(s.apply?.pendingMessages ?? '-'),
  ];
}

/** Left-aligned text table with a header line. */
export function renderTable(header: readonly string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function renderStatusTable(rows: RegionStatusRow[]): string {
  const lines = renderTable(STATUS_COLUMNS, rows.map(statusCells));
  const notes = rows
    .filter((r) => hasStatus(r.status) && !r.status.ready && r.status.message)
    .map((r) => `  ${r.name}: ${(r.status as AgentStatus).message}`);
  return notes.length > 0 ? `${lines}\n${notes.join('\n')}` : lines;
}

/** tx/s between two samples of the same region (null when unknown or the counter went backwards). */
export function rate(
  prev: number | undefined,
  next: number | undefined,
  seconds: number,
): number | null {
  if (prev === undefined || next === undefined || seconds <= 0 || next < prev) return null;
  return (next - prev) / seconds;
}
