import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgentConfig, type AgentConfigFile } from './agent-config.js';
import { spawnAgent, waitAgentReady, type AgentInstance } from './agent.js';
import { ControlPlane } from './control-plane.js';
import { TcpEndpoint } from './endpoint.js';
import { TopologyError, TopologyOptionsError } from './errors.js';
import { Link, LinkProxy, natsGatewayOrigin } from './link-proxy.js';
import {
  allocateNatsPorts,
  defaultNatsServerBinary,
  startSupercluster,
  type NatsPorts,
  type NatsServerInstance,
  type Supercluster,
} from './nats.js';
import { allocatePort } from './ports.js';
import {
  createPostgresTemplate,
  defaultPgBinDir,
  restartPostgres,
  startPostgres,
  startReplica,
  type PostgresInstance,
} from './postgres.js';
import { APP_DATABASE, SUPERUSER } from './postgres-config.js';
import { ManagedProcess } from './process.js';
import { checkReaders, regionNames } from './regions.js';
import { startControlCluster, type ControlCluster } from '../promotion/control-cluster.js';
import { Coordinator } from '../promotion/coordinator.js';
import { promotionRoutes } from '../promotion/http.js';

export interface TopologyOptions {
  /** Regions in total (1 primary + N-1 secondaries), 1..6. */
  regions: number;
  /** Reader replicas per region, 0..15 (default 0). */
  readers?: number;
  /** One-way delay of every inter-region link, ms (default 0). */
  wanLatencyMs?: number;
  /** Jitter ± ms around the delay (default 0). */
  jitterMs?: number;
  /** Parent folder of the topology's temp dir (default os.tmpdir()). The topology's own dir is removed on stop. */
  baseDir?: string;
  /** Start the region agents (default true). Without agents: PostgreSQL, NATS, proxies and endpoints only. */
  agents?: boolean;
  /** PostgreSQL settings over the defaults for every instance (e.g. { fsync: 'off' } in test suites). */
  postgresSettings?: Record<string, string>;
  /** Extra agent config fields (e.g. { heartbeat: { intervalMs: 100 } }), merged into every agent.json. */
  agentConfig?: Record<string, unknown>;
  /** Progress lines ("postgres us-east ready on 127.0.0.1:…"). */
  log?: (line: string) => void;
  /** Keep the temp dir after stop (logs, for debugging). */
  keepFiles?: boolean;
  pgBinDir?: string;
  natsServerBinary?: string;
  agentEntry?: string;
  /** Time allowed for each agent to become ready (default 90 s). */
  agentReadyTimeoutMs?: number;
  /**
   * Promotion (docs/promotion.md): automatic failover (default off), its detection window (default 2 s),
   * the RPO guard (default 5 s) and the agents' write lease (default 2.5 s).
   */
  /**
   * Start the control cluster (epoch store) and the promotion coordinator with the agents (default true). false:
   * agents run without a write lease and nothing here promotes — another authority (the operator) does.
   */
  control?: boolean;
  promotion?: {
    automatic?: boolean;
    detectionMs?: number;
    rpoGuardSeconds?: number;
    leaseMs?: number;
  };
}

export type RegionRole = 'primary' | 'secondary';

/** The document printed by `borealis up --json` and `borealis status --json`. */
export interface TopologyDescription {
  writer: string;
  /** Bearer token of every region's Data API (POST <http>/v1/execute; docs/data-api.md). */
  dataApiToken: string;
  regions: {
    name: string;
    role: RegionRole;
    postgres: string;
    reader: string;
    http: string;
    metrics: string;
    nats: string;
  }[];
  controlPlane: string;
}

export type ProcessKind = 'postgres' | 'nats' | 'agent';

export interface Region {
  name: string;
  role: RegionRole;
  /** <topology dir>/<region> */
  dir: string;
  postgres: PostgresInstance;
  readers: PostgresInstance[];
  nats: NatsServerInstance;
  agent?: AgentInstance;
  /** The agent's HTTP port (allocated even without agents). */
  httpPort: number;
  readerEndpoint: TcpEndpoint;
  /** Secondaries: the seed link proxy (this region → primary's PostgreSQL). */
  seedProxy?: LinkProxy;
  urls: { postgres: string; reader: string; http: string; metrics: string; nats: string };
}

