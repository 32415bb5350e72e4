import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TopologyError } from './errors.js';

/**
 * Link proxies: every inter-region connection of the local topology passes through a small user-space TCP
 * proxy that adds one-way delay and jitter (keeping byte order) and can cut the link (DESIGN §9). A Link is
 * the state of one ordered region pair (from → to); LinkProxy listeners carry connections along a link.
 */

export interface LinkLatency {
  /** One-way delay added to every chunk, in each direction, ms. */
  delayMs: number;
  /** Uniform jitter ± jitterMs around the delay (never below zero; order is kept). */
  jitterMs: number;
}

function checkLatency(l: LinkLatency): void {
  if (!Number.isFinite(l.delayMs) || l.delayMs < 0)
    throw new RangeError(`delayMs must be >= 0, got ${l.delayMs}`);
  if (!Number.isFinite(l.jitterMs) || l.jitterMs < 0)
    throw new RangeError(`jitterMs must be >= 0, got ${l.jitterMs}`);
}

/** The state of one ordered link between two regions. */
export class Link {
  readonly from: string;
  readonly to: string;
  private latency: LinkLatency;
  private isCut = false;
  /** Open connections currently carried by this link. */
  readonly connections = new Set<ProxiedConnection>();

  constructor(from: string, to: string, latency: LinkLatency = { delayMs: 0, jitterMs: 0 }) {
    checkLatency(latency);
    this.from = from;
    this.to = to;
    this.latency = { ...latency };
  }

  get name(): string {
    return `${this.from}->${this.to}`;
  }

  get cut(): boolean {
    return this.isCut;
  }

  get delayMs(): number {
    return this.latency.delayMs;
  }

  get jitterMs(): number {
    return this.latency.jitterMs;
  }

  setLatency(latency: LinkLatency): void {
    checkLatency(latency);
    this.latency = { ...latency };
  }

  /** One sample of this link's one-way delay, ms. */
  sampleDelay(): number {
    const { delayMs, jitterMs } = this.latency;
    if (jitterMs === 0) return delayMs;
    return Math.max(0, delayMs + (Math.random() * 2 - 1) * jitterMs);
  }

  /** Cuts the link: closes every connection it carries now and refuses new ones until restore(). */
  sever(): void {
    this.isCut = true;
    for (const c of [...this.connections]) c.destroy();
  }

  /** Lets new connections through again. */
  restore(): void {
    this.isCut = false;
  }
}

/**
 * Forwards chunks from one socket to another after the link's delay, in order: a chunk is never released
 * before the one received before it (jitter only stretches gaps).
 */
class DelayedPipe {
  private readonly queue: { at: number; chunk: Buffer }[] = [];
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly link: () => Link,
  ) {}

  push(chunk: Buffer): void {
    const delay = this.link().sampleDelay();
    const now = performance.now();
    if (delay <= 0 && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    const at = Math.max(now + delay, this.lastAt);
    this.lastAt = at;
    this.queue.push({ at, chunk });
    if (this.queue.length === 1) this.schedule();
  }

  /** The source ended: end the destination once everything queued went out. */
  end(): void {
    this.ended = true;
    if (this.queue.length === 0) this.dst.end();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private write(chunk: Buffer): void {
    if (this.dst.destroyed) return;
    if (!this.dst.write(chunk)) {
      this.src.pause();
      this.dst.once('drain', () => this.src.resume());
    }
  }

  private schedule(): void {
    const head = this.queue[0];
    if (!head) return;
    // Timers may fire a little early: round up, and flush() re-checks against the clock.
    const wait = Math.max(0, Math.ceil(head.at - performance.now()));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) this.write(this.queue.shift()!.chunk);
    if (this.queue.length > 0) this.schedule();
    else if (this.ended) this.dst.end();
  }
}

/** One client connection carried through a proxy (client socket ↔ upstream socket). */
export class ProxiedConnection {
  private link: Link;
  private readonly up: DelayedPipe;
  private readonly down: DelayedPipe;
  private closed = false;

