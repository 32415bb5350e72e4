import type { Server } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { Apply } from '../apply/index.js';
import { Capture } from '../capture/index.js';
import type { AgentConfig } from '../config/index.js';
import { bootstrapDatabase, waitForPostgres } from '../db/index.js';
import { Heartbeat } from '../heartbeat/index.js';
import { startHttpServer, type AgentStatus } from '../http/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { AgentMetrics } from '../metrics/index.js';
import { seedFromPrimary } from '../seed/index.js';
import { connectNats } from '../transport/index.js';

/** Restart delays of a failed capture/apply run: exponential, capped. */
const BACKOFF_MS = [100, 250, 500, 1_000, 2_000, 5_000];

/** One region agent: bootstraps its database, then captures (primary) or applies (secondary). */
export class RegionAgent {
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  private nc: NatsConnection | null = null;
  private http: Server | null = null;
  private capture: Capture | null = null;
  private apply: Apply | null = null;
  private heartbeat: Heartbeat | null = null;
  private readyFlag = false;
  private message = 'starting';
  private stopping = false;
  private loop: Promise<void> | null = null;
  port = 0;

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
    const { server, port } = await startHttpServer(this.config.http.host, this.config.http.port, {
      status: () => this.status(),
      ready: () => this.readyFlag,
      metrics: () => this.metrics.text(),
      metricsContentType: this.metrics.registry.contentType,
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
    this.nc = await connectNats(c.nats.servers, `borealis-agent-${c.region}`);
    const retention = c.stream;
    if (c.role === 'primary') {
      this.heartbeat = new Heartbeat(c.database.url, c.region, () => c.epoch, c.heartbeat.intervalMs, this.log, this.metrics);
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
        this.nc,
        this.log,
        this.metrics,
      );
      const capture = this.capture;
      await this.supervise('capture', () => {
        this.setReady(true, 'capturing');
        return capture.run();
      });
    } else {
      const sourceUrl = c.seed.sourceUrl;
      this.apply = new Apply(
        {
          region: c.region,
          db: c.database.name,
          databaseUrl: c.database.url,
          retention,
          maxGroupTransactions: c.apply.maxGroupTransactions,
          seed: (mirrorLastSeq) => {
            if (!sourceUrl) {
              throw new Error(
                `region ${c.region} has no apply position and seed.sourceUrl is not configured: set seed.sourceUrl to the primary's PostgreSQL so the region can be seeded`,
              );
            }
            this.message = 'seeding from the primary';
            return seedFromPrimary(
              { region: c.region, epoch: c.epoch, sourceUrl, localUrl: c.database.url, pgBinDir: c.seed.pgBinDir },
              mirrorLastSeq,
              this.log,
            );
          },
        },
        this.nc,
        this.log,
        this.metrics,
      );
      const apply = this.apply;
      await this.supervise('apply', () => {
        this.setReady(true, 'applying');
        return apply.run();
      });
    }
  }

  /** Runs a loop, restarting it with backoff after errors until the agent stops. */
  private async supervise(component: 'capture' | 'apply', run: () => Promise<void>): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const began = Date.now();
      try {
        await run();
        if (this.stopping) return;
        throw new Error(`${component} ended`);
      } catch (err) {
        if (this.stopping) return;
        if (Date.now() - began > 30_000) failures = 0;
        const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
        this.setReady(false, `${component} failed: ${(err as Error).message}`);
        this.metrics.errors.inc({ component });
        this.log.error({ err: (err as Error).message, cause: String((err as Error).cause ?? ''), retryInMs: delay }, `${component} failed; restarting`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private setReady(ready: boolean, message: string): void {
    this.readyFlag = ready;
    this.message = message;
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
    await this.heartbeat?.stop();
    await this.capture?.stop();
    await this.apply?.stop();
    await this.nc?.drain().catch(() => undefined);
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections?.();
  }
}
