import type { Server } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { Apply, RetentionGapError } from '../apply/index.js';
import { Capture } from '../capture/index.js';
import type { AgentConfig } from '../config/index.js';
import { DataApi, type TopologyView } from '../data-api/index.js';
import { bootstrapDatabase, waitForPostgres } from '../db/index.js';
import { Heartbeat } from '../heartbeat/index.js';
import { startHttpServer, type AgentStatus } from '../http/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { AgentMetrics } from '../metrics/index.js';
import { recreateDatabase, seedFromPrimary } from '../seed/index.js';
import { connectNats } from '../transport/index.js';
import pg from 'pg';
import { SESSION_OPTIONS } from '../db/index.js';
import {
  EpochStore,
  LeaseKeeper,
  LOAD_STATE_SQL,
  Promoter,
  PromotionError,
  type EpochEntry,
  type FenceResult,
} from '../promotion/index.js';
import { readOnlySql } from '../promotion/sql.js';

/** Restart delays of a failed capture/apply run: exponential, capped. */
const BACKOFF_MS = [100, 250, 500, 1_000, 2_000, 5_000];

/** One region agent: bootstraps its database, then captures (primary) or applies (secondary). */
export class RegionAgent {
  log: Logger;
  readonly metrics: AgentMetrics;
  private nc: NatsConnection | null = null;
  private http: Server | null = null;
  private capture: Capture | null = null;
  private apply: Apply | null = null;
  private heartbeat: Heartbeat | null = null;
  private dataApi: DataApi | null = null;
  private readyFlag = false;
  private message = 'starting';
  private stopping = false;
  private loop: Promise<void> | null = null;
  port = 0;
  // Promotion (docs/promotion.md).
  private controlNc: NatsConnection | null = null;
  store: EpochStore | null = null;
  history: EpochEntry[] = [];
  applyHeld = false;
  fenced: FenceResult | null = null;
  private lease: LeaseKeeper | null = null;
  private roleToken: { active: boolean } | null = null;
  private roleLoop: Promise<void> | null = null;
  /** Set once start-up chose and started the role: admin operations wait for it (503 before). */
  private initialized = false;
  readonly promoter = new Promoter(this);

  constructor(readonly config: AgentConfig) {
    this.log = createLogger(config.region, config.epoch, config.log.level);
    this.metrics = new AgentMetrics(config.region, {
      role: () => this.config.role,
      epoch: () => this.config.epoch,
      ready: () => this.readyFlag,
      lagSeconds: () => this.apply?.lagSeconds() ?? (this.config.role === 'primary' ? 0 : null),
      pendingMessages: () => (this.apply ? this.apply.status().pending : null),
    });
  }

  async start(): Promise<void> {
    const d = this.config.dataApi;
    if (d.token) {
      this.dataApi = new DataApi(
        {
          ...d,
          token: d.token,
          databaseUrl: d.databaseUrl ?? this.config.database.url,
          agentDatabaseUrl: this.config.database.url,
          peers: this.config.peers,
        },
        {
          view: () => this.dataApiView(),
          appliedPosition: () => this.apply?.status().position ?? null,
          log: this.log,
          registry: this.metrics.registry,
        },
      );
    }
    const dataApi = this.dataApi;
    const { server, port } = await startHttpServer(this.config.http.host, this.config.http.port, {
      status: () => this.status(),
      ready: () => this.readyFlag,
      metrics: () => this.metrics.text(),
      metricsContentType: this.metrics.registry.contentType,
      dataApi: dataApi ? (req, res, path) => dataApi.handle(req, res, path) : undefined,
      admin: (path, body) => this.admin(path, body),
    });
    this.http = server;
    this.port = port;
    this.log.info({ port, role: this.config.role }, 'region agent listening');
    this.loop = this.main();
  }

  private async main(): Promise<void> {
    const c = this.config;
    await waitForPostgres(c.database.url, this.log);
    await bootstrapDatabase(c.database.url, c.database.name, c.role);
    await this.loadState();
    this.nc = await connectNats(c.nats.servers, `borealis-agent-${c.region}`);
    if (c.control.servers.length > 0) {
      this.controlNc = await connectNats(c.control.servers, `borealis-agent-${c.region}-control`, {
        pingIntervalMs: 1_000,
        maxPingOut: 2,
        connectTimeoutMs: 1_500,
      });
      this.store = await EpochStore.open(this.controlNc, c.control.bucket, c.database.name);
    }
    await this.startRole();
    this.initialized = true;
  }

