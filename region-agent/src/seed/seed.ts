import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ApplyPosition } from '../apply/index.js';
import { WRITE_POSITION_SQL } from '../apply/index.js';
import { APPLICATION_NAME, SESSION_OPTIONS } from '../db/session.js';
import type { Logger } from '../log/index.js';
import { bigIntToLsn, lsnToBigInt } from '../lsn/index.js';

export interface SeedOptions {
  region: string;
  epoch: number;
  /** The primary's PostgreSQL (through the region's link to the primary). */
  sourceUrl: string;
  /** This region's PostgreSQL. */
  localUrl: string;
  pgBinDir?: string;
}

/** Thrown when seeding fails; the region stays unseeded and the agent retries. */
export class SeedError extends Error {
  override name = 'SeedError';
}

/**
 * Seeds an empty region from a consistent snapshot of the primary (DESIGN §3 Seeding):
 * a temporary logical slot exports a snapshot at its consistent point; pg_dump copies the schema
 * and data of that snapshot; apply then starts at `mirrorLastSeq + 1` — read before the slot was
 * created, so every transaction the snapshot lacks is at a later stream sequence — and skips the
 * transactions that committed before the consistent point (they are in the snapshot).
 */
export async function seedFromPrimary(opts: SeedOptions, mirrorLastSeq: number, log: Logger): Promise<ApplyPosition> {
  const started = Date.now();
  const repl = new pg.Client({
    connectionString: opts.sourceUrl,
    replication: 'database',
    application_name: `${APPLICATION_NAME}-seed-${opts.region}`,
    options: SESSION_OPTIONS,
  } as pg.ClientConfig);
  await repl.connect();
  const dir = await mkdtemp(join(tmpdir(), `borealis-seed-${opts.region}-`));
  try {
    const slot = `borealis_seed_${opts.region.replace(/-/g, '_')}_${process.pid}`;
    const created = await repl.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT "${slot}" TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const { consistent_point: consistentPoint, snapshot_name: snapshot } = created.rows[0]!;
    log.info({ consistentPoint, snapshot, mirrorLastSeq }, 'seeding from a snapshot of the primary');

    const dump = join(dir, 'seed.dump');
    await run(bin(opts, 'pg_dump'), [
      `--dbname=${opts.sourceUrl}`,
      `--snapshot=${snapshot}`,
      '--format=custom',
      '--no-publications',
      '--no-subscriptions',
      `--file=${dump}`,
    ]);
    const toc = await run(bin(opts, 'pg_restore'), ['--list', dump]);
    const list = join(dir, 'seed.list');
    await writeFile(list, restoreList(toc));
    // One transaction: a failed seed leaves nothing behind and is simply tried again.
    await run(
      bin(opts, 'pg_restore'),
      ['--exit-on-error', '--single-transaction', '--no-owner', `--use-list=${list}`, `--dbname=${opts.localUrl}`, dump],
      { PGOPTIONS: `${SESSION_OPTIONS} -c session_replication_role=replica` },
    );

    // Transactions committed before the consistent point are in the snapshot: skip them.
    const position: ApplyPosition = {
      epoch: opts.epoch,
      streamSeq: mirrorLastSeq,
      commitLsn: bigIntToLsn(lsnToBigInt(consistentPoint) - 1n),
      commitTs: Date.now() * 1000,
    };
    const local = new pg.Client({ connectionString: opts.localUrl, options: SESSION_OPTIONS });
    await local.connect();
    try {
      await local.query('BEGIN');
      await local.query(WRITE_POSITION_SQL, [position.epoch, position.streamSeq, position.commitLsn, position.commitTs]);
      await local.query('UPDATE borealis.apply_position SET seeded_at = clock_timestamp() WHERE id = 1');
      await local.query('SELECT borealis.ensure_replica_identity_all()');
      await local.query('COMMIT');
    } finally {
      await local.end();
    }
    log.info({ ms: Date.now() - started, position }, 'seeded');
    return position;
  } catch (err) {
    throw new SeedError(`seeding region ${opts.region} from the primary failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await repl.end().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Data of the borealis schema that replicates (the schema itself each region installs). */
const REPLICATED_BOREALIS = new Set(['TABLE DATA heartbeat', 'TABLE DATA ddl_log', 'SEQUENCE SET ddl_log_id_seq']);

/**
 * Pure: the pg_restore TOC list of a seed — everything of the primary except the borealis
 * machinery (schema, functions, local tables, event triggers), which the region installed itself,
 * but with the data of the replicated borealis tables.
 */
export function restoreList(toc: string): string {
  return toc
    .split('\n')
    .filter((line) => {
      const m = /^\d+; \d+ \d+ ((?:[A-Z]+ )+)(\S+) (\S+)/.exec(line);
      if (!m) return true; // comments and blank lines
      const type = m[1]!.trim();
      const schema = m[2]!;
      const name = m[3]!;
      if (type === 'EVENT TRIGGER') return false;
      if (type === 'SCHEMA' && name === 'borealis') return false;
      if (schema === 'borealis') return REPLICATED_BOREALIS.has(`${type} ${name}`);
      return true;
    })
    .join('\n');
}

function bin(opts: SeedOptions, name: string): string {
  return opts.pgBinDir ? join(opts.pgBinDir, name) : name;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    child.on('error', (err) => reject(new SeedError(`cannot run ${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new SeedError(`${cmd} exited with ${code}: ${errText.trim().slice(0, 2000)}`));
    });
  });
}
