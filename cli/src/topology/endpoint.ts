import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { TopologyError } from './errors.js';

/** host:port of a backend (always on 127.0.0.1 in the local topology). */
export interface Backend {
  host: string;
  port: number;
}

export interface TcpEndpointOptions {
  /** Name for metrics and errors: "writer" or "reader-<region>". */
  name: string;
  /** Backends; connections are spread round-robin over them (one for the writer endpoint). */
  backends: Backend[];
  /** Port on 127.0.0.1 (0 = any). */
  port?: number;
}

/**
 * A stable TCP endpoint in front of PostgreSQL (protocol-agnostic byte forwarding). The writer endpoint has
 * one backend (the current primary; setTarget moves it) and can refuse new connections at once during a
 * promotion rather than let clients hang; a reader endpoint spreads connections round-robin over a region's
 * PostgreSQL and its reader replicas, skipping a backend that refuses the connection.
 */
export class TcpEndpoint {
  readonly name: string;
  private backends: Backend[];
  private next = 0;
  private refusing = false;
  private refusedTotal = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();
  private portNumber = 0;
  /** Connections accepted since start, per backend "host:port" (for tests and status). */
  readonly acceptedByBackend = new Map<string, number>();

  private constructor(opts: TcpEndpointOptions) {
    if (opts.backends.length === 0)
      throw new TopologyError(`endpoint ${opts.name} needs at least one backend`);
    this.name = opts.name;
    this.backends = [...opts.backends];
    this.server = createServer((socket) => this.onConnection(socket));
  }

  static async start(opts: TcpEndpointOptions): Promise<TcpEndpoint> {
    const ep = new TcpEndpoint(opts);
    await new Promise<void>((resolve, reject) => {
      ep.server.once('error', (err) =>
        reject(
          new TopologyError(`endpoint ${opts.name} cannot listen on 127.0.0.1:${opts.port ?? 0}`, {
            cause: err,
          }),
        ),
      );
      ep.server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => resolve());
    });
    const address = ep.server.address();
    ep.portNumber = typeof address === 'object' && address ? address.port : 0;
    return ep;
  }

  get port(): number {
    return this.portNumber;
  }

  /** Client connections open through this endpoint now. */
  get connectionCount(): number {
    return this.clients.size;
  }

  get targets(): readonly Backend[] {
    return this.backends;
  }

  get refusingConnections(): boolean {
    return this.refusing;
  }

  /**
   * Client connections turned away while refusing since start: reset on arrival, or open and dropped by
   * refuse({ dropExisting }). Each is a client whose writes were fenced off during a promotion.
   */
  get refusedConnections(): number {
    return this.refusedTotal;
  }

  /** Points the endpoint at one backend (new connections; open ones keep their backend). */
  setTarget(addr: Backend | string): void {
    this.setBackends([typeof addr === 'string' ? parseHostPort(addr) : addr]);
  }

  setBackends(backends: Backend[]): void {
    if (backends.length === 0)
      throw new TopologyError(`endpoint ${this.name} needs at least one backend`);
    this.backends = [...backends];
    this.next = 0;
  }

  /** New connections are closed at once (a client fails fast instead of hanging); optionally drops open ones. */
  refuse(opts: { dropExisting?: boolean } = {}): void {
    this.refusing = true;
    if (opts.dropExisting) {
      this.refusedTotal += this.clients.size;
      for (const s of [...this.sockets]) s.destroy();
    }
  }

  /** Accepts new connections again. */
  accept(): void {
    this.refusing = false;
  }

  private onConnection(client: Socket): void {
    if (this.refusing) {
      this.refusedTotal++;
      client.resetAndDestroy();
      return;
    }
    client.pause();
    client.setNoDelay(true);
    this.sockets.add(client);
    this.clients.add(client);
    client.once('close', () => {
      this.sockets.delete(client);
      this.clients.delete(client);
    });
    client.on('error', () => client.destroy());
    this.connectUpstream(client, 0, this.backends);
  }

  private connectUpstream(client: Socket, attempt: number, backends: Backend[]): void {
    if (client.destroyed) return;
    if (attempt >= backends.length) {
      client.destroy();
      return;
    }
    const backend = backends[this.next++ % backends.length]!;
    const upstream = createConnection({ host: backend.host, port: backend.port });
    upstream.setNoDelay(true);
    const onError = () => {
      upstream.destroy();
      this.connectUpstream(client, attempt + 1, backends);
    };
    upstream.once('error', onError);
    upstream.once('connect', () => {
      upstream.off('error', onError);
      const key = `${backend.host}:${backend.port}`;
      this.acceptedByBackend.set(key, (this.acceptedByBackend.get(key) ?? 0) + 1);
      this.sockets.add(upstream);
      upstream.once('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      client.once('close', () => upstream.destroy());
      upstream.on('error', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  async close(): Promise<void> {
    for (const s of [...this.sockets]) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** "127.0.0.1:5432" → { host, port }. */
export function parseHostPort(addr: string): Backend {
  const m = /^(.*):(\d{1,5})$/.exec(addr.replace(/^[a-z]+:\/\//, ''));
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535)
    throw new TopologyError(`not a host:port address: ${JSON.stringify(addr)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}
