import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { API_VERSION, type FailoverDrill, type GlobalDatabase } from '../api/index.js';
import { FailoverDrillReconciler, type DrillHarness } from '../controllers/failover-drill/index.js';
import {
  ClusterClients,
  GlobalDatabaseReconciler,
  HttpAgentStatusSource,
  MANAGED_KINDS,
  ownerKeyOf,
  type AgentStatusSource,
} from '../controllers/global-database/index.js';
import {
  AgentPromotionDriver,
  LeasePusher,
  PromotionCoordinator,
  StatusEpochStore,
  type EpochStore,
  type PromotionDriver,
  type SeedUrlResolver,
} from '../failover/index.js';
import { OperatorDrillHarness, type RegionUrlResolver } from '../drills/index.js';
import { FaultInjectionError, type FaultInjector } from '../drills/faults.js';
import { createOperatorMetrics, observeReconcile, type OperatorMetrics } from '../metrics/index.js';
import {
  EventRecorder,
  Informer,
  LeaderElector,
  WorkQueue,
  runWorkers,
  specOrMetadataChanged,
  type KubeClient,
  type KubeObjectLike,
} from '../runtime/index.js';
import {
  DEFAULT_IMAGES,
  FIELD_MANAGER,
  LABELS,
  MANAGED_BY,
  type Images,
  type KubeObject,
} from '../specs/index.js';

export interface OperatorOptions {
  client: KubeClient;
  log: Logger;
  /** Watch one namespace only; undefined = all namespaces. */
  namespace?: string;
  images?: Images;
  agents?: AgentStatusSource;
  driver?: PromotionDriver;
  epochStore?: EpochStore;
  harness?: DrillHarness;
  /**
   * The primaries' write lease pushed by the operator (agents with control.leaseFrom "admin", as the operator
   * renders them): lease length and renewal interval, ms (default 3000 / 1000); false: none.
   */
  lease?: { leaseMs?: number; renewMs?: number } | false;
  /** Fault injection for drills (kill/freeze/partition of a region); see operator/src/drills. */
  faults?: FaultInjector;
  /**
   * Where regions' PostgreSQL is reached, overriding the in-cluster DNS / postgresAddress defaults (tests on a local
   * topology): `from` is the region that connects (seeding), undefined for the operator itself (drill prober).
   */
  postgresUrl?: (gdb: GlobalDatabase, region: string, from?: string) => string | Promise<string>;
  pollIntervalMs?: number;
  workers?: number;
  /** Lease-based leader election; omit to run without (single replica, tests). */
  leaderElection?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationSeconds?: number;
    retryPeriodMs?: number;
  };
  /** Port of /metrics, /healthz, /readyz (0 = any free port; undefined = no server). */
  httpPort?: number;
  httpHost?: string;
  metrics?: OperatorMetrics;
  /** Called when leadership is lost (default: log; main.ts exits so a successor takes over cleanly). */
  onLeadershipLost?: () => void;
}

/** Without a fault injector a failover drill cannot start, and says how to get one. */
const noFaults: FaultInjector = {
  inject: () =>
    Promise.reject(
      new FaultInjectionError(
        'this operator runs without a fault injector: start it with KubeFaultInjector (borealis-operator does by default)',
      ),
    ),
};

const keyOf = (o: { metadata: { namespace?: string; name: string } }): string =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const splitKey = (k: string): [string, string] => {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
};

/** The operator process: leader election, informers, work queues, both controllers, metrics/health server. */
export class Operator {
  readonly metrics: OperatorMetrics;
  readonly gdbQueue = new WorkQueue({ baseDelayMs: 250, maxDelayMs: 60_000 });
  readonly drillQueue = new WorkQueue({ baseDelayMs: 250, maxDelayMs: 60_000 });
  private readonly informers: Informer<KubeObjectLike>[] = [];
  private readonly gdbReconciler: GlobalDatabaseReconciler;
  private readonly drillReconciler: FailoverDrillReconciler;
  private readonly elector: LeaderElector | undefined;
  private readonly lease: LeasePusher | undefined;
  private server: Server | undefined;
  private workers: Promise<void>[] = [];
  private ready = false;
  private stopping = false;

