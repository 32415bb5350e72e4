// The drill report (cli/src/report) rendered by a real headless Chromium (Debian package): take a
// screenshot, decode the PNG, and check the timeline's marks are on screen in their colours.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASE_COLORS, REGION_COLORS, WRITE_COLORS, renderDrillReport, syntheticDrill, type DrillReportInput } from '../../cli/src/report/index.js';

const chromium = process.env.CHROMIUM_BINARY ?? '/usr/bin/chromium';

interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  pixels: Buffer;
}

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes). */
function decodePng(file: Buffer): Image {
  if (file.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < file.length) {
    const len = file.readUInt32BE(off);
    const type = file.toString('latin1', off + 4, off + 8);
    const data = file.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error(`unsupported PNG: depth ${data[8]}, interlace ${data[12]}`);
      colorType = data[9]!;
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!bpp) throw new Error(`unsupported PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[i] = (line[i]! + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out[(y * width + x) * 4] = line[x * bpp]!;
      out[(y * width + x) * 4 + 1] = line[x * bpp + 1]!;
      out[(y * width + x) * 4 + 2] = line[x * bpp + 2]!;
      out[(y * width + x) * 4 + 3] = bpp === 4 ? line[x * bpp + 3]! : 255;
    }
    prev = line;
  }
  return { width, height, pixels: out };
}

/** Pixels within ±tolerance of a #rrggbb colour. */
function countColor(img: Image, hex: string, tolerance = 4): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < img.pixels.length; i += 4) {
    if (Math.abs(img.pixels[i]! - r) <= tolerance && Math.abs(img.pixels[i + 1]! - g) <= tolerance && Math.abs(img.pixels[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}

/** Runs headless Chromium to screenshot an HTML file; kills its process group if it hangs. */
function screenshot(dir: string, html: string, name: string): Promise<Image> {
  const page = join(dir, `${name}.html`);
  const png = join(dir, `${name}.png`);
  writeFileSync(page, html);
  const profile = mkdtempSync(join(dir, 'profile-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    `--user-data-dir=${profile}`,
    '--window-size=1200,1500',
    `--screenshot=${png}`,
    `file://${page}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`chromium exited with ${code ?? signal}: ${output.slice(-2000)}`));
        return;
      }
      try {
        resolve(decodePng(readFileSync(png)));
      } catch (err) {
        reject(new Error(`no screenshot: ${output.slice(-2000)}`, { cause: err }));
      }
    });
  });
}

describe('drill report in headless Chromium', () => {
  let dir: string;
  const input: DrillReportInput = syntheticDrill();
  let full: Image;
  let empty: Image;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'borealis-obs-report-test-'));
    full = await screenshot(dir, renderDrillReport(input), 'drill');
    // The same drill with nothing measured: the control that shows the colour counts mean something.
    empty = await screenshot(dir, renderDrillReport({ ...input, writes: [], lag: [], phases: [], rto: { seconds: null } }), 'empty');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a screenshot of the page', () => {
    expect(full.width).toBe(1200);
    expect(full.height).toBe(1500);
  });

  it('draws write availability: acknowledged and failed writes', () => {
    // Bars are 22 px high and cover most of the 906 px wide plot.
    expect(countColor(full, WRITE_COLORS.ok)).toBeGreaterThan(22 * 300);
    expect(countColor(full, WRITE_COLORS.error)).toBeGreaterThan(22 * 100);
    expect(countColor(empty, WRITE_COLORS.ok)).toBeLessThan(200);
  });

  it('draws every promotion phase as a bar', () => {
    for (const p of input.phases) {
      expect(countColor(full, PHASE_COLORS[p.name]!), p.name).toBeGreaterThan(16 * 10);
      expect(countColor(empty, PHASE_COLORS[p.name]!), p.name).toBeLessThan(16 * 10);
    }
  });

  it('draws a lag line (and the serving strip) in each region\'s colour', () => {
    // regions in input order: us-east, eu-west, ap-south
    const [usEast, euWest, apSouth] = REGION_COLORS;
    expect(countColor(full, usEast!)).toBeGreaterThan(10 * 200);
    expect(countColor(full, euWest!)).toBeGreaterThan(10 * 200);
    expect(countColor(full, apSouth!)).toBeGreaterThan(600);
    expect(countColor(empty, apSouth!)).toBeLessThan(countColor(full, apSouth!) / 4);
  });
});
