import pg from 'pg';
import { DELETE_ITEM, INSERT_ITEM, UPDATE_ITEM, pickOp } from './sql.js';

export interface WorkloadOptions {
  /** Writer endpoint URL. */
  url: string;
  /** Client connections (default 4). */
  clients?: number;
  /** Target transactions per second across all clients (default 200). */
  rate?: number;
  /** Stop after this long, or when signal aborts. */
  durationMs: number;
  signal?: AbortSignal;
}

export interface WorkloadStats {
  transactions: number;
  inserts: number;
  updates: number;
  deletes: number;
  errors: number;
  lastError?: string;
  elapsedMs: number;
}

export class WorkloadError extends Error {
  override name = 'WorkloadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Drives a mixed write workload through the writer endpoint: several connections, each paced to its share
 * of the target rate; ids of live rows are shared so updates and deletes hit existing rows.
 */
export async function runWorkload(
  opts: WorkloadOptions,
  onProgress?: (s: WorkloadStats) => void,
): Promise<WorkloadStats> {
  const clients = opts.clients ?? 4;
  const rate = opts.rate ?? 200;
  if (!Number.isInteger(clients) || clients < 1 || clients > 64)
    throw new WorkloadError(`clients must be 1..64, got ${clients}`);
  if (!(rate > 0)) throw new WorkloadError(`rate must be > 0 transactions/s, got ${rate}`);
  const stats: WorkloadStats = {
    transactions: 0,
    inserts: 0,
    updates: 0,
    deletes: 0,
    errors: 0,
    elapsedMs: 0,
  };
  const live: number[] = [];
  const t0 = Date.now();
  const deadline = t0 + opts.durationMs;
  const interval = (1000 * clients) / rate;
  const note = () => Math.random().toString(36).slice(2, 12);

  const insert = async (c: pg.Client) => {
    const r = await c.query<{ id: string }>(INSERT_ITEM, [
      Math.floor(Math.random() * 1000),
      (Math.random() * 1000).toFixed(2),
      note(),
    ]);
    live.push(Number(r.rows[0]!.id));
    stats.inserts++;
  };
  const takeRandom = (remove: boolean): number | undefined => {
    if (live.length === 0) return undefined;
    const i = Math.floor(Math.random() * live.length);
    const id = live[i]!;
    if (remove) {
      live[i] = live[live.length - 1]!;
      live.pop();
    }
    return id;
  };

  const worker = async () => {
    const c = new pg.Client({ connectionString: opts.url, application_name: 'borealis-demo' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      let next = Date.now();
      while (Date.now() < deadline && !opts.signal?.aborted) {
        try {
          switch (pickOp(Math.random(), live.length)) {
            case 'insert':
              await insert(c);
              break;
            case 'update': {
              const id = takeRandom(false);
              if (id !== undefined) {
                await c.query(UPDATE_ITEM, [id, (Math.random() * 10).toFixed(2), note()]);
                stats.updates++;
              }
              break;
            }
            case 'delete': {
              const id = takeRandom(true);
              if (id !== undefined) {
                await c.query(DELETE_ITEM, [id]);
                stats.deletes++;
              }
              break;
            }
            case 'batch': {
              await c.query('BEGIN');
              try {
                for (let i = 0; i < 3; i++) await insert(c);
                const id = takeRandom(false);
                if (id !== undefined) {
                  await c.query(UPDATE_ITEM, [id, '1.00', note()]);
                  stats.updates++;
                }
                await c.query('COMMIT');
              } catch (err) {
                await c.query('ROLLBACK').catch(() => undefined);
                throw err;
              }
              break;
            }
          }
          stats.transactions++;
        } catch (err) {
          stats.errors++;
          stats.lastError = (err as Error).message;
        }
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -1000) next = Date.now(); // fell behind: do not burst to catch up
      }
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const timer = onProgress
    ? setInterval(() => onProgress({ ...stats, elapsedMs: Date.now() - t0 }), 1000)
    : undefined;
  try {
    const results = await Promise.allSettled(Array.from({ length: clients }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed)
      throw new WorkloadError(`a workload client could not connect to ${opts.url}`, {
        cause: failed.reason,
      });
  } finally {
    if (timer) clearInterval(timer);
  }
  stats.elapsedMs = Date.now() - t0;
  return stats;
}
