// The real CLI against a running `borealis up` (3 regions): `borealis drill --type switchover --json` parsed
// (RPO 0, RTO and phases present, HTML report written), `borealis switchover` back (fail-back) with phases
// printed, `borealis failover --to` a region refused when it names the current primary, control-plane metrics,
// then `borealis down`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'cli/bin/borealis.js');
const stateDir = mkdtempSync(join(tmpdir(), 'borealis-promotion-cli-'));
const env = { ...process.env, BOREALIS_STATE_DIR: stateDir };
let supervisor: ChildProcess;
let description: { controlPlane: string; regions: { name: string; role: string }[] };

function cli(args: string[], timeoutMs = 240_000) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
}

beforeAll(async () => {
  if (!existsSync(join(repo, 'cli/dist/main.js'))) throw new Error('cli/dist/main.js is missing: run "npx tsc -b" first');
  supervisor = spawn(process.execPath, [bin, 'up', '--regions', '3', '--json', '--pg', 'fsync=off'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  supervisor.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`no JSON line within 170 s; stderr:\n${err}`)), 170_000);
    supervisor.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        res(out.slice(0, nl));
      }
    });
    supervisor.once('exit', (code) => rej(new Error(`up exited with ${code}; stderr:\n${err}`)));
  });
  description = JSON.parse(line) as typeof description;
});

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null) {
    const down = cli(['down', '--timeout', '120'], 150_000);
    if (down.status !== 0) supervisor.kill('SIGKILL');
    await new Promise<void>((r) => (supervisor.exitCode !== null ? r() : supervisor.once('exit', () => r())));
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe('borealis drill / switchover / failover', () => {
  it('drill --type switchover --json: RPO 0, RTO with phases, report', () => {
    const report = join(stateDir, 'drill.html');
    const r = cli(['drill', '--type', 'switchover', '--region', 'eu-west', '--writes-per-sec', '30', '--json', '--report', report]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout.trim()) as {
      drill: { type: string; from: string; to: string };
      rtoSeconds: number;
      phases: { detectS: number; decideFenceS: number; promoteS: number; rerouteS: number };
      rpo: { transactions: number };
      writes: { acknowledged: number };
      converged: { ok: boolean };
      promotion: { epoch: number; phases: { phase: string; ms: number }[] };
    };
    expect(d.drill).toMatchObject({ type: 'switchover', from: 'us-east', to: 'eu-west' });
    expect(d.rpo.transactions).toBe(0);
    expect(d.writes.acknowledged).toBeGreaterThan(20);
    expect(d.rtoSeconds).toBeGreaterThan(0);
    expect(d.rtoSeconds).toBeCloseTo(d.phases.detectS + d.phases.decideFenceS + d.phases.promoteS + d.phases.rerouteS, 1);
    expect(d.promotion.phases.map((p) => p.phase)).toEqual(['fence', 'catch_up', 'hold', 'cas', 'promote', 'reroute', 'rejoin']);
    expect(d.converged.ok).toBe(true);
    expect(readFileSync(report, 'utf8')).toMatch(/<svg/);
  });

  it('switchover --to us-east (fail-back) prints the phases; failover naming the primary is refused', async () => {
    const r = cli(['switchover', '--to', 'us-east']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/switchover: eu-west → us-east, epoch 2 → 3/);
    for (const p of ['fence', 'catch_up', 'cas', 'promote', 'reroute', 'rejoin']) expect(r.stdout).toMatch(new RegExp(`\\n  ${p} +\\d+\\.\\d{3} s`));
    const refused = cli(['failover', '--to', 'us-east']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/us-east is the primary already/);
    const metrics = await (await fetch(`${description.controlPlane}/metrics`)).text();
    expect(metrics).toMatch(/^borealis_epoch 3$/m);
    expect(metrics).toMatch(/^borealis_failovers_total\{kind="switchover",result="ok"\} 2$/m);
    expect(metrics).toMatch(/^borealis_promotion_phase_seconds_count\{phase="promote",kind="switchover"\} 2$/m);
  });
});
