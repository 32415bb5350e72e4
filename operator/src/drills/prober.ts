import pg from 'pg';
import type { ProberRun } from '../controllers/failover-drill/harness.js';
import type { RegionRef } from '../failover/index.js';

/** One numbered write of the ledger: each attempt gets a new number and is never retried. */
export interface LedgerEntry {
  n: number;
  sentAt: number;
  /** Set when the commit was acknowledged. */
  ackAt?: number;
  /** The region whose PostgreSQL the write went to (the primary the prober resolved). */
  region: string;
  error?: string;
}

export interface LedgerProberOptions {
  /** The current primary and its PostgreSQL URL (re-resolved on every reconnect, so the prober follows promotions). */
  resolveWriter(): Promise<{ region: string; url: string }>;
  /** A region's PostgreSQL URL (the ledger is checked against the new primary). */
  urlOf(region: string): Promise<string>;
  writesPerSecond: number;
  /** Distinguishes drills sharing the ledger table. */
  run: string;
  /** A write (or connect) that takes longer is abandoned, unacknowledged, ms (default 2000). */
  writeTimeoutMs?: number;
}

export const LEDGER_TABLE = 'borealis_drill_ledger';
const CREATE_SQL = `CREATE TABLE IF NOT EXISTS public.${LEDGER_TABLE} (run text NOT NULL, n bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, n))`;

export class ProberError extends Error {
  override readonly name = 'ProberError';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/** Drops a connection without waiting for the server (it may be frozen or cut off). */
function discard(c: pg.Client): void {
  c.on('error', () => undefined);
  (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * The drill's write prober (DESIGN §6): numbered single-row commits at a steady rate to whatever region the
 * GlobalDatabase names primary, one at a time; the ledger of acknowledged numbers is what RTO (first write
 * acknowledged by the new primary after the fault) and RPO (acknowledged numbers the new primary lacks) count.
 */
export class LedgerProber implements ProberRun {
  readonly ledger: LedgerEntry[] = [];
  private client: { c: pg.Client; region: string } | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private next = 1;

  private constructor(private readonly o: LedgerProberOptions) {}

  /** Creates the ledger table on the current primary (retrying for 30 s) and starts writing. */
  static async start(o: LedgerProberOptions): Promise<LedgerProber> {
    const p = new LedgerProber(o);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { c } = await p.connect();
        await withTimeout(c.query(CREATE_SQL), 10_000, 'create the ledger table');
        break;
      } catch (err) {
        p.drop();
        if (Date.now() > deadline)
          throw new ProberError(
            `the drill prober cannot write to the primary: ${(err as Error).message}`,
            { cause: err },
          );
        await sleep(500);
      }
    }
    p.loop = p.writeLoop();
    return p;
  }

  private get timeoutMs(): number {
    return this.o.writeTimeoutMs ?? 2_000;
  }

  private async connect(): Promise<{ c: pg.Client; region: string }> {
    if (this.client) return this.client;
    const w = await this.o.resolveWriter();
    const c = new pg.Client({
      connectionString: w.url,
      connectionTimeoutMillis: this.timeoutMs,
      application_name: 'borealis-drill-prober',
    });
    c.on('error', () => this.drop());
    try {
      await withTimeout(c.connect(), this.timeoutMs + 500, `connect to ${w.region}`);
    } catch (err) {
      discard(c);
      throw err;
    }
    this.client = { c, region: w.region };
    return this.client;
  }

  private drop(): void {
    if (this.client) discard(this.client.c);
    this.client = undefined;
  }

  private async writeLoop(): Promise<void> {
    const interval = 1000 / this.o.writesPerSecond;
    let due = Date.now();
    while (!this.stopped) {
      const n = this.next++;
      const entry: LedgerEntry = { n, sentAt: Date.now(), region: '' };
      this.ledger.push(entry);
      try {
        const { c, region } = await this.connect();
        entry.region = region;
        await withTimeout(
          c.query(`INSERT INTO public.${LEDGER_TABLE} (run, n) VALUES ($1, $2)`, [this.o.run, n]),
          this.timeoutMs,
          `write ${n} to ${region}`,
        );
        entry.ackAt = Date.now();
      } catch (err) {
        entry.error = (err as Error).message;
        this.drop();
      }
      due += interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else due = Date.now();
    }
  }

  async firstAcknowledgedWriteAfter(after: Date, timeoutMs: number, region: string): Promise<Date> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.ledger.find(
        (e) => e.ackAt !== undefined && e.ackAt >= after.getTime() && e.region === region,
      );
      if (hit) return new Date(hit.ackAt!);
      if (Date.now() > deadline || this.stopped) {
        throw new ProberError(
          `no write was acknowledged by ${region} within ${timeoutMs / 1000}s after ${after.toISOString()} (${this.summary()})`,
        );
      }
      await sleep(50);
    }
  }

  /** Acknowledged writes per region and the last error, for messages. */
  summary(): string {
    const byRegion = new Map<string, number>();
    for (const e of this.ledger)
      if (e.ackAt !== undefined) byRegion.set(e.region, (byRegion.get(e.region) ?? 0) + 1);
    const lastError = this.ledger.findLast((e) => e.error)?.error;
    return `${this.ledger.length} attempts, acknowledged ${[...byRegion].map(([r, n]) => `${r}: ${n}`).join(', ') || 'none'}; last error: ${lastError ?? 'none'}`;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    const c = this.client?.c;
    this.client = undefined;
    if (c) await withTimeout(c.end(), 2_000, 'close').catch(() => discard(c));
  }

  async stop(
    newPrimary: RegionRef,
  ): Promise<{ lostTransactions: number; lostWindowSeconds: number; acknowledged: number }> {
    await this.close();
    const acked = this.ledger.filter((e) => e.ackAt !== undefined);
    const c = new pg.Client({
      connectionString: await this.o.urlOf(newPrimary.region),
      connectionTimeoutMillis: 5_000,
    });
    c.on('error', () => undefined);
    let present: Set<number>;
    try {
      await c.connect();
      const r = await c.query<{ n: string }>(
        `SELECT n FROM public.${LEDGER_TABLE} WHERE run = $1`,
        [this.o.run],
      );
      present = new Set(r.rows.map((x) => Number(x.n)));
    } catch (err) {
      throw new ProberError(
        `cannot read the ledger on the new primary ${newPrimary.region}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      await c.end().catch(() => undefined);
    }
    const lost = acked.filter((e) => !present.has(e.n));
    const window = lost.length ? (lost.at(-1)!.ackAt! - lost[0]!.ackAt!) / 1000 : 0;
    return {
      lostTransactions: lost.length,
      lostWindowSeconds: Math.round(window * 1000) / 1000,
      acknowledged: acked.length,
    };
  }
}
