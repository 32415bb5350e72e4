/**
 * A small Docker Engine API client over the daemon's unix socket, for the drill faults that act on a kind node
 * container (freeze = pause, partition = network disconnect). Only what the faults need; no dependency.
 */
import * as http from 'node:http';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** Engine API 1.41 = Docker 20.10 (the testbed's docker.io); newer daemons still serve it. */
export const DOCKER_API_VERSION = 'v1.41';
const DEFAULT_TIMEOUT_MS = 15_000;

/** A failed Docker API call: `status` is the HTTP status (0 = no answer: socket missing, refused, timeout). */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

/** The parts of `GET /containers/{id}/json` the faults read. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Paused: boolean };
  NetworkSettings: {
    Networks: Record<
      string,
      { IPAddress: string; IPAMConfig?: { IPv4Address?: string } | null } | undefined
    >;
  };
}

export interface DockerRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

const container = (name: string): string =>
  `/${DOCKER_API_VERSION}/containers/${encodeURIComponent(name)}`;
const network = (name: string): string =>
  `/${DOCKER_API_VERSION}/networks/${encodeURIComponent(name)}`;

/** The requests of the client, as data (pure: unit-tested). */
export const dockerRequests = {
  inspect: (name: string): DockerRequest => ({ method: 'GET', path: `${container(name)}/json` }),
  pause: (name: string): DockerRequest => ({ method: 'POST', path: `${container(name)}/pause` }),
  unpause: (name: string): DockerRequest => ({
    method: 'POST',
    path: `${container(name)}/unpause`,
  }),
  disconnect: (net: string, name: string, force: boolean): DockerRequest => ({
    method: 'POST',
    path: `${network(net)}/disconnect`,
    body: { Container: name, Force: force },
  }),
  connect: (net: string, name: string, ipv4Address?: string): DockerRequest => ({
    method: 'POST',
    path: `${network(net)}/connect`,
    body: {
      Container: name,
      ...(ipv4Address ? { EndpointConfig: { IPAMConfig: { IPv4Address: ipv4Address } } } : {}),
    },
  }),
};

/** The container's address on `net`, or undefined when it is not attached to that network. */
export function networkAddress(c: ContainerInspect, net: string): string | undefined {
  const ip = c.NetworkSettings.Networks[net]?.IPAddress;
  return ip ? ip : undefined;
}

/** The daemon's error text: its JSON `{"message": …}`, else the raw body. */
export function daemonMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return body.trim();
}

export interface DockerClientOptions {
  socketPath?: string;
  /** Per request (default 15 s): the whole exchange, connect to last byte. */
  timeoutMs?: number;
}

export class DockerClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(opts: DockerClientOptions = {}) {
    this.socketPath = opts.socketPath ?? DEFAULT_DOCKER_SOCKET;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async inspectContainer(name: string): Promise<ContainerInspect> {
    return (await this.send(dockerRequests.inspect(name))) as ContainerInspect;
  }

  async pause(name: string): Promise<void> {
    await this.send(dockerRequests.pause(name));
  }

  async unpause(name: string): Promise<void> {
    await this.send(dockerRequests.unpause(name));
  }

  async disconnect(net: string, name: string, force = false): Promise<void> {
    await this.send(dockerRequests.disconnect(net, name, force));
  }

  async connect(net: string, name: string, ipv4Address?: string): Promise<void> {
    await this.send(dockerRequests.connect(net, name, ipv4Address));
  }

  /** Sends one request; resolves the parsed JSON answer (undefined for an empty one), rejects with DockerApiError. */
  send(r: DockerRequest): Promise<unknown> {
    const what = `docker ${r.method} ${r.path}`;
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const headers: Record<string, string | number> = { Accept: 'application/json', Host: 'docker' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: DockerApiError | undefined, value?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      };
      const req = http.request(
        { socketPath: this.socketPath, method: r.method, path: r.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) =>
            finish(new DockerApiError(`${what}: ${err.message}`, 0, { cause: err })),
          );
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              finish(
                new DockerApiError(`${what}: ${status} ${daemonMessage(text)}`.trim(), status),
              );
              return;
            }
            if (!text.trim()) {
              finish(undefined, undefined);
              return;
            }
            try {
              finish(undefined, JSON.parse(text));
            } catch (err) {
              finish(
                new DockerApiError(`${what}: answer is not JSON: ${text.slice(0, 200)}`, status, {
                  cause: err,
                }),
              );
            }
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish(
          new DockerApiError(
            `${what}: no answer from ${this.socketPath} within ${this.timeoutMs} ms`,
            0,
          ),
        );
      }, this.timeoutMs);
      req.on('error', (err) =>
        finish(
          new DockerApiError(`${what}: ${this.socketPath}: ${err.message}`, 0, { cause: err }),
        ),
      );
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}