/** A running local multi-region topology (see startTopology). */
export class Topology {
  readonly dir: string;
  readonly regions: Region[] = [];
  readonly links = new Map<string, Link>();
  readonly gatewayProxies: LinkProxy[] = [];
  /** Data API link proxies: agent A reaches agent B's HTTP port through proxy A->B (write forwarding). */
  readonly dataApiProxies: LinkProxy[] = [];
  /** Bearer token of the Data API, new for every topology. */
  readonly dataApiToken = randomBytes(24).toString('base64url');
  writer!: TcpEndpoint;
  controlPlane!: ControlPlane;
  /** The control NATS cluster holding the epoch store (with agents only). */
  control?: ControlCluster;
  /** The promotion coordinator (with agents only). */
  coordinator?: Coordinator;
  supercluster?: Supercluster;
  private readonly postgres = new Map<string, PostgresInstance>();
  private readonly replicas: PostgresInstance[] = [];
  private readonly endpoints: TcpEndpoint[] = [];
  private readonly seedProxies: LinkProxy[] = [];
  private readonly agents: AgentInstance[] = [];
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private markStopped!: () => void;
  /** @internal resolves once stop() finished. */
  readonly stopped_ = new Promise<void>((resolve) => {
    this.markStopped = resolve;
  });

  constructor(
    readonly options: TopologyOptions,
    dir: string,
  ) {
    this.dir = dir;
  }

  get primary(): Region {
    const p = this.regions.find((r) => r.role === 'primary');
    if (!p) throw new TopologyError('topology has no primary region');
    return p;
  }

  region(name: string): Region {
    const r = this.regions.find((x) => x.name === name);
    if (!r)
      throw new TopologyOptionsError(
        `no region ${JSON.stringify(name)} (regions: ${this.regions.map((x) => x.name).join(', ')})`,
      );
    return r;
  }

  describe(): TopologyDescription {
    return {
      writer: `postgres://${SUPERUSER}@127.0.0.1:${this.writer.port}/${APP_DATABASE}`,
      regions: this.regions.map((r) => ({ name: r.name, role: r.role, ...r.urls })),
      controlPlane: this.controlPlane.url,
      dataApiToken: this.dataApiToken,
    };
  }

  /** Every pid this topology started (PostgreSQL incl. readers, nats-server, agents). */
  pids(): { region: string; kind: ProcessKind | 'reader'; pid: number; command: string }[] {
    const out: { region: string; kind: ProcessKind | 'reader'; pid: number; command: string }[] =
      [];
    for (const r of this.regions) {
      out.push({ region: r.name, kind: 'postgres', pid: r.postgres.pid, command: 'postgres' });
      for (const rep of r.readers)
        out.push({ region: r.name, kind: 'reader', pid: rep.pid, command: 'postgres' });
      out.push({ region: r.name, kind: 'nats', pid: r.nats.pid, command: 'nats-server' });
      if (r.agent) out.push({ region: r.name, kind: 'agent', pid: r.agent.pid, command: 'node' });
    }
    return out;
  }

  // ---------------------------------------------------------------- links

  link(from: string, to: string): Link {
    const l = this.links.get(`${from}->${to}`);
    if (!l) throw new TopologyOptionsError(`no link ${from} -> ${to}`);
    return l;
  }

  /** Cuts both directions between two regions: open connections close, new ones are refused. */
  cut(a: string, b: string): void {
    this.link(a, b).sever();
    this.link(b, a).sever();
  }

  /** Restores both directions between two regions. */
  restore(a: string, b: string): void {
    this.link(a, b).restore();
    this.link(b, a).restore();
  }

  /** Cuts every link of a region (a network partition of that region). */
  isolate(region: string): void {
    this.region(region);
    for (const l of this.links.values()) if (l.from === region || l.to === region) l.sever();
  }

  /** Restores every link of a region. */
  heal(region: string): void {
    this.region(region);
    for (const l of this.links.values()) if (l.from === region || l.to === region) l.restore();
  }