  /** The role and epoch this region was last told (borealis.agent_state) win over the config file's. */
  private async loadState(): Promise<void> {
    const c = this.config;
    const db = new pg.Client({ connectionString: c.database.url, options: SESSION_OPTIONS });
    await db.connect();
    try {
      const r = await db.query<{
        epoch: string;
        role: 'primary' | 'secondary';
        primary_region: string;
        history: EpochEntry[];
      }>(LOAD_STATE_SQL);
      const row = r.rows[0];
      if (row && Number(row.epoch) >= c.epoch) {
        c.epoch = Number(row.epoch);
        c.role = row.role;
        c.primaryRegion = row.primary_region;
        this.history = row.history;
        this.log = this.log.child({ epoch: c.epoch });
        await db.query(readOnlySql(c.database.name, c.role === 'secondary'));
      } else {
        if (this.history.length === 0)
          this.history = [
            { epoch: c.epoch, primary: c.primaryRegion, at: new Date().toISOString() },
          ];
        await this.promoter.saveState(db);
      }
    } finally {
      await db.end();
    }
  }

  nats(): NatsConnection {
    if (!this.nc) throw new PromotionError('the agent is not connected to NATS yet', 503);
    return this.nc;
  }

  setMessage(ready: boolean, message: string): void {
    this.setReady(ready, message);
  }