  constructor(private readonly o: OperatorOptions) {
    this.metrics = o.metrics ?? createOperatorMetrics();
    const identity = o.leaderElection?.identity ?? 'borealis-operator';
    const events = new EventRecorder(o.client, 'borealis-operator', identity, o.log);
    const clusters = new ClusterClients(o.client);
    const agents = o.agents ?? new HttpAgentStatusSource();
    const pgUrl = o.postgresUrl;
    const seedUrl: SeedUrlResolver | undefined =
      pgUrl && ((g, from, primary) => pgUrl(g, primary, from));
    const operatorUrl: RegionUrlResolver | undefined = pgUrl && ((g, region) => pgUrl(g, region));
    const driver = o.driver ?? new AgentPromotionDriver(clusters, agents, seedUrl);
    // The pushed write lease (docs/operator.md "Fencing"); paused while a promotion of that database runs.
    const promotions: { coordinator?: PromotionCoordinator } = {};
    this.lease =
      o.lease === false
        ? undefined
        : new LeasePusher(
            driver,
            { leaseMs: o.lease?.leaseMs ?? 3_000, renewMs: o.lease?.renewMs ?? 1_000 },
            (ns, name) => promotions.coordinator?.current(ns, name) !== undefined,
            o.log.child({ component: 'lease' }),
          );
    const coordinator = new PromotionCoordinator(
      o.client,
      driver,
      o.epochStore ?? new StatusEpochStore(o.client, FIELD_MANAGER),
      FIELD_MANAGER,
      o.log.child({ component: 'promotion' }),
      (ns, name) => this.gdbQueue.add(`${ns}/${name}`),
      this.lease,
      (r) => {
        for (const ph of r.phases)
          this.metrics.promotionPhase.observe({ phase: ph.name, kind: r.type }, ph.seconds);
        this.metrics.failovers.inc({
          kind: r.type,
          result: r.ok ? 'succeeded' : r.refused ? 'refused' : 'failed',
        });
      },
    );
    promotions.coordinator = coordinator;
    this.gdbReconciler = new GlobalDatabaseReconciler({
      clusters,
      agents,
      coordinator,
      ...(this.lease ? { lease: this.lease } : {}),
      events,
      images: o.images ?? DEFAULT_IMAGES,
      log: o.log.child({ controller: 'globaldatabase' }),
      pollIntervalMs: o.pollIntervalMs ?? 5000,
    });
    this.drillReconciler = new FailoverDrillReconciler({
      client: o.client,
      coordinator,
      harness: o.harness ?? new OperatorDrillHarness(clusters, o.faults ?? noFaults, operatorUrl),
      clusters,
      events,
      log: o.log.child({ controller: 'failoverdrill' }),
      onResult: (s) => {
        if (s.rtoSeconds !== undefined) this.metrics.failoverRto.set(s.rtoSeconds);
        if (s.rpoTransactions !== undefined) this.metrics.failoverRpo.set(s.rpoTransactions);
      },
    });
    if (o.leaderElection) {
      this.elector = new LeaderElector(
        o.client,
        {
          namespace: o.leaderElection.namespace,
          name: o.leaderElection.name,
          identity,
          leaseDurationSeconds: o.leaderElection.leaseDurationSeconds ?? 15,
          retryPeriodMs: o.leaderElection.retryPeriodMs ?? 2000,
        },
        o.log.child({ component: 'leader-election' }),
      );
    }
  }