  /** Sets the one-way delay/jitter of every inter-region link. */
  setWanLatency(delayMs: number, jitterMs = 0): void {
    for (const l of this.links.values()) l.setLatency({ delayMs, jitterMs });
  }

  // ---------------------------------------------------------------- processes

  process(region: string, kind: ProcessKind): ManagedProcess {
    const r = this.region(region);
    if (kind === 'postgres') return r.postgres.process;
    if (kind === 'nats') return r.nats.process;
    if (!r.agent)
      throw new TopologyOptionsError(
        `region ${region} runs no agent (topology started with agents: false)`,
      );
    return r.agent.process;
  }

  /** SIGKILL a region's process (a crash). */
  kill(region: string, kind: ProcessKind): Promise<void> {
    return this.process(region, kind).kill();
  }

  /** SIGSTOP a region's process (a freeze). */
  pause(region: string, kind: ProcessKind): boolean {
    return this.process(region, kind).pause();
  }

  /** SIGCONT a frozen process. */
  resume(region: string, kind: ProcessKind): boolean {
    return this.process(region, kind).resume();
  }

  /** Endpoint connection counts (control-plane /metrics). */
  endpointConnections(): { endpoint: string; connections: number }[] {
    return this.endpoints.map((e) => ({ endpoint: e.name, connections: e.connectionCount }));
  }

  /**
   * Starts again every process of a region that is not running (after a kill drill): PostgreSQL and its
   * readers on their data directories and ports, nats-server with its config and JetStream store, the agent
   * with its config (it resumes the role and epoch it recorded; the coordinator then rejoins it), and the
   * region's control-cluster member. The topology keeps owning (and stops) the new processes.
   */
  async restartRegion(name: string): Promise<void> {
    const r = this.region(name);
    const o = this.options;
    const restartPg = async (inst: PostgresInstance) => {
      if (!inst.process.exited) return;
      Object.assign(
        inst,
        await restartPostgres(inst, { pgBinDir: o.pgBinDir, settings: o.postgresSettings }),
      );
    };
    await restartPg(r.postgres);
    await Promise.all(r.readers.map(restartPg));
    if (r.nats.process.exited) {
      const proc = await ManagedProcess.spawn({
        name: `nats-server ${name}`,
        command: o.natsServerBinary ?? defaultNatsServerBinary(),
        args: ['-c', r.nats.configFile],
        logFile: r.nats.logFile,
        cwd: r.nats.dir,
      });
      Object.assign(r.nats, {
        process: proc,
        pid: proc.pid,
        stop: (t?: number) => proc.stop(t ?? 10_000),
      });
    }
    await this.control?.restartMembersOf(name);
    if (r.agent && r.agent.process.exited) {
      const old = r.agent;
      const agent = await spawnAgent({
        config: JSON.parse(readFileSync(old.configFile, 'utf8')) as AgentConfigFile,
        configFile: old.configFile,
        logFile: old.logFile,
        cwd: r.dir,
        entry: o.agentEntry,
      });
      const i = this.agents.indexOf(old);
      if (i >= 0) this.agents[i] = agent;
      else this.agents.push(agent);
      r.agent = agent;
    }
  }

  // ---------------------------------------------------------------- stop

