import pg from 'pg';

/** One numbered write of the prober's ledger. */
export interface LedgerEntry {
  n: number;
  sentAt: number;
  /** Set when the commit was acknowledged. */
  ackAt?: number;
  /** inet_server_port() of the PostgreSQL that acknowledged (names the region). */
  port?: number;
  error?: string;
}

export interface ReadSample {
  region: string;
  at: number;
  ok: boolean;
  maxN?: number;
  error?: string;
}

export interface ProberOptions {
  /** The writer endpoint (postgres URL). */
  writerUrl: string;
  /** Per region: its reader endpoint. */
  readers: { region: string; url: string }[];
  writesPerSec: number;
  /** Reads per region per second (default 2). */
  readsPerSec?: number;
  /** A write that takes longer is abandoned (unacknowledged), ms (default 2000). */
  writeTimeoutMs?: number;
  /** Distinguishes drills sharing one table. */
  run: string;
}

export const PROBE_TABLE = 'borealis_probe';

export const CREATE_PROBE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS public.${PROBE_TABLE} (
  run text NOT NULL,
  n bigint NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (run, n)
)`;

/**
 * The drill's client-side prober: writes numbered rows through the writer endpoint at a steady rate (one
 * at a time, a new number for every attempt — an attempt is never retried, so an unacknowledged number is
 * never confused with an acknowledged one) and reads from every region's reader endpoint. The ledger of
 * acknowledged numbers is what RPO is counted against.
 */
export class Prober {
  readonly ledger: LedgerEntry[] = [];
  readonly reads: ReadSample[] = [];
  private client: pg.Client | null = null;
  private stopped = false;
  private writeLoop: Promise<void> | null = null;
  private readTimer: NodeJS.Timeout | null = null;
  private next = 1;

  constructor(readonly o: ProberOptions) {}

  static async createTable(writerUrl: string): Promise<void> {
    const c = new pg.Client({ connectionString: writerUrl, connectionTimeoutMillis: 5_000 });
    await c.connect();
    try {
      await c.query(CREATE_PROBE_TABLE_SQL);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  start(): void {
    this.stopped = false;
    this.writeLoop = this.writes();
    const readEvery = 1000 / (this.o.readsPerSec ?? 2);
    this.readTimer = setInterval(() => {
      for (const r of this.o.readers) void this.readOnce(r);
    }, readEvery);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.readTimer) clearInterval(this.readTimer);
    await this.writeLoop;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  acknowledged(): LedgerEntry[] {
    return this.ledger.filter((e) => e.ackAt !== undefined);
  }

  private async writes(): Promise<void> {
    const interval = 1000 / this.o.writesPerSec;
    let due = Date.now();
    while (!this.stopped) {
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      due = Math.max(due + interval, Date.now() - interval);
      if (this.stopped) break;
      await this.writeOnce();
    }
  }

  private async writeOnce(): Promise<void> {
    const e: LedgerEntry = { n: this.next++, sentAt: Date.now() };
    this.ledger.push(e);
    const timeout = this.o.writeTimeoutMs ?? 2_000;
    try {
      if (!this.client) {
        const c = new pg.Client({
          connectionString: this.o.writerUrl,
          connectionTimeoutMillis: timeout,
          query_timeout: timeout,
          application_name: 'borealis-prober',
        });
        c.on('error', () => undefined);
        try {
          await c.connect();
        } catch (err) {
          await c.end().catch(() => undefined);
          throw err;
        }
        this.client = c;
      }
      const r = await this.client.query<{ port: number }>(
        `INSERT INTO public.${PROBE_TABLE} (run, n) VALUES ($1, $2) RETURNING inet_server_port() AS port`,
        [this.o.run, e.n],
      );
      e.ackAt = Date.now();
      e.port = r.rows[0]!.port;
    } catch (err) {
      e.error = (err as Error).message;
      const c = this.client;
      this.client = null;
      void c?.end().catch(() => undefined);
    }
  }

  private async readOnce(r: { region: string; url: string }): Promise<void> {
    const c = new pg.Client({ connectionString: r.url, connectionTimeoutMillis: 1_000, query_timeout: 1_000 });
    c.on('error', () => undefined);
    const at = Date.now();
    try {
      await c.connect();
      const q = await c.query<{ m: string | null }>(`SELECT max(n) AS m FROM public.${PROBE_TABLE} WHERE run = $1`, [this.o.run]);
      this.reads.push({ region: r.region, at, ok: true, maxN: Number(q.rows[0]?.m ?? 0) });
    } catch (err) {
      this.reads.push({ region: r.region, at, ok: false, error: (err as Error).message });
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** Pure: acknowledged numbers absent from `present` (RPO), with the time window they were acknowledged in. */
export function missingAcknowledged(
  ledger: LedgerEntry[],
  present: Set<number>,
): { count: number; numbers: number[]; firstAckAt: number | null; lastAckAt: number | null; windowSeconds: number } {
  const missing = ledger.filter((e) => e.ackAt !== undefined && !present.has(e.n));
  const first = missing.length ? Math.min(...missing.map((e) => e.ackAt!)) : null;
  const last = missing.length ? Math.max(...missing.map((e) => e.ackAt!)) : null;
  return {
    count: missing.length,
    numbers: missing.map((e) => e.n),
    firstAckAt: first,
    lastAckAt: last,
    windowSeconds: first !== null && last !== null ? (last - first) / 1000 : 0,
  };
}

/**
 * Pure: the longest stretch between two consecutive acknowledged writes that overlaps [from, to] (ms) — the
 * client-observed write gap of a switchover.
 */
export function longestWriteGap(ledger: LedgerEntry[], from: number, to: number): number {
  const acks = ledger
    .filter((e) => e.ackAt !== undefined)
    .map((e) => e.ackAt!)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 0; i + 1 < acks.length; i++) {
    const a = acks[i]!;
    const b = acks[i + 1]!;
    if (b >= from && a <= to) gap = Math.max(gap, b - a);
  }
  return gap;
}