  /** Starts the loops of config.role in config.epoch: lease + heartbeat + capture, or apply. */
  async startRole(): Promise<void> {
    const c = this.config;
    const token = { active: true };
    this.roleToken = token;
    const retention = c.stream;
    if (c.role === 'primary') {
      this.apply = null;
      if (this.store) {
        const db = new pg.Client({
          connectionString: c.database.url,
          options: `${SESSION_OPTIONS} -c session_replication_role=replica`,
        });
        await db.connect();
        await db.query('SELECT borealis.ensure_lease_triggers_all()').finally(() => db.end());
        this.lease = new LeaseKeeper(
          {
            databaseUrl: c.database.url,
            region: c.region,
            epoch: () => c.epoch,
            store: this.store,
            leaseMs: c.control.leaseMs,
            intervalMs: c.control.renewMs,
            onSuperseded: (record) =>
              void this.promoter.fenceSelf(
                `the epoch store names ${record.primary} primary of epoch ${record.epoch}`,
              ),
          },
          this.log,
        );
        // Not confirmed by the store (superseded while away, or the store unreachable): no writes, no capture.
        // The loop ends as soon as another role took over (a rejoin or promotion restarted the role).
        const current = () =>
          token.active && !this.stopping && this.roleToken === token && c.role === 'primary';
        const lease = this.lease;
        for (let attempt = 0; current(); attempt++) {
          try {
            await lease.start();
            break;
          } catch (err) {
            this.setReady(false, `write lease not granted: ${(err as Error).message}`);
            if (attempt % 20 === 0)
              this.log.warn({ err: (err as Error).message }, 'write lease not granted');
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        if (!current() || this.fenced) return;
      } else {
        // No epoch store. leaseFrom "admin": the promotion authority pushes the lease (POST /admin/lease); until its
        // first renewal in this epoch no client write commits. leaseFrom "none": no lease at all — clear one a fence
        // ended, so a primary promoted or unfenced here takes writes again.
        const db = new pg.Client({ connectionString: c.database.url, options: SESSION_OPTIONS });
        await db.connect();
        await (
          c.control.leaseFrom === 'admin'
            ? db.query(
                `INSERT INTO borealis.lease (id, epoch, valid_until) VALUES (1, $1, '-infinity')
                      ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch,
                        valid_until = CASE WHEN borealis.lease.epoch = excluded.epoch THEN borealis.lease.valid_until ELSE excluded.valid_until END`,
                [c.epoch],
              )
            : db.query('DELETE FROM borealis.lease')
        ).finally(() => db.end());
      }
      this.heartbeat = new Heartbeat(
        c.database.url,
        c.region,
        () => c.epoch,
        c.heartbeat.intervalMs,
        this.log,
        this.metrics,
      );
      this.heartbeat.start();
      this.capture = new Capture(
        {
          region: c.region,
          epoch: c.epoch,
          db: c.database.name,
          databaseUrl: c.database.url,
          retention,
          maxInFlight: c.capture.maxInFlight,
          maxBatchTransactions: c.capture.maxBatchTransactions,
          maxMessageBytes: c.capture.maxMessageBytes,
        },
        this.nats(),
        this.log,
        this.metrics,
      );
      const capture = this.capture;
      this.roleLoop = this.supervise(
        'capture',
        () => {
          this.setReady(true, 'capturing');
          return capture.run();
        },
        token,
      );
    } else {
      this.capture = null;
      this.apply = new Apply(
        {
          region: c.region,
          db: c.database.name,
          databaseUrl: c.database.url,
          retention,
          maxGroupTransactions: c.apply.maxGroupTransactions,
          epoch: () => c.epoch,
          history: () => this.history,
          seed: (mirrorLastSeq) => {
            const sourceUrl = c.seed.sourceUrl;
            if (!sourceUrl) {
              throw new Error(
                `region ${c.region} has no apply position and seed.sourceUrl is not configured: set seed.sourceUrl to the primary's PostgreSQL so the region can be seeded`,
              );
            }
            this.message = 'seeding from the primary';
            return seedFromPrimary(
              {
                region: c.region,
                epoch: c.epoch,
                sourceUrl,
                localUrl: c.database.url,
                pgBinDir: c.seed.pgBinDir,
              },
              mirrorLastSeq,
              this.log,
            );
          },
        },
        this.nats(),
        this.log,
        this.metrics,
      );
      const apply = this.apply;
      this.roleLoop = this.supervise(
        'apply',
        () => {
          this.setReady(true, 'applying');
          return apply.run().catch(async (err: unknown) => {
            if (err instanceof RetentionGapError) {
              // The stream lost what this region needs next: start over from a fresh snapshot.
              this.log.warn(
                { err: err.message },
                'fell behind the stream retention; re-seeding this region',
              );
              this.metrics.unsupportedChanges.inc({ reason: 'retention_gap' });
              await apply.stop();
              await recreateDatabase(c.database.url, c.database.name);
              await bootstrapDatabase(c.database.url, c.database.name, 'secondary');
            }
            throw err;
          });
        },
        token,
      );
    }
  }

  async stopLeaseAndHeartbeat(): Promise<void> {
    await this.lease?.stop();
    await this.heartbeat?.stop();
  }

  /** Stops the role's loops (lease first, so a later lease expiry is never overwritten). */
  async stopRole(): Promise<void> {
    if (this.roleToken) this.roleToken.active = false;
    await this.lease?.stop();
    await this.heartbeat?.stop();
    await this.capture?.stop();
    await this.apply?.stop();
    // A loop stuck in a slow JetStream call (a partition) checks its stop flag when it returns; apply's
    // connection is closed already, so nothing more commits (promotion reads the position from the database).
    const loop = this.roleLoop?.catch(() => undefined);
    if (loop) await Promise.race([loop, new Promise((r) => setTimeout(r, 1_000))]);
    this.lease = null;
    this.heartbeat = null;
    this.roleLoop = null;
  }

  /** POST /admin/<op> (promotion protocol; docs/promotion.md). */
  private async admin(path: string, body: unknown): Promise<{ code: number; body: unknown }> {
    const p = this.promoter;
    const b = (body ?? {}) as never;
    if (!this.initialized)
      return {
        code: 503,
        body: { error: `region ${this.config.region} is still starting: ${this.message}` },
      };
    try {
      switch (path) {
        case '/admin/drop-epoch-streams':
          return { code: 200, body: await p.dropEpochStreams(b) };
        case '/admin/lease':
          return { code: 200, body: await p.renewLease(b) };
        case '/admin/fence':
          return { code: 200, body: await p.fence(b) };
        case '/admin/unfence':
          return { code: 200, body: await p.unfence(b) };
        case '/admin/stop-apply':
          return { code: 200, body: await p.stopApply() };
        case '/admin/resume-apply':
          await p.resumeApply();
          return { code: 200, body: { ok: true } };
        case '/admin/promote':
          return { code: 200, body: await p.promote(b) };
        case '/admin/follow':
          return { code: 200, body: await p.follow(b) };
        case '/admin/rejoin':
          return { code: 200, body: await p.rejoin(b) };
        default:
          return { code: 404, body: { error: `no such admin operation: ${path}` } };
      }
    } catch (err) {
      const code = err instanceof PromotionError ? err.status : 500;
      this.log.error({ op: path, err: (err as Error).message }, 'admin operation failed');
      return { code, body: { error: (err as Error).message } };
    }
  }

  currentCapture(): Capture | null {
    return this.capture;
  }

  currentApply(): Apply | null {
    return this.apply;
  }

  /** Runs a loop, restarting it with backoff after errors until the agent stops. */
  private async supervise(
    component: 'capture' | 'apply',
    run: () => Promise<void>,
    token: { active: boolean },
  ): Promise<void> {
    let failures = 0;
    while (!this.stopping && token.active) {
      const began = Date.now();
      try {
        await run();
        if (this.stopping || !token.active) return;
        throw new Error(`${component} ended`);
      } catch (err) {
        if (this.stopping || !token.active) return;
        if (Date.now() - began > 30_000) failures = 0;
        const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
        this.setReady(false, `${component} failed: ${(err as Error).message}`);
        this.metrics.errors.inc({ component });
        this.log.error(
          {
            err: (err as Error).message,
            cause:
              (err as Error).cause instanceof Error
                ? ((err as Error).cause as Error).message
                : undefined,
            retryInMs: delay,
          },
          `${component} failed; restarting`,
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private setReady(ready: boolean, message: string): void {
    this.readyFlag = ready;
    this.message = message;
  }

  /**
   * The Data API's view of the topology, read on every request: role, epoch and primary region as this agent
   * currently sees them (the same fields /status reports). Promotion must keep these current and may set
   * `promoting` while the epoch moves, so forwarded writes fail fast (503, retryable) instead of hanging.
   */
  dataApiView(): TopologyView {
    const c = this.config;
    // A fenced primary is leaving its term: refuse forwarded writes (503, retryable) until the epoch settles.
    return {
      region: c.region,
      role: c.role,
      epoch: c.epoch,
      primaryRegion: c.primaryRegion,
      promoting: this.fenced !== null,
    };
  }

  status(): AgentStatus {
    const c = this.config;
    const s: AgentStatus = {
      region: c.region,
      role: c.role,
      epoch: c.epoch,
      primaryRegion: c.primaryRegion,
      database: c.database.name,
      ready: this.readyFlag,
      message: this.message,
    };
    s.promotion = {
      fenced: this.fenced,
      applyHeld: this.applyHeld,
      diverged: this.apply?.diverged ?? null,
      leaseRenewedAt: this.lease?.lastRenewedAt ?? null,
      history: this.history,
    };
    if (this.capture) s.capture = this.capture.status();
    if (this.apply) {
      const a = this.apply.status();
      s.apply = {
        stream: a.stream,
        epoch: a.position?.epoch ?? 0,
        streamSeq: a.position?.streamSeq ?? 0,
        commitLsn: a.position?.commitLsn ?? '0/0',
        commitTs: a.position?.commitTs ?? 0,
        appliedTransactions: a.applied,
        lagSeconds: this.apply.lagSeconds() ?? -1,
        applyDelayP50Seconds: this.apply.delays.percentile(50),
        applyDelayP99Seconds: this.apply.delays.percentile(99),
        pendingMessages: a.pending,
      };
    }
    return s;
  }

  /** The main loop's promise: rejects if start-up fails for good (bad database settings…). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.readyFlag = false;
    await this.lease?.stop();
    await this.heartbeat?.stop();
    await this.capture?.stop();
    await this.apply?.stop();
    await this.nc?.drain().catch(() => undefined);
    await this.controlNc?.drain().catch(() => undefined);
    await new Promise<void>((resolve) =>
      this.http ? this.http.close(() => resolve()) : resolve(),
    );
    this.http?.closeAllConnections?.();
    await this.dataApi?.close().catch(() => undefined);
  }
}
