import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../topology/index.js';
import { CommandError, type CommandIO } from './io.js';

/** test/k6/run.mjs of this checkout (the k6 scenarios live in the repo's test/k6). */
export function k6RunnerPath(): string {
  return fileURLToPath(new URL('../../../test/k6/run.mjs', import.meta.url));
}

/**
 * `borealis demo --k6 <scenario>`: runs a k6 scenario of test/k6 against the demo's topology for the demo's
 * duration instead of the built-in workload, then checks with one `global` request through the primary's
 * Data API that every region applied everything the primary committed. A failed threshold fails the demo.
 */
export async function runK6Demo(
  scenario: string,
  topo: Topology,
  opts: { duration: number; convergeTimeout?: number },
  signal: AbortSignal,
  io: CommandIO,
): Promise<void> {
  const runner = k6RunnerPath();
  if (!existsSync(runner)) throw new CommandError(`k6 scenarios not found at ${runner}: --k6 needs the repository checkout`);
  const description = topo.describe();
  io.err(`running k6 scenario ${scenario} for ${opts.duration} s against ${description.regions.length} region(s)' Data API`);
  const t0 = Date.now();
  const child = spawn(process.execPath, [runner, scenario, '--topology', JSON.stringify(description), '-e', `DURATION=${opts.duration}s`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => io.out(d.toString().replace(/\n$/, '')));
  child.stderr.on('data', (d: Buffer) => io.err(d.toString().replace(/\n$/, '')));
  const onAbort = () => child.kill('SIGINT');
  signal.addEventListener('abort', onAbort, { once: true });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new CommandError(`k6 runner did not start: ${err.message}`, 1, { cause: err })));
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  signal.removeEventListener('abort', onAbort);
  if (signal.aborted) return;
  if (code !== 0) {
    throw new CommandError(
      code === 99 ? `k6 scenario ${scenario}: a threshold failed (see the summary above)` : `k6 scenario ${scenario} exited with ${code}`,
      code,
    );
  }
  io.err(`k6 scenario ${scenario} held its thresholds (${((Date.now() - t0) / 1000).toFixed(1)} s); checking every region applied the primary's last commit…`);
  const primary = description.regions.find((r) => r.role === 'primary');
  if (!primary) throw new CommandError('the topology has no primary region');
  const timeoutMs = (opts.convergeTimeout ?? 60) * 1000;
  const t1 = Date.now();
  const res = await fetch(`${primary.http}/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${description.dataApiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'SELECT 1', mode: 'write', consistency: 'global', timeoutMs: Math.min(timeoutMs, 30_000) }),
    signal: AbortSignal.timeout(timeoutMs + 5_000),
  });
  const body = (await res.json()) as { session?: string; error?: { message: string } };
  if (res.status !== 200) throw new CommandError(`regions did not converge: ${body.error?.message ?? `HTTP ${res.status}`}`);
  io.out(`converged: every region applied the primary's position ${body.session} (${((Date.now() - t1) / 1000).toFixed(1)} s after the scenario ended)`);
}