  constructor(
    link: Link,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly onClose: (c: ProxiedConnection) => void,
  ) {
    this.link = link;
    link.connections.add(this);
    this.up = new DelayedPipe(client, upstream, () => this.link);
    this.down = new DelayedPipe(upstream, client, () => this.link);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.on('error', () => this.destroy());
      s.on('close', () => this.destroy());
    }
    upstream.on('data', (d: Buffer) => this.down.push(d));
    upstream.on('end', () => this.down.end());
    client.on('end', () => this.up.end());
  }

  get currentLink(): Link {
    return this.link;
  }

  /** Moves this connection to another link (after its origin was identified). */
  reassign(link: Link): void {
    if (link === this.link) return;
    this.link.connections.delete(this);
    this.link = link;
    link.connections.add(this);
    if (link.cut) this.destroy();
  }

  /** Client → upstream bytes. */
  forward(chunk: Buffer): void {
    if (!this.closed) this.up.push(chunk);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.stop();
    this.down.stop();
    this.link.connections.delete(this);
    this.client.destroy();
    this.upstream.destroy();
    this.onClose(this);
  }
}

/**
 * Identifies which link a connection really belongs to from the first line the client sends; used on NATS
 * gateway proxies, where the dialing server names itself in `CONNECT {"gateway":"<region>",…}`.
 */
export type OriginResolver = (firstLine: string) => Link | undefined;

/** Origin resolver for NATS gateway connections into region `to`: link (<gateway in CONNECT> → to). */
export function natsGatewayOrigin(links: (from: string) => Link | undefined): OriginResolver {
  return (line) => {
    const m = /^CONNECT\s+(\{.*\})\s*$/.exec(line);
    if (!m) return undefined;
    try {
      const info = JSON.parse(m[1]!) as { gateway?: unknown };
      return typeof info.gateway === 'string' ? links(info.gateway) : undefined;
    } catch {
      return undefined;
    }
  };
}

export interface LinkProxyOptions {
  /** The link this listener nominally carries. */
  link: Link;
  /** Where connections go. */
  target: { host: string; port: number };
  /** Port to listen on, on 127.0.0.1 (0 = any). */
  port?: number;
  /** See OriginResolver; when set, the first client line decides the link. */
  resolveOrigin?: OriginResolver;
  /** What this proxy carries, for errors (e.g. "nats gateway"). */
  purpose?: string;
}

/** A TCP listener on 127.0.0.1 that carries connections over a Link. */
export class LinkProxy {
  readonly link: Link;
  readonly purpose: string;
  private readonly server: Server;
  private readonly active = new Set<ProxiedConnection>();
  private readonly pending = new Set<Socket>();
  private readonly opts: LinkProxyOptions;
  private portNumber = 0;

  private constructor(opts: LinkProxyOptions) {
    this.opts = opts;
    this.link = opts.link;
    this.purpose = opts.purpose ?? 'tcp';
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(opts: LinkProxyOptions): Promise<LinkProxy> {
    const proxy = new LinkProxy(opts);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', (err) =>
        reject(
          new TopologyError(
            `link proxy ${opts.link.name} (${proxy.purpose}) cannot listen on 127.0.0.1:${opts.port ?? 0}`,
            { cause: err },
          ),
        ),
      );
      proxy.server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => resolve());
    });
    const address = proxy.server.address();
    proxy.portNumber = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get port(): number {
    return this.portNumber;
  }

  get connectionCount(): number {
    return this.active.size;
  }

  private accept(client: Socket): void {
    if (this.link.cut) {
      client.resetAndDestroy();
      return;
    }
    this.pending.add(client);
    client.pause();
    const upstream = createConnection({ host: this.opts.target.host, port: this.opts.target.port });
    const fail = () => {
      this.pending.delete(client);
      client.destroy();
      upstream.destroy();
    };
    upstream.once('error', fail);
    client.once('error', fail);
    upstream.once('connect', () => {
      upstream.off('error', fail);
      client.off('error', fail);
      this.pending.delete(client);
      if (this.link.cut || client.destroyed) {
        client.destroy();
        upstream.destroy();
        return;
      }
      const conn = new ProxiedConnection(this.link, client, upstream, (c) => this.active.delete(c));
      this.active.add(conn);
      const resolve = this.opts.resolveOrigin;
      if (!resolve) {
        client.on('data', (d: Buffer) => conn.forward(d));
      } else {
        let head = Buffer.alloc(0);
        let identified = false;
        client.on('data', (d: Buffer) => {
          if (identified) return conn.forward(d);
          head = Buffer.concat([head, d]);
          const eol = head.indexOf('\r\n');
          if (eol < 0 && head.length < 64 * 1024) return;
          identified = true;
          const origin = resolve(head.subarray(0, eol < 0 ? head.length : eol).toString('utf8'));
          if (origin) conn.reassign(origin);
          conn.forward(head);
        });
      }
      client.resume();
    });
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const c of [...this.active]) c.destroy();
    for (const s of [...this.pending]) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