  /**
   * Stops everything this topology started, by pid (agents, endpoints and proxies, reader replicas,
   * PostgreSQL, NATS; SIGTERM/SIGINT then SIGKILL after a timeout) and removes its temp dir. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.stopped) return;
    const errors: unknown[] = [];
    const all = async (ps: Promise<unknown>[]) => {
      for (const r of await Promise.allSettled(ps))
        if (r.status === 'rejected') errors.push(r.reason);
    };
    const log = this.options.log ?? (() => undefined);
    let t = Date.now();
    const phase = (what: string) => {
      log(`stopped ${what} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    if (this.coordinator) await all([this.coordinator.stop()]);
    await all(this.agents.map((a) => a.stop()));
    phase(`${this.agents.length} agent(s)`);
    await all([
      ...this.endpoints.map((e) => e.close()),
      ...this.seedProxies.map((p) => p.close()),
      ...this.gatewayProxies.map((p) => p.close()),
      ...this.dataApiProxies.map((p) => p.close()),
    ]);
    phase('endpoints and link proxies');
    await all(this.replicas.map((p) => p.stop()));
    await all([...this.postgres.values()].map((p) => p.stop()));
    phase(`${this.postgres.size + this.replicas.length} PostgreSQL instance(s)`);
    if (this.control) await all([this.control.stop()]);
    if (this.supercluster) await all([this.supercluster.stop()]);
    else await all(this.regions.map((r) => r.nats.stop()));
    phase('NATS');
    if (this.controlPlane) await all([this.controlPlane.close()]);
    if (!this.options.keepFiles) {
      try {
        rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        errors.push(err);
      }
      phase(`removing ${this.dir}`);
    }
    this.stopped = true;
    this.markStopped();
    if (errors.length > 0)
      throw new TopologyError(`stopping the topology: ${errors.length} error(s)`, {
        cause: errors[0],
      });
  }

  // ---------------------------------------------------------------- start (internal)

  /** @internal */
  async start(): Promise<void> {
    const o = this.options;
    const names = regionNames(o.regions);
    const readers = checkReaders(o.readers ?? 0);
    const delayMs = o.wanLatencyMs ?? 0;
    const jitterMs = o.jitterMs ?? 0;
    if (!(delayMs >= 0) || !(jitterMs >= 0))
      throw new TopologyOptionsError('wanLatencyMs and jitterMs must be >= 0');
    if (jitterMs > delayMs)
      throw new TopologyOptionsError(
        `jitter (${jitterMs} ms) cannot exceed the WAN latency (${delayMs} ms)`,
      );
    const log = o.log ?? (() => undefined);
    const primaryName = names[0]!;
    const t0 = Date.now();
    const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

    // Links: one per ordered region pair.
    for (const a of names)
      for (const b of names)
        if (a !== b) this.links.set(`${a}->${b}`, new Link(a, b, { delayMs, jitterMs }));

    // Ports first: proxies must know every target before any config is written.
    const natsPorts = new Map<string, NatsPorts>();
    const httpPorts = new Map<string, number>();
    for (const n of names) {
      natsPorts.set(n, await allocateNatsPorts());
      httpPorts.set(n, await allocatePort());
      mkdirSync(join(this.dir, n), { recursive: true });
    }

    // NATS gateway link proxies: region A dials region B's gateway through proxy A->B. Every proxy into B
    // identifies the dialing region from its CONNECT, so a gossiped proxy address still follows that
    // region's own link (docs/local-topology.md).
    const gatewayProxy = new Map<string, LinkProxy>();
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        const proxy = await LinkProxy.start({
          link: this.link(a, b),
          target: { host: '127.0.0.1', port: natsPorts.get(b)!.gateway },
          resolveOrigin: natsGatewayOrigin((from) => this.links.get(`${from}->${b}`)),
          purpose: 'nats gateway',
        });
        gatewayProxy.set(`${a}->${b}`, proxy);
        this.gatewayProxies.push(proxy);
      }
    }
    const advertiseFor = (b: string): string | undefined => {
      const a = names.find((n) => n !== b);
      return a ? `127.0.0.1:${gatewayProxy.get(`${a}->${b}`)!.port}` : undefined;
    };

    log(
      `starting ${names.length} region(s): ${names.join(', ')} (PostgreSQL 15 + nats-server each${o.agents === false ? '' : ' + region agent'})`,
    );
    // One initdb for the whole topology; each region copies it (initdb is most of a start's CPU).
    const templateDir = join(this.dir, '.postgres-template');
    const template = createPostgresTemplate({
      dir: templateDir,
      pgBinDir: o.pgBinDir,
    });
    const pgStarts = names.map(async (n) => {
      const inst = await startPostgres({
        dir: join(this.dir, n, 'postgres'),
        name: `postgres ${n}`,
        settings: o.postgresSettings,
        pgBinDir: o.pgBinDir,
        template: await template,
      });
      this.postgres.set(n, inst);
      log(`[${since()}] postgres ${n} ready on 127.0.0.1:${inst.port} (pid ${inst.pid})`);
      return inst;
    });
    const natsStart = startSupercluster({
      regions: names,
      baseDir: this.dir,
      ports: Object.fromEntries(natsPorts),
      gatewayUrl: (from, to) => `nats://127.0.0.1:${gatewayProxy.get(`${from}->${to}`)!.port}`,
      gatewayAdvertise: advertiseFor,
      binary: o.natsServerBinary,
    }).then((sc) => {
      this.supercluster = sc;
      log(
        `[${since()}] nats supercluster ready: ${sc.servers.length} server(s), JetStream meta leader ${sc.metaLeader}`,
      );
      return sc;
    });
    const results = await Promise.allSettled([...pgStarts, natsStart]);
    rmSync(templateDir, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sc = this.supercluster!;
    if (o.agents !== false && o.control !== false) {
      this.control = await startControlCluster({
        dir: join(this.dir, 'control'),
        regions: names,
        primary: primaryName,
        db: APP_DATABASE,
        binary: o.natsServerBinary,
      });
      log(
        `[${since()}] control cluster (epoch store, KV R3) ready: ${this.control.members.map((m) => m.name).join(', ')}`,
      );
    }

    // Reader replicas (pg_basebackup -R from the region's PostgreSQL).
    const replicasByRegion = new Map<string, PostgresInstance[]>(names.map((n) => [n, []]));
    if (readers > 0) {
      const starts: Promise<void>[] = [];
      for (const n of names) {
        const primaryPg = this.postgres.get(n)!;
        for (let i = 1; i <= readers; i++) {
          starts.push(
            startReplica({
              primary: primaryPg,
              dir: join(this.dir, n, `reader-${i}`),
              name: `postgres ${n} reader-${i}`,
              settings: o.postgresSettings,
              pgBinDir: o.pgBinDir,
            }).then((rep) => {
              this.replicas.push(rep);
              replicasByRegion.get(n)![i - 1] = rep;
            }),
          );
        }
      }
      const res = await Promise.allSettled(starts);
      const bad = res.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
      log(`[${since()}] ${readers} reader replica(s) per region streaming`);
    }

    // Endpoints and seed proxies.
    this.writer = await TcpEndpoint.start({
      name: 'writer',
      backends: [{ host: '127.0.0.1', port: this.postgres.get(primaryName)!.port }],
    });
    this.endpoints.push(this.writer);
    for (const n of names) {
      const pgInst = this.postgres.get(n)!;
      const reps = replicasByRegion.get(n)!;
      const readerEndpoint = await TcpEndpoint.start({
        name: `reader-${n}`,
        backends: [pgInst, ...reps].map((p) => ({ host: '127.0.0.1', port: p.port })),
      });
      this.endpoints.push(readerEndpoint);
      let seedProxy: LinkProxy | undefined;
      if (n !== primaryName) {
        seedProxy = await LinkProxy.start({
          link: this.link(n, primaryName),
          target: { host: '127.0.0.1', port: this.postgres.get(primaryName)!.port },
          purpose: 'postgres seed',
        });
        this.seedProxies.push(seedProxy);
      }
      const httpPort = httpPorts.get(n)!;
      const nats = sc.byRegion.get(n)!;
      this.regions.push({
        name: n,
        role: n === primaryName ? 'primary' : 'secondary',
        dir: join(this.dir, n),
        postgres: pgInst,
        readers: reps,
        nats,
        httpPort,
        readerEndpoint,
        seedProxy,
        urls: {
          postgres: pgInst.url,
          reader: `postgres://${SUPERUSER}@127.0.0.1:${readerEndpoint.port}/${APP_DATABASE}`,
          http: `http://127.0.0.1:${httpPort}`,
          metrics: `http://127.0.0.1:${httpPort}/metrics`,
          nats: nats.url,
        },
      });
    }
    this.controlPlane = await ControlPlane.start(this);

    // Data API links: each agent reaches every other agent's HTTP port through its own link proxy.
    const dataApiPeers = new Map<string, { region: string; http: string }[]>();
    for (const a of names) {
      const peers: { region: string; http: string }[] = [];
      for (const b of names) {
        if (a === b) continue;
        const proxy = await LinkProxy.start({
          link: this.link(a, b),
          target: { host: '127.0.0.1', port: httpPorts.get(b)! },
          purpose: 'data api',
        });
        this.dataApiProxies.push(proxy);
        peers.push({ region: b, http: `http://127.0.0.1:${proxy.port}` });
      }
      dataApiPeers.set(a, peers);
    }

    if (o.agents !== false) {
      const startAgent = async (r: Region) => {
        const config = buildAgentConfig({
          region: r.name,
          role: r.role,
          primaryRegion: primaryName,
          databaseUrl: r.postgres.url,
          natsServers: [r.nats.url],
          seedSourceUrl: r.seedProxy
            ? `postgres://${SUPERUSER}@127.0.0.1:${r.seedProxy.port}/${APP_DATABASE}`
            : undefined,
          pgBinDir: o.pgBinDir ?? defaultPgBinDir(),
          httpPort: r.httpPort,
          extra: this.control
            ? {
                ...o.agentConfig,
                control: {
                  ...(o.agentConfig?.control ?? {}),
                  servers: this.control.urls,
                  leaseMs: o.promotion?.leaseMs ?? 2_500,
                },
              }
            : o.agentConfig,
          dataApiToken: this.dataApiToken,
          peers: dataApiPeers.get(r.name),
        });
        const agent = await spawnAgent({
          config,
          configFile: join(r.dir, 'agent.json'),
          logFile: join(r.dir, 'agent.log'),
          cwd: r.dir,
          entry: o.agentEntry,
        });
        this.agents.push(agent);
        r.agent = agent;
        await waitAgentReady(agent, o.agentReadyTimeoutMs ?? 90_000);
        log(
          `[${since()}] agent ${r.name} (${r.role}) ready on ${agent.httpUrl} (pid ${agent.pid})`,
        );
      };
      // The primary creates the source stream; the secondaries then create their mirrors and seed.
      await startAgent(this.primary);
      const res = await Promise.allSettled(
        this.regions.filter((r) => r.role === 'secondary').map(startAgent),
      );
      const bad = res.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
    }
    if (this.control) {
      const p = o.promotion ?? {};
      this.coordinator = new Coordinator(
        this,
        this.control.store,
        {
          detectionMs: p.detectionMs ?? 2_000,
          rpoGuardSeconds: p.rpoGuardSeconds ?? 5,
          leaseMs: p.leaseMs ?? 2_500,
          automatic: p.automatic ?? false,
          log,
        },
        this.controlPlane.registry,
        (primary) => this.control!.keepLeaderOutside(primary),
      );
      await this.coordinator.start();
      this.controlPlane.routes = promotionRoutes(this, this.coordinator);
    }
    log(`[${since()}] topology ready: writer ${this.describe().writer}`);
  }
}

