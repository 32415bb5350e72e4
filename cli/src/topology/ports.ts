import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { PortAllocationError } from './errors.js';

/**
 * Port allocation for processes that bind their port some time after it was chosen (PostgreSQL, nats-server,
 * agents). A port from the kernel's ephemeral range could meanwhile become the local port of some outgoing
 * connection (or be handed to another process asking for port 0) and the later bind would fail with
 * EADDRINUSE. So ports are drawn at random *below* the ephemeral range (default 20000 up to
 * ip_local_port_range's start), checked free by binding, and never handed out twice by this process.
 * BOREALIS_PORT_RANGE=lo-hi overrides the range.
 */

/** Ports handed out by this process. */
const handedOut = new Set<number>();

/**
 * Cross-process reservations: several Borealis processes (test files, a demo, benchmarks) allocate ports at
 * once and bind them only later, so a port free when checked may be taken by another Borealis process
 * before its owner binds it. Each allocation therefore also creates <lockDir>/<port> (exclusive create,
 * holding the pid); ports whose lock names a live process are skipped; a dead owner's lock is reclaimed.
 * Locks go when the port is released (Topology.stop) or when this process exits.
 */
function lockDir(): string {
  return process.env.BOREALIS_PORT_LOCK_DIR ?? join(tmpdir(), 'borealis-port-locks');
}

let exitHook = false;
function releaseAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const port of handedOut) releasePort(port);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the cross-process lock of a port; false when another live process holds it. */
function lockPort(port: number): boolean {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(path, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return false;
    try {
      unlinkSync(path); // its owner is gone
    } catch {
      // someone else reclaimed it first
    }
  }
  return false;
}

/** Gives a port back (its cross-process lock is removed). */
export function releasePort(port: number): void {
  handedOut.delete(port);
  const path = join(lockDir(), String(port));
  try {
    if (Number(readFileSync(path, 'utf8')) === process.pid) unlinkSync(path);
  } catch {
    // not locked by us
  }
}

/** The range ports are drawn from (pure: from the override and the kernel's ephemeral range). */
export function portRange(
  override: string | undefined,
  ephemeral: string | undefined,
): { lo: number; hi: number } {
  if (override) {
    const m = /^(\d+)-(\d+)$/.exec(override.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    if (!m || lo < 1024 || hi > 65535 || hi - lo < 100) {
      throw new PortAllocationError(
        `BOREALIS_PORT_RANGE must look like 20000-32000 (1024..65535, at least 100 ports), got ${override}`,
      );
    }
    return { lo, hi };
  }
  const start = Number(ephemeral?.trim().split(/\s+/)[0]);
  const hi = Number.isInteger(start) && start > 12_000 ? start - 1 : 32_767;
  return { lo: Math.max(1024, hi - 12_767), hi };
}

let range: { lo: number; hi: number } | undefined;
function currentRange(): { lo: number; hi: number } {
  if (!range) {
    let ephemeral: string | undefined;
    try {
      ephemeral = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    } catch {
      ephemeral = undefined;
    }
    range = portRange(process.env.BOREALIS_PORT_RANGE, ephemeral);
  }
  return range;
}

function tryBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 below the ephemeral range, never one this process already handed out. */
export async function allocatePort(host = '127.0.0.1'): Promise<number> {
  const { lo, hi } = currentRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (handedOut.has(port)) continue;
    if (!lockPort(port)) continue;
    if (await tryBind(host, port)) {
      handedOut.add(port);
      releaseAllOnExit();
      return port;
    }
    const path = join(lockDir(), String(port));
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  throw new PortAllocationError(`no free port on ${host} in ${lo}-${hi} after 200 attempts`);
}

/** Allocates n distinct free ports. */
export async function allocatePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await allocatePort(host));
  return ports;
}
