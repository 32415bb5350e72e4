// `borealis up --prometheus` (the real CLI, built by `npx tsc -b`): a real Prometheus scrapes every agent
// and the control plane with the Borealis rules loaded, its URL is printed, and it is gone after the
// supervisor stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../cli/src/prometheus/index.js';
import { eventually } from '../support/eventually.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'cli/bin/borealis.js');
const stateDir = mkdtempSync(join(tmpdir(), 'borealis-obs-up-state-'));

interface UpLine {
  regions: { name: string; metrics: string }[];
  controlPlane: string;
  prometheus: string;
}

let supervisor: ChildProcess | undefined;
let up: UpLine;
let stderr = '';

function processesWithArg(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> =>
  eventually(what, fn, timeoutMs, 500);

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

beforeAll(async () => {
  supervisor = spawn(process.execPath, [bin, 'up', '--regions', '2', '--pg', 'fsync=off', '--prometheus', '--json'], {
    env: { ...process.env, BOREALIS_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  supervisor.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    supervisor!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolveLine(out.slice(0, nl));
    });
    supervisor!.once('exit', (code) => reject(new Error(`borealis up exited with ${code}: ${stderr.slice(-3000)}`)));
  });
  up = JSON.parse(line) as UpLine;
}, 240_000);

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill('SIGTERM');
    await exited(supervisor);
  }
  rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('borealis up --prometheus', () => {
  it('prints the Prometheus URL, on 127.0.0.1', () => {
    expect(up.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('scrapes every agent and the control plane, labelled for the dashboards', async () => {
    const client = new PrometheusClient(up.prometheus);
    const targets = await until('3 targets up', async () => {
      const t = await client.targets();
      return t.length === 3 && t.every((x) => x.health === 'up') ? t : undefined;
    });
    const byUrl = new Map(targets.map((t) => [t.scrapeUrl, t.labels]));
    for (const r of up.regions) expect(byUrl.get(r.metrics)).toMatchObject({ job: 'borealis-agent', region: r.name, globaldatabase: 'local' });
    expect(byUrl.get(new URL('/metrics', up.controlPlane).toString())).toMatchObject({ job: 'borealis-control-plane', globaldatabase: 'local' });
  });

  it('evaluates the Borealis rules: writes are available and one region is primary', async () => {
    const client = new PrometheusClient(up.prometheus);
    const rules = await client.rules();
    expect(rules.map((r) => r.name)).toContain('BorealisReplicationLagHigh');
    // The first evaluations may precede the primary agent's first "ready" scrape (the rule then
    // records 0): wait for the primary to be scraped ready, then the recorded value must be 1.
    const available = await until('borealis:write_available = 1', async () => {
      const v = await client.query('borealis:write_available{globaldatabase="local"}');
      return v.length > 0 && v[0]!.value[1] === '1' ? v : undefined;
    });
    expect(available[0]!.value[1]).toBe('1');
    const primaries = await client.query('borealis:primary_regions:count{globaldatabase="local"}');
    expect(primaries[0]!.value[1]).toBe('1');
  });

  it('stops Prometheus with the topology', async () => {
    const listen = `--web.listen-address=${new URL(up.prometheus).host}`;
    expect(processesWithArg(listen)).toHaveLength(1);
    supervisor!.kill('SIGTERM');
    await exited(supervisor!);
    expect(supervisor!.exitCode).toBe(0);
    expect(processesWithArg(listen)).toEqual([]);
    await expect(fetch(`${up.prometheus}/-/ready`)).rejects.toThrow();
  });
});
