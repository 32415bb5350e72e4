import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ProcessStartError, TopologyError } from './errors.js';
import { renderNatsConfig, type NatsRemoteGateway } from './nats-config.js';
import { allocatePort } from './ports.js';
import { ManagedProcess, waitUntil } from './process.js';

/** The nats-server built by hack/tools.sh (BOREALIS_NATS_SERVER overrides; BOREALIS_TOOLS moves the cache). */
export function defaultNatsServerBinary(): string {
  if (process.env.BOREALIS_NATS_SERVER) return process.env.BOREALIS_NATS_SERVER;
  const tools = process.env.BOREALIS_TOOLS ?? join(homedir(), '.cache', 'borealis', 'tools');
  return join(tools, 'bin', 'nats-server');
}

/** Ports of one region's nats-server, allocated before any config is written (proxies need them). */
export interface NatsPorts {
  client: number;
  http: number;
  cluster: number;
  gateway: number;
}

export async function allocateNatsPorts(): Promise<NatsPorts> {
  return {
    client: await allocatePort(),
    http: await allocatePort(),
    cluster: await allocatePort(),
    gateway: await allocatePort(),
  };
}

export interface StartNatsServerOptions {
  region: string;
  /** The server's own folder (created): nats-server.conf, jetstream/, nats.log. */
  dir: string;
  ports?: NatsPorts;
  gateways?: NatsRemoteGateway[];
  gatewayAdvertise?: string;
  binary?: string;
  timeoutMs?: number;
}

export interface NatsServerInstance {
  region: string;
  /** nats://127.0.0.1:<client port> */
  url: string;
  /** http://127.0.0.1:<monitoring port> */
  monitorUrl: string;
  ports: NatsPorts;
  pid: number;
  dir: string;
  configFile: string;
  logFile: string;
  process: ManagedProcess;
  stop(timeoutMs?: number): Promise<void>;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/**
 * Starts one nats-server with JetStream (server_name, cluster and gateway named after the region). Resolves
 * when /healthz?js-enabled-only=true answers 200; the supercluster's meta leader is awaited separately.
 */
export async function startNatsServer(opts: StartNatsServerOptions): Promise<NatsServerInstance> {
  const ports = opts.ports ?? (await allocateNatsPorts());
  const binary = opts.binary ?? defaultNatsServerBinary();
  mkdirSync(opts.dir, { recursive: true });
  const storeDir = join(opts.dir, 'jetstream');
  const configFile = join(opts.dir, 'nats-server.conf');
  const logFile = join(opts.dir, 'nats.log');
  writeFileSync(
    configFile,
    renderNatsConfig({
      region: opts.region,
      clientPort: ports.client,
      httpPort: ports.http,
      clusterPort: ports.cluster,
      gatewayPort: ports.gateway,
      storeDir,
      gateways: opts.gateways ?? [],
      gatewayAdvertise: opts.gatewayAdvertise,
    }),
  );
  let proc: ManagedProcess;
  try {
    proc = await ManagedProcess.spawn({
      name: `nats-server ${opts.region}`,
      command: binary,
      args: ['-c', configFile],
      logFile,
      cwd: opts.dir,
    });
  } catch (err) {
    throw new ProcessStartError(
      `cannot start nats-server ${binary} for ${opts.region} (run "bash hack/setup.sh" to build it)`,
      { cause: err },
    );
  }
  const monitorUrl = `http://127.0.0.1:${ports.http}`;
  try {
    await waitUntil(
      `nats-server ${opts.region} /healthz?js-enabled-only=true`,
      async () => {
        if (!(await httpOk(`${monitorUrl}/healthz?js-enabled-only=true`))) return false;
        // The monitoring port answers for this server, not a stranger that holds the port.
        const res = await fetch(`${monitorUrl}/varz`, { signal: AbortSignal.timeout(2000) });
        const v = (await res.json()) as {
          server_name?: string;
          port?: number;
          cluster?: { cluster_port?: number };
          gateway?: { port?: number };
        };
        // A standalone server (one region, no gateways: nats-config.ts) listens on no cluster/gateway port.
        const standalone = (opts.gateways ?? []).length === 0;
        if (
          v.server_name !== opts.region ||
          v.port !== ports.client ||
          (!standalone &&
            (v.cluster?.cluster_port !== ports.cluster || v.gateway?.port !== ports.gateway))
        ) {
          throw new ProcessStartError(
            `nats-server ${opts.region}: monitoring port ${ports.http} is answered by another server (${v.server_name})`,
          );
        }
        return true;
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, process: proc },
    );
  } catch (err) {
    await proc.stop(5000);
    throw err;
  }
  return {
    region: opts.region,
    url: `nats://127.0.0.1:${ports.client}`,
    monitorUrl,
    ports,
    pid: proc.pid,
    dir: opts.dir,
    configFile,
    logFile,
    process: proc,
    stop: (timeoutMs?: number) => proc.stop(timeoutMs ?? 10_000),
  };
}

interface JszMeta {
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number; peer?: string };
}

