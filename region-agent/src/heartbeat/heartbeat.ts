import pg from 'pg';
import { HEARTBEAT_SQL } from '../db/bootstrap-sql.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import type { Logger } from '../log/index.js';
import type { AgentMetrics } from '../metrics/index.js';

/**
 * The primary commits a heartbeat row (with every sequence's position) every interval; it travels
 * the same path as user data, so an idle database still shows true lag on every secondary.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private client: pg.Client | null = null;
  private busy = false;
  private failures = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly region: string,
    private readonly epoch: () => number,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly metrics: AgentMetrics,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async beat(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.client) {
        const c = new pg.Client({
          connectionString: this.databaseUrl,
          application_name: `${APPLICATION_NAME}-heartbeat`,
          options: SESSION_OPTIONS,
        });
        c.on('error', () => undefined);
        await c.connect();
        this.client = c;
      }
      await this.client.query(HEARTBEAT_SQL, [this.region, this.epoch()]);
      this.metrics.heartbeats.inc({ kind: 'sent' });
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'heartbeats resumed');
      this.failures = 0;
    } catch (err) {
      this.metrics.errors.inc({ component: 'heartbeat' });
      if (this.failures++ % 20 === 0) this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
      const c = this.client;
      this.client = null;
      await c?.end().catch(() => undefined);
    } finally {
      this.busy = false;
    }
  }
}
