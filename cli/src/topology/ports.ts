import { readFileSync } from 'node:fs';
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
    if (await tryBind(host, port)) {
      handedOut.add(port);
      return port;
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