/** The JetStream meta leader as seen by one server (undefined while there is none). */
export async function jetStreamMetaLeader(
  monitorUrl: string,
): Promise<{ leader?: string; clusterSize?: number; standalone: boolean }> {
  const res = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as JszMeta;
  return {
    standalone: body.meta_cluster === undefined,
    leader: body.meta_cluster?.leader || undefined,
    clusterSize: body.meta_cluster?.cluster_size,
  };
}

/**
 * Waits until every server reports the same JetStream meta leader over a meta group of all the servers (a
 * single standalone server is its own leader).
 */
export async function waitForMetaLeader(
  servers: NatsServerInstance[],
  timeoutMs = 60_000,
): Promise<string> {
  let leader = '';
  await waitUntil(
    `a JetStream meta leader across ${servers.map((s) => s.region).join(', ')}`,
    async () => {
      const views = await Promise.all(servers.map((s) => jetStreamMetaLeader(s.monitorUrl)));
      // A single region runs a standalone JetStream server (nats-config.ts): no meta group, it leads itself.
      if (servers.length === 1 && views[0]?.standalone) {
        leader = servers[0]!.region;
        return true;
      }
      const first = views[0]?.leader;
      if (!first) return false;
      if (!views.every((v) => v.leader === first)) return false;
      if (servers.length > 1 && !views.every((v) => (v.clusterSize ?? 0) >= servers.length))
        return false;
      leader = first;
      return true;
    },
    { timeoutMs, intervalMs: 200 },
  );
  for (const s of servers) {
    if (s.process.exited)
      throw new ProcessStartError(`${s.process.name} ${s.process.exitDescription}`);
  }
  return leader;
}

export interface StartSuperclusterOptions {
  regions: string[];
  /** Each region's server lives in <baseDir>/<region>/nats. */
  baseDir: string;
  /** Ports per region (allocated when omitted). */
  ports?: Record<string, NatsPorts>;
  /**
   * URL region `from` dials to reach region `to`'s gateway. Default: the real gateway port (no proxy); the
   * topology passes its link proxies here.
   */
  gatewayUrl?: (from: string, to: string) => string;
  /** host:port region gossips as its gateway address (default: none, i.e. its listen address). */
  gatewayAdvertise?: (region: string) => string | undefined;
  binary?: string;
  timeoutMs?: number;
}

export interface Supercluster {
  servers: NatsServerInstance[];
  byRegion: Map<string, NatsServerInstance>;
  metaLeader: string;
  stop(): Promise<void>;
}

/**
 * Starts one nats-server per region, joined by gateways into one supercluster (one JetStream domain), and
 * waits for the JetStream meta leader. On failure every server started so far is stopped.
 */
export async function startSupercluster(opts: StartSuperclusterOptions): Promise<Supercluster> {
  if (opts.regions.length === 0)
    throw new TopologyError('startSupercluster needs at least one region');
  const ports: Record<string, NatsPorts> = {};
  for (const r of opts.regions) ports[r] = opts.ports?.[r] ?? (await allocateNatsPorts());
  const urlFor =
    opts.gatewayUrl ?? ((_from: string, to: string) => `nats://127.0.0.1:${ports[to]!.gateway}`);
  const servers: NatsServerInstance[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const results = await Promise.allSettled(
      opts.regions.map(async (region) => {
        const server = await startNatsServer({
          region,
          dir: join(opts.baseDir, region, 'nats'),
          ports: ports[region],
          gateways: opts.regions
            .filter((r) => r !== region)
            .map((r) => ({ name: r, urls: [urlFor(region, r)] })),
          gatewayAdvertise: opts.gatewayAdvertise?.(region),
          binary: opts.binary,
          timeoutMs: opts.timeoutMs,
        });
        servers.push(server);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    servers.sort((a, b) => opts.regions.indexOf(a.region) - opts.regions.indexOf(b.region));
    const metaLeader = await waitForMetaLeader(servers, opts.timeoutMs ?? 60_000);
    return {
      servers,
      byRegion: new Map(servers.map((s) => [s.region, s])),
      metaLeader,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