  /** Address of the metrics/health server, once started. */
  httpAddress(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  async start(): Promise<void> {
    if (this.o.httpPort !== undefined) await this.startServer(this.o.httpPort);
    if (this.elector)
      await this.elector.run(() =>
        (this.o.onLeadershipLost ?? (() => this.o.log.error('leadership lost')))(),
      );
    const log = this.o.log;
    const gdbInformer = new Informer<GlobalDatabase>(
      this.o.client,
      this.scope(API_VERSION, 'GlobalDatabase'),
      {
        onAdd: (g) => this.gdbQueue.add(keyOf(g)),
        // Not on its own status writes: the reconciler re-queues itself every poll interval.
        onUpdate: (g, old) => {
          if (specOrMetadataChanged(g, old)) this.gdbQueue.add(keyOf(g));
        },
        onDelete: (g) => this.gdbQueue.add(keyOf(g)),
      },
      log.child({ informer: 'GlobalDatabase' }),
    );
    const drillInformer = new Informer<FailoverDrill>(
      this.o.client,
      this.scope(API_VERSION, 'FailoverDrill'),
      {
        onAdd: (d) => this.drillQueue.add(keyOf(d)),
        onUpdate: (d) => this.drillQueue.add(keyOf(d)),
      },
      log.child({ informer: 'FailoverDrill' }),
    );
    this.informers.push(gdbInformer, drillInformer);
    // Managed objects: a deleted or changed object re-queues its GlobalDatabase (drift is corrected at once).
    for (const k of MANAGED_KINDS) {
      const enqueue = (o: KubeObject): void => {
        const key = ownerKeyOf(o);
        if (key) this.gdbQueue.add(key);
      };
      this.informers.push(
        new Informer<KubeObject>(
          this.o.client,
          {
            ...this.scope(k.apiVersion, k.kind),
            labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
          },
          { onUpdate: enqueue, onDelete: enqueue },
          log.child({ informer: k.kind }),
        ),
      );
    }
    for (const i of this.informers) i.start();
    this.lease?.start();
    await Promise.all(this.informers.map((i) => i.synced));
    const onError = (controller: string) => (key: string, err: unknown, retryInMs: number) =>
      log.warn({ err, controller, key, retryInMs }, 'reconcile failed');
    const workers = this.o.workers ?? 2;
    this.workers.push(
      runWorkers(
        this.gdbQueue,
        workers,
        (key) =>
          observeReconcile(this.metrics, 'globaldatabase', () =>
            this.gdbReconciler.reconcile(...splitKey(key)),
          ),
        onError('globaldatabase'),
      ),
      runWorkers(
        this.drillQueue,
        1,
        (key) =>
          observeReconcile(this.metrics, 'failoverdrill', () =>
            this.drillReconciler.reconcile(...splitKey(key)),
          ),
        onError('failoverdrill'),
      ),
    );
    this.ready = true;
    log.info({ namespace: this.o.namespace ?? '(all)' }, 'operator started');
  }

  /** Graceful shutdown: stop taking work, finish in-flight reconciles and drills, stop informers, release the lease. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.ready = false;
    this.lease?.stop();
    this.gdbQueue.shutDown();
    this.drillQueue.shutDown();
    await Promise.all(this.workers);
    await this.drillReconciler.drain();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.elector?.stop();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.o.log.info('operator stopped');
  }

  private scope(
    apiVersion: string,
    kind: string,
  ): { apiVersion: string; kind: string; namespace?: string } {
    return this.o.namespace
      ? { apiVersion, kind, namespace: this.o.namespace }
      : { apiVersion, kind };
  }

  private startServer(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/metrics') {
        this.metrics.registry
          .metrics()
          .then((text) =>
            res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text),
          )
          .catch((err: unknown) => res.writeHead(500).end(String(err)));
      } else if (req.url === '/healthz') res.writeHead(200).end('ok\n');
      else if (req.url === '/readyz')
        res
          .writeHead(this.ready ? 200 : 503)
          .end(this.ready ? 'ready\n' : 'not leading or not synced\n');
      else res.writeHead(404).end('not found\n');
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.o.httpHost ?? '0.0.0.0', () => resolve());
    });
  }
}