/**
 * Starts a local multi-region topology: per region a PostgreSQL 15 (+ reader replicas), a nats-server with
 * JetStream (all joined by gateways through link proxies into one supercluster) and, unless agents: false,
 * a region agent; plus the writer endpoint, per-region reader endpoints and the control plane. If anything
 * fails while starting, everything already started is stopped and the temp dir removed before the error is
 * rethrown.
 */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  // Bad options fail before anything is created.
  regionNames(options.regions);
  checkReaders(options.readers ?? 0);
  const delayMs = options.wanLatencyMs ?? 0;
  const jitterMs = options.jitterMs ?? 0;
  if (!(delayMs >= 0) || !(jitterMs >= 0)) {
    throw new TopologyOptionsError('wanLatencyMs and jitterMs must be >= 0');
  }
  if (jitterMs > delayMs) {
    throw new TopologyOptionsError(
      `jitter (${jitterMs} ms) cannot exceed the WAN latency (${delayMs} ms)`,
    );
  }
  const parent = options.baseDir ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'borealis-topology-'));
  const topology = new Topology(options, dir);
  // Children are SIGKILLed by process.ts's exit hook if this process exits without stop(); remove the dir too.
  const removeDir = () => {
    if (!options.keepFiles) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', removeDir);
  void topology.stopped_.then(() => process.off('exit', removeDir));
  try {
    await topology.start();
    return topology;
  } catch (err) {
    await topology.stop().catch(() => undefined);
    throw err;
  }
}
