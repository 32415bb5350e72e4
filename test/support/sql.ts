import pg from 'pg';

/** Runs one statement on a fresh connection. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query<R>(text, values);
  } finally {
    await c.end();
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A writer that inserts numbered rows into `ledger` through `url` until stopped, retrying through
 * outages, and remembers which ids were acknowledged (COMMIT returned) — the ground truth that
 * crash tests compare every region against.
 */
export class LedgerWriter {
  readonly acknowledged = new Set<number>();
  private next: number;
  private running = false;
  private loop: Promise<void> | null = null;
  errors = 0;

  constructor(
    private readonly url: () => string,
    private readonly intervalMs = 5,
    firstId = 1,
  ) {
    this.next = firstId;
  }

  static async createTable(url: string): Promise<void> {
    await sql(url, 'CREATE TABLE IF NOT EXISTS ledger (id int PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let client: pg.Client | null = null;
    while (this.running) {
      const id = this.next;
      try {
        if (!client) {
          client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
          client.on('error', () => undefined);
          await client.connect();
        }
        await client.query('INSERT INTO ledger (id, note) VALUES ($1, $2)', [id, `row ${id}`]);
        this.acknowledged.add(id);
        this.next++;
      } catch {
        this.errors++;
        // The outcome of a failed COMMIT is unknown: never reuse the id (it may have committed).
        this.next++;
        await client?.end().catch(() => undefined);
        client = null;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (this.intervalMs > 0) await new Promise((r) => setTimeout(r, this.intervalMs));
    }
    await client?.end().catch(() => undefined);
  }
}
