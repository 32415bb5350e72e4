import { describe, expect, it } from 'vitest';
import { DrillReportInputError, renderDrillReport, renderTimeline, syntheticDrill, WRITE_COLORS } from './index.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('renderDrillReport', () => {
  const input = syntheticDrill();
  const html = renderDrillReport(input);

  it('is one self-contained HTML document: no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
  });

  it('summarises RTO and RPO from the input', () => {
    expect(html).toContain(`<div class="k">RTO</div><div class="v">${input.rto.seconds} s</div>`);
    expect(html).toContain(`<div class="k">RPO (transactions)</div><div class="v">${input.rpo.transactions}</div>`);
    expect(html).toContain(`ledger numbers ${input.rpo.lostSeqs!.join(', ')}`);
    const ok = input.writes.filter((w) => w.ok).length;
    expect(html).toContain(`<div class="k">Writes acknowledged</div><div class="v">${ok}</div>`);
    expect(html).toContain(`<div class="k">Writes failed</div><div class="v">${input.writes.length - ok}</div>`);
  });

  it('draws a bar per phase, a lag line per region, write bins and the t0/RTO markers', () => {
    const svg = renderTimeline(input);
    for (const p of input.phases) expect(svg).toContain(`data-phase="${p.name}"`);
    expect(count(svg, /class="phase"/g)).toBe(input.phases.length);
    for (const l of input.lag) expect(svg).toContain(`class="lag-line" data-region="${l.region}"`);
    expect(count(svg, /data-state="ok"/g)).toBeGreaterThan(10);
    expect(count(svg, /data-state="error"/g)).toBeGreaterThan(10);
    expect(svg).toContain('data-marker="t0"');
    expect(svg).toContain('data-marker="rto"');
    expect(svg).toContain(`fill="${WRITE_COLORS.error}"`);
  });

  it('places the failed writes between t0 and the first write on the new primary', () => {
    const svg = renderTimeline(input);
    const xOf = (marker: string) => Number(new RegExp(`data-marker="${marker}" x1="([\\d.]+)"`).exec(svg)![1]);
    const errorXs = [...svg.matchAll(/data-state="error" x="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...errorXs)).toBeGreaterThanOrEqual(xOf('t0') - 3);
    expect(Math.max(...errorXs)).toBeLessThanOrEqual(xOf('rto') + 3);
    const served = [...svg.matchAll(/class="served-bin" data-region="([^"]+)" x="([\d.]+)"/g)];
    expect(served.filter((m) => Number(m[2]) < xOf('t0')).every((m) => m[1] === 'us-east')).toBe(true);
    expect(served.filter((m) => Number(m[2]) > xOf('rto')).every((m) => m[1] === 'eu-west')).toBe(true);
  });

  it('escapes text from the input', () => {
    const out = renderDrillReport({ ...input, title: '<b>x</b> & "y"', notes: ['<script>alert(1)</script>'] });
    expect(out).toContain('&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;');
    expect(out).not.toContain('<script>');
  });

  it('renders a switchover with no data loss, and a drill where no write succeeded', () => {
    const sw = renderDrillReport({ ...input, type: 'switchover', fault: null, rpo: { transactions: 0, windowSeconds: 0 } });
    expect(sw).toContain('Switchover drill: us-east → eu-west');
    expect(sw).toContain('No acknowledged write is missing');
    const failed = renderDrillReport({ ...input, writes: input.writes.map((w) => ({ ...w, ok: false })), rto: { seconds: null }, lag: [], phases: [] });
    expect(failed).toContain('no write succeeded');
    expect(failed).toContain('no lag samples recorded');
    expect(failed).toContain('No promotion phases were recorded.');
  });

  it('refuses a phase that ends before it starts', () => {
    expect(() => renderDrillReport({ ...input, phases: [{ name: 'detect', start: 2, end: 1 }] })).toThrow(DrillReportInputError);
  });
});
