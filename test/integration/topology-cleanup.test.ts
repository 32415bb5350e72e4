// A topology stops every process it started and removes its temp dir — after a normal run and when its
// start fails half-way (here: the agent entry point is missing, after PostgreSQL and NATS are up).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessStartError, liveChildren, startTopology } from '../../cli/src/topology/index.js';

const parent = mkdtempSync(join(tmpdir(), 'borealis-cleanup-'));

/** pids of live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

describe('topology cleanup', () => {
  it('stop() ends every process it started (PostgreSQL, readers, NATS) and removes its dir', async () => {
    const topo = await startTopology({
      regions: 2,
      readers: 1,
      agents: false,
      baseDir: parent,
      postgresSettings: { fsync: 'off' },
    });
    const pids = topo.pids();
    expect(pids.map((p) => p.kind).sort()).toEqual([
      'nats',
      'nats',
      'postgres',
      'postgres',
      'reader',
      'reader',
    ]);
    for (const p of pids) expect(alive(p.pid)).toBe(true);
    expect(processesMentioning(topo.dir).length).toBeGreaterThanOrEqual(pids.length);
    await topo.stop();
    for (const p of pids) expect(alive(p.pid), `${p.kind} ${p.region}`).toBe(false);
    expect(existsSync(topo.dir)).toBe(false);
    expect(processesMentioning(topo.dir)).toEqual([]);
    expect(liveChildren()).toEqual([]);
  });

  it('a start that fails half-way tears down what it had started and rethrows a clear error', async () => {
    const before = readdirSync(parent);
    const lines: string[] = [];
    const err = await startTopology({
      regions: 2,
      agents: true,
      agentEntry: join(parent, 'no-such-agent.js'),
      baseDir: parent,
      postgresSettings: { fsync: 'off' },
      log: (l) => lines.push(l),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProcessStartError);
    expect((err as Error).message).toMatch(
      /region agent not built: .*no-such-agent\.js is missing/,
    );
    // PostgreSQL and NATS had started before the agents failed…
    expect(lines.some((l) => /postgres us-east ready/.test(l))).toBe(true);
    expect(lines.some((l) => /nats supercluster ready/.test(l))).toBe(true);
    // …and nothing of them is left.
    expect(readdirSync(parent)).toEqual(before);
    expect(processesMentioning(parent)).toEqual([]);
    expect(liveChildren()).toEqual([]);
  });
});
