import { createServer } from 'node:net';
import { PortAllocationError } from './errors.js';

/** Ports handed out by this process, so two allocations in a row never return the same port. */
const handedOut = new Set<number>();

function probe(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free TCP port on 127.0.0.1 chosen by the kernel (ephemeral range), never one this process already
 * handed out. The port is free when returned; the caller binds it soon after.
 */
export async function allocatePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let port: number;
    try {
      port = await probe(host);
    } catch (err) {
      throw new PortAllocationError(`cannot bind a free port on ${host}`, { cause: err });
    }
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new PortAllocationError(`no fresh free port on ${host} after 50 attempts`);
}

/** Allocates n distinct free ports. */
export async function allocatePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await allocatePort(host));
  return ports;
}
