import { attrs, esc, linear, num, ticks } from './svg.js';
import type { DrillReportInput } from './types.js';

export const REGION_COLORS = ['#1f77b4', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
export const PHASE_COLORS: Record<string, string> = {
  detect: '#f5b841',
  fence: '#a05195',
  catch_up: '#d45087',
  decide: '#665191',
  promote: '#2f4b7c',
  reroute: '#00a6a6',
  rejoin: '#8fb339',
};
export const WRITE_COLORS = { ok: '#2ca02c', error: '#d62728', mixed: '#ff9f1c' } as const;
const OTHER_PHASE_COLOR = '#7f7f7f';

const WIDTH = 1100;
const LEFT = 170;
const RIGHT = 24;
const PLOT_W = WIDTH - LEFT - RIGHT;

export class DrillReportInputError extends Error {
  override name = 'DrillReportInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function check(input: DrillReportInput): void {
  if (!Number.isFinite(input.t0)) throw new DrillReportInputError('t0 must be a time in ms since the epoch');
  for (const p of input.phases) {
    if (!(p.end >= p.start)) throw new DrillReportInputError(`phase ${p.name} ends (${p.end}) before it starts (${p.start})`);
  }
  if (input.rpo.transactions < 0 || input.rpo.windowSeconds < 0) throw new DrillReportInputError('RPO cannot be negative');
}

/** Color of each region, by its position in input.regions (stable across reports of one topology). */
function regionColors(input: DrillReportInput): Map<string, string> {
  const names = [...input.regions.map((r) => r.name), ...input.lag.map((l) => l.region), ...input.writes.flatMap((w) => (w.region ? [w.region] : []))];
  const m = new Map<string, string>();
  for (const n of names) if (!m.has(n)) m.set(n, REGION_COLORS[m.size % REGION_COLORS.length]!);
  return m;
}

function relSeconds(t: number, t0: number): string {
  const s = (t - t0) / 1000;
  return `${s >= 0 ? '+' : '−'}${num(Math.abs(s), 3)} s`;
}

/** The SVG timeline: promotion phases, write availability (and the region serving), lag per region. */
export function renderTimeline(input: DrillReportInput): string {
  const colors = regionColors(input);
  const times = [
    input.t0,
    ...input.writes.map((w) => w.t),
    ...input.lag.flatMap((l) => l.samples.map((s) => s.t)),
    ...input.phases.flatMap((p) => [p.start, p.end]),
    ...(input.rto.firstWriteAt !== undefined ? [input.rto.firstWriteAt] : []),
  ];
  const rawMin = Math.min(...times);
  const rawMax = Math.max(...times, rawMin + 1000);
  const pad = (rawMax - rawMin) * 0.02;
  const tMin = rawMin - pad;
  const tMax = rawMax + pad;
  const x = linear(tMin, tMax, LEFT, LEFT + PLOT_W);
  const parts: string[] = [];
  let y = 10;

  // Lane 1: promotion phases, one row each.
  const phaseTop = y;
  parts.push(`<text class="lane-title" x="8" y="${y + 12}">Promotion phases</text>`);
  y += 20;
  if (input.phases.length === 0) {
    parts.push(`<text class="empty" x="${LEFT}" y="${y + 12}">no promotion phases recorded</text>`);
    y += 20;
  }
  for (const p of input.phases) {
    const color = PHASE_COLORS[p.name] ?? OTHER_PHASE_COLOR;
    const x0 = x(p.start);
    const w = Math.max(2, x(p.end) - x0);
    const d = (p.end - p.start) / 1000;
    parts.push(`<text class="label" x="16" y="${y + 13}">${esc(p.name)}</text>`);
    parts.push(`<rect${attrs({ class: 'phase', 'data-phase': p.name, x: num(x0, 2), y, width: num(w, 2), height: 16, fill: color, rx: 2 })}><title>${esc(`${p.name}: ${num(d)} s (${relSeconds(p.start, input.t0)} → ${relSeconds(p.end, input.t0)})`)}</title></rect>`);
    const textX = x0 + w + 4 > LEFT + PLOT_W - 60 ? x0 - 4 : x0 + w + 4;
    parts.push(`<text class="value" x="${num(textX, 2)}" y="${y + 13}"${textX < x0 ? ' text-anchor="end"' : ''}>${num(d)} s</text>`);
    y += 20;
  }
  const phaseBottom = y;
  y += 14;

  // Lane 2: prober writes through the writer endpoint, binned.
  const writesTop = y;
  parts.push(`<text class="lane-title" x="8" y="${y + 12}">Writes (writer endpoint)</text>`);
  y += 20;
  // Bins no narrower than 2.5 px, nor than the prober's usual interval between writes (so that a steady
  // prober draws a continuous bar and a gap means no write was answered).
  const writeTimes = input.writes.map((w) => w.t).sort((a, b) => a - b);
  const gaps = writeTimes.slice(1).map((t, i) => t - writeTimes[i]!).sort((a, b) => a - b);
  const typicalGap = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 0;
  const bins = Math.max(1, Math.min(Math.floor(PLOT_W / 2.5), typicalGap > 0 ? Math.floor((tMax - tMin) / (1.5 * typicalGap)) : Infinity));
  const binOf = (t: number) => Math.min(bins - 1, Math.max(0, Math.floor(((t - tMin) / (tMax - tMin)) * bins)));
  const ok = new Array<number>(bins).fill(0);
  const failed = new Array<number>(bins).fill(0);
  const served: Map<string, number>[] = Array.from({ length: bins }, () => new Map<string, number>());
  for (const w of input.writes) {
    const b = binOf(w.t);
    if (w.ok) {
      ok[b]!++;
      if (w.region) served[b]!.set(w.region, (served[b]!.get(w.region) ?? 0) + 1);
    } else {
      failed[b]!++;
    }
  }
  const binW = PLOT_W / bins;
  parts.push(`<text class="label" x="16" y="${y + 15}">acknowledged / failed</text>`);
  parts.push(`<text class="label" x="16" y="${y + 36}">served by</text>`);
  for (let b = 0; b < bins; b++) {
    const o = ok[b]!;
    const f = failed[b]!;
    if (o + f === 0) continue;
    const state = f === 0 ? 'ok' : o === 0 ? 'error' : 'mixed';
    const bx = LEFT + b * binW;
    parts.push(`<rect${attrs({ class: 'write-bin', 'data-state': state, x: num(bx, 2), y, width: num(binW + 0.3, 2), height: 22, fill: WRITE_COLORS[state] })}/>`);
    const top = [...served[b]!.entries()].sort((a, c) => c[1] - a[1])[0];
    if (top) parts.push(`<rect${attrs({ class: 'served-bin', 'data-region': top[0], x: num(bx, 2), y: y + 27, width: num(binW + 0.3, 2), height: 10, fill: colors.get(top[0]) ?? '#999' })}/>`);
  }
  if (input.writes.length === 0) parts.push(`<text class="empty" x="${LEFT}" y="${y + 15}">no prober writes recorded</text>`);
  y += 44;
  const writesBottom = y;
  y += 14;

  // Lane 3: replication lag per region.
  const lagTop = y;
  parts.push(`<text class="lane-title" x="8" y="${y + 12}">Replication lag</text>`);
  y += 20;
  const lagH = 170;
  const maxLag = Math.max(0, ...input.lag.flatMap((l) => l.samples.map((s) => s.seconds)));
  const lagTicks = ticks(0, maxLag > 0 ? maxLag : 1, 5);
  const lagMax = lagTicks[lagTicks.length - 1]! > 0 ? Math.max(lagTicks[lagTicks.length - 1]!, maxLag) : 1;
  const ly = linear(0, lagMax, y + lagH, y);
  for (const v of lagTicks) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${num(ly(v), 2)}" y2="${num(ly(v), 2)}"/>`);
    parts.push(`<text class="tick" x="${LEFT - 6}" y="${num(ly(v) + 4, 2)}" text-anchor="end">${num(v)} s</text>`);
  }
  let legendY = y + 14;
  for (const l of input.lag) {
    const color = colors.get(l.region) ?? '#999';
    const pts = [...l.samples].sort((a, b) => a.t - b.t).map((s) => `${num(x(s.t), 2)},${num(ly(s.seconds), 2)}`);
    if (pts.length === 1) pts.push(pts[0]!.replace(/^([\d.]+)/, (m) => num(Number(m) + 2, 2)));
    if (pts.length > 0) parts.push(`<polyline${attrs({ class: 'lag-line', 'data-region': l.region, points: pts.join(' '), stroke: color, fill: 'none', 'stroke-width': 2.5 })}/>`);
    parts.push(`<rect x="16" y="${legendY - 9}" width="12" height="12" fill="${color}"/><text class="label" x="34" y="${legendY + 1}">${esc(l.region)}</text>`);
    legendY += 18;
  }
  if (input.lag.every((l) => l.samples.length === 0)) parts.push(`<text class="empty" x="${LEFT}" y="${y + 20}">no lag samples recorded</text>`);
  y += lagH;
  const lagBottom = y;

  // Time axis, relative to t0.
  y += 8;
  const secTicks = ticks((tMin - input.t0) / 1000, (tMax - input.t0) / 1000, 10);
  parts.push(`<line class="axis" x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y}" y2="${y}"/>`);
  for (const s of secTicks) {
    const tx = x(input.t0 + s * 1000);
    parts.push(`<line class="axis" x1="${num(tx, 2)}" x2="${num(tx, 2)}" y1="${y}" y2="${y + 5}"/>`);
    parts.push(`<text class="tick" x="${num(tx, 2)}" y="${y + 18}" text-anchor="middle">${s === 0 ? '0' : `${s > 0 ? '+' : '−'}${num(Math.abs(s))}`}</text>`);
  }
  parts.push(`<text class="tick" x="${LEFT + PLOT_W}" y="${y + 34}" text-anchor="end">seconds from t0 (${esc(new Date(input.t0).toISOString())})</text>`);
  const height = y + 44;

  // Markers over every lane: t0, and the first write acknowledged on the new primary (end of RTO).
  const markers: string[] = [];
  const x0 = x(input.t0);
  if (input.rto.firstWriteAt !== undefined) {
    const x1 = x(input.rto.firstWriteAt);
    markers.push(`<rect${attrs({ class: 'rto-window', x: num(x0, 2), y: writesTop, width: num(Math.max(1, x1 - x0), 2), height: lagBottom - writesTop, fill: WRITE_COLORS.error, 'fill-opacity': 0.08 })}/>`);
    markers.push(`<line${attrs({ class: 'marker', 'data-marker': 'rto', x1: num(x1, 2), x2: num(x1, 2), y1: phaseTop, y2: lagBottom, stroke: '#222', 'stroke-dasharray': '2 3' })}/>`);
    markers.push(`<text class="marker-label" x="${num(x1 + 4, 2)}" y="${writesTop + 10}">first write on ${esc(input.to)} (RTO ${input.rto.seconds === null ? '—' : `${num(input.rto.seconds)} s`})</text>`);
  }
  markers.push(`<line${attrs({ class: 'marker', 'data-marker': 't0', x1: num(x0, 2), x2: num(x0, 2), y1: phaseTop, y2: lagBottom, stroke: '#d62728', 'stroke-width': 1.5, 'stroke-dasharray': '6 3' })}/>`);
  markers.push(`<text class="marker-label" x="${num(x0 + 4, 2)}" y="${lagTop + 12}" fill="#d62728">t0: ${esc(input.fault ? `${input.fault} ${input.from}` : `switchover ${input.from} → ${input.to}`)}</text>`);
  void phaseBottom;
  void writesBottom;

  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg"${attrs({ width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': 'Drill timeline', 'data-t0': input.t0 })}>
<style>.lane-title{font:600 13px sans-serif;fill:#222}.label{font:12px sans-serif;fill:#333}.value{font:11px sans-serif;fill:#333}.tick{font:11px sans-serif;fill:#555}.empty{font:italic 12px sans-serif;fill:#888}.grid{stroke:#e5e5e5}.axis{stroke:#888}.marker-label{font:11px sans-serif;fill:#222}</style>
${parts.join('\n')}
${markers.join('\n')}
</svg>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;color:#1d1d1d;margin:24px auto;max-width:1140px;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#555;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:150px}
.card .k{color:#555;font-size:12px;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:24px;font-weight:600}
.card.bad .v{color:#d62728}.card.good .v{color:#2ca02c}
table{border-collapse:collapse;margin:4px 0}td,th{border-bottom:1px solid #e5e5e5;padding:4px 12px;text-align:left}th{font-weight:600;background:#fafafa}
td.n{text-align:right;font-variant-numeric:tabular-nums}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.legend span{margin-right:14px}.timeline{border:1px solid #ddd;border-radius:8px;padding:8px;overflow-x:auto}
footer{color:#777;font-size:12px;margin-top:32px}`;

/** A self-contained HTML drill report (inline CSS and SVG; no scripts, no external resources). */
export function renderDrillReport(input: DrillReportInput): string {
  check(input);
  const colors = regionColors(input);
  const title = input.title ?? (input.type === 'switchover' ? `Switchover drill: ${input.from} → ${input.to}` : `Failover drill: ${input.fault ?? 'fault'} ${input.from} → ${input.to}`);
  const okWrites = input.writes.filter((w) => w.ok).length;
  const failedWrites = input.writes.length - okWrites;
  const phaseTotal = input.phases.length > 0 ? (Math.max(...input.phases.map((p) => p.end)) - Math.min(...input.phases.map((p) => p.start))) / 1000 : null;
  const card = (k: string, v: string, cls = '') => `<div class="card ${cls}"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`;
  const rpoClass = input.rpo.transactions === 0 ? 'good' : 'bad';
  const phasesRows = input.phases
    .map(
      (p) =>
        `<tr><td><span class="swatch" style="background:${PHASE_COLORS[p.name] ?? OTHER_PHASE_COLOR}"></span>${esc(p.name)}</td><td class="n">${esc(relSeconds(p.start, input.t0))}</td><td class="n">${esc(relSeconds(p.end, input.t0))}</td><td class="n">${num((p.end - p.start) / 1000)} s</td></tr>`,
    )
    .join('\n');
  const servedBy = new Map<string, number>();
  for (const w of input.writes) if (w.ok && w.region) servedBy.set(w.region, (servedBy.get(w.region) ?? 0) + 1);
  const maxLagByRegion = new Map(input.lag.map((l) => [l.region, l.samples.length ? Math.max(...l.samples.map((s) => s.seconds)) : null]));
  const regionRows = input.regions
    .map(
      (r) =>
        `<tr><td><span class="swatch" style="background:${colors.get(r.name)}"></span>${esc(r.name)}</td><td>${esc(r.roleBefore)}</td><td>${esc(r.roleAfter)}</td><td class="n">${servedBy.get(r.name) ?? 0}</td><td class="n">${maxLagByRegion.get(r.name) == null ? '—' : `${num(maxLagByRegion.get(r.name)!)} s`}</td></tr>`,
    )
    .join('\n');
  const lost = input.rpo.lostSeqs ?? [];
  const errors = new Map<string, number>();
  for (const w of input.writes) if (!w.ok) errors.set(w.error ?? 'error', (errors.get(w.error ?? 'error') ?? 0) + 1);
  const errorRows = [...errors.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([e, n]) => `<tr><td>${esc(e)}</td><td class="n">${n}</td></tr>`)
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="sub">${esc(input.globalDatabase ? `${input.globalDatabase} · ` : '')}${esc(input.type)}${input.fault ? ` · fault: ${esc(input.fault)}` : ''} · ${esc(input.from)} → ${esc(input.to)}${input.epochBefore !== undefined && input.epochAfter !== undefined ? ` · epoch ${input.epochBefore} → ${input.epochAfter}` : ''} · t0 ${esc(new Date(input.t0).toISOString())}${input.result ? ` · result: <strong>${esc(input.result)}</strong>` : ''}</p>
<section class="cards" id="summary">
${card('RTO', input.rto.seconds === null ? 'no write succeeded' : `${num(input.rto.seconds)} s`, input.rto.seconds === null ? 'bad' : '')}
${card('RPO (transactions)', String(input.rpo.transactions), rpoClass)}
${card('RPO window', `${num(input.rpo.windowSeconds)} s`, rpoClass)}
${card('Writes acknowledged', String(okWrites))}
${card('Writes failed', String(failedWrites), failedWrites > 0 ? 'bad' : '')}
${phaseTotal === null ? '' : card('Promotion', `${num(phaseTotal)} s`)}
</section>
<h2>Timeline</h2>
<div class="legend"><span><span class="swatch" style="background:${WRITE_COLORS.ok}"></span>writes acknowledged</span><span><span class="swatch" style="background:${WRITE_COLORS.error}"></span>writes failed</span><span><span class="swatch" style="background:${WRITE_COLORS.mixed}"></span>both</span>${[...colors.entries()].map(([r, c]) => `<span><span class="swatch" style="background:${c}"></span>${esc(r)}</span>`).join('')}</div>
<div class="timeline">
${renderTimeline(input)}
</div>
<h2>Promotion phases</h2>
${input.phases.length ? `<table id="phases"><tr><th>phase</th><th>start</th><th>end</th><th>duration</th></tr>\n${phasesRows}</table>` : '<p>No promotion phases were recorded.</p>'}
<h2>Regions</h2>
<table id="regions"><tr><th>region</th><th>before</th><th>after</th><th>writes served</th><th>max lag</th></tr>
${regionRows}</table>
<h2>Data loss (RPO)</h2>
<p id="rpo">${input.rpo.transactions === 0 ? 'No acknowledged write is missing on the new primary.' : `${input.rpo.transactions} acknowledged write${input.rpo.transactions === 1 ? ' is' : 's are'} missing on ${esc(input.to)}, acknowledged over ${num(input.rpo.windowSeconds)} s${lost.length ? `: ledger numbers ${esc(lost.slice(0, 50).join(', '))}${lost.length > 50 ? ', …' : ''}` : ''}.`}</p>
${errorRows ? `<h2>Write errors</h2>\n<table id="errors"><tr><th>error</th><th>count</th></tr>\n${errorRows}</table>` : ''}
${input.notes?.length ? `<h2>Notes</h2>\n<ul>${input.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<footer>Borealis drill report · RTO: t0 → first write acknowledged through the writer endpoint on the new primary; RPO: acknowledged prober writes absent on the new primary (DESIGN §6).</footer>
</body>
</html>
`;
}
