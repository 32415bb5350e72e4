import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { ProcessStartError, TopologyError } from './errors.js';
import { allocatePort } from './ports.js';
import { ManagedProcess, runCommand, waitUntil } from './process.js';
import {
  APP_DATABASE,
  SUPERUSER,
  postgresSettings,
  postgresUrl,
  renderPgHba,
  renderPostgresConf,
} from './postgres-config.js';
import { allowTraverseWithinTmp, chownTree, postgresRunAs } from './run-as.js';

/** Folder of the PostgreSQL 15 binaries (BOREALIS_PG_BIN_DIR overrides). */
export function defaultPgBinDir(): string {
  return process.env.BOREALIS_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
}

export interface StartPostgresOptions {
  /** The instance's own folder (created; must not hold a data dir yet): data/, socket/, postgres.log. */
  dir: string;
  /** Port on 127.0.0.1; allocated when omitted. */
  port?: number;
  /** Settings over the defaults (postgres-config.ts), e.g. { fsync: 'off' } in test suites. */
  settings?: Record<string, string>;
  pgBinDir?: string;
  /** Human name for errors/logs (default "postgres"). */
  name?: string;
  /** Time allowed for initdb + start + bootstrap (default 60 s). */
  timeoutMs?: number;
  /**
   * A data dir made by createPostgresTemplate(): copied instead of running initdb (much cheaper when a
   * topology starts several instances at once on a small machine).
   */
  template?: string;
}

/** A running local PostgreSQL instance (primary or reader replica). */
export interface PostgresInstance {
  name: string;
  port: number;
  /** postgres://borealis@127.0.0.1:<port>/app */
  url: string;
  /** postgres://borealis@127.0.0.1:<port>/postgres */
  adminUrl: string;
  pid: number;
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  process: ManagedProcess;
  /** Fast shutdown (SIGINT), SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

function prepareDirs(dir: string): { dataDir: string; socketDir: string; logFile: string } {
  // Absolute: the running server reports it as data_directory, which launchAndWait compares.
  const dataDir = resolve(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logFile = join(dir, 'postgres.log');
  if (existsSync(dataDir))
    throw new TopologyError(`${dataDir} already exists: start PostgreSQL in a fresh folder`);
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  writeFileSync(logFile, '');
  allowTraverseWithinTmp(dir);
  return { dataDir, socketDir, logFile };
}

async function launch(
  name: string,
  pgBinDir: string,
  dir: string,
  dataDir: string,
  logFile: string,
): Promise<ManagedProcess> {
  const runAs = postgresRunAs();
  chownTree(dir, runAs);
  return ManagedProcess.spawn({
    name,
    command: join(pgBinDir, 'postgres'),
    args: ['-D', dataDir],
    logFile,
    runAs,
    cwd: dir,
    // SIGINT = fast shutdown (SIGTERM would wait for every client to disconnect).
    stopSignal: 'SIGINT',
    env: { ...process.env, LC_ALL: 'C' },
  });
}

/**
 * Writes borealis.conf for a port, starts the postmaster and waits until the server answering on that port
 * is this one (its data_directory is ours — never a stranger that happens to hold the port) and `ready`
 * holds. When the postmaster cannot bind its port (taken meanwhile by another process) and the caller did
 * not fix the port, it retries on a fresh one.
 */
async function launchAndWait(args: {
  name: string;
  pgBinDir: string;
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  port?: number;
  settings?: Record<string, string>;
  timeoutMs: number;
  what: string;
  ready?: (client: pg.Client) => Promise<boolean>;
}): Promise<{ proc: ManagedProcess; port: number }> {
  const runAs = postgresRunAs();
  for (let attempt = 1; ; attempt++) {
    const port = args.port ?? (await allocatePort());
    writeFileSync(
      join(args.dataDir, 'borealis.conf'),
      renderPostgresConf(
        postgresSettings({ port, socketDir: args.socketDir, settings: args.settings }),
      ),
    );
    chownTree(args.dataDir, runAs);
    const proc = await launch(args.name, args.pgBinDir, args.dir, args.dataDir, args.logFile);
    try {
      await waitUntil(
        `${args.name} to accept ${args.what} on 127.0.0.1:${port}`,
        async () => {
          const client = new pg.Client({
            connectionString: postgresUrl(port, 'postgres'),
            connectionTimeoutMillis: 2000,
          });
          try {
            await client.connect();
            const r = await client.query<{ d: string }>(
              "SELECT current_setting('data_directory') AS d",
            );
            if (r.rows[0]?.d !== args.dataDir) {
              throw new ProcessStartError(
                `${args.name}: port ${port} is answered by another PostgreSQL (data directory ${r.rows[0]?.d})`,
              );
            }
            return args.ready ? await args.ready(client) : true;
          } finally {
            await client.end().catch(() => undefined);
          }
        },
        { timeoutMs: args.timeoutMs, process: proc },
      );
      return { proc, port };
    } catch (err) {
      await proc.stop(5000);
      const bindFailed =
        /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(
          proc.logTail(40),
        );
      const stranger =
        err instanceof ProcessStartError && /answered by another PostgreSQL/.test(err.message);
      if (args.port === undefined && (bindFailed || stranger) && attempt < 3) {
        appendFileSync(
          args.logFile,
          `\n[borealis] port ${port} was taken: retrying on another port\n`,
        );
        continue;
      }
      throw err;
    }
  }
}

function instance(
  name: string,
  port: number,
  dir: string,
  dataDir: string,
  socketDir: string,
  logFile: string,
  proc: ManagedProcess,
): PostgresInstance {
  return {
    name,
    port,
    url: postgresUrl(port, APP_DATABASE),
    adminUrl: postgresUrl(port, 'postgres'),
    pid: proc.pid,
    dir,
    dataDir,
    socketDir,
    logFile,
    process: proc,
    stop: (timeoutMs?: number) => proc.stop(timeoutMs ?? 15_000),
  };
}

async function initdb(
  name: string,
  pgBinDir: string,
  dataDir: string,
  cwd: string,
  noSync: boolean,
  timeoutMs: number,
  logFile?: string,
): Promise<void> {
  const args = ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C'];
  if (noSync) args.push('--no-sync');
  try {
    const { stdout, stderr } = await runCommand(join(pgBinDir, 'initdb'), args, {
      runAs: postgresRunAs(),
      cwd,
      timeoutMs,
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (logFile) appendFileSync(logFile, stdout + stderr);
  } catch (err) {
    throw new ProcessStartError(`${name}: initdb failed in ${dataDir}`, { cause: err });
  }
}

/**
 * One initdb (superuser borealis, trust auth, UTF8, locale C) plus the database `app` created in
 * single-user mode, into <dir>/data. startPostgres({ template }) copies it instead of running initdb, so a
 * topology pays for one initdb instead of one per instance. Copies share the cluster's system identifier,
 * which only matters for physical replication between them (never done: readers are base backups).
 */
export async function createPostgresTemplate(opts: {
  dir: string;
  pgBinDir?: string;
  timeoutMs?: number;
}): Promise<string> {
  const pgBinDir = opts.pgBinDir ?? defaultPgBinDir();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dataDir = join(opts.dir, 'data');
  if (existsSync(dataDir))
    throw new TopologyError(`${dataDir} already exists: make the template in a fresh folder`);
  mkdirSync(opts.dir, { recursive: true });
  allowTraverseWithinTmp(join(opts.dir, 'data'));
  const runAs = postgresRunAs();
  chownTree(opts.dir, runAs);
  // No fsync while building the template: it is copied right away and, like everything in the local
  // topology, does not outlive a reboot (docs/local-topology.md).
  await initdb('postgres template', pgBinDir, dataDir, opts.dir, true, timeoutMs);
  try {
    await runCommand(
      join(pgBinDir, 'postgres'),
      ['--single', '-F', '-D', dataDir, '-c', 'exit_on_error=true', 'postgres'],
      {
        runAs,
        cwd: opts.dir,
        timeoutMs,
        input: `CREATE DATABASE ${APP_DATABASE} OWNER ${SUPERUSER}\n`,
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
  } catch (err) {
    throw new ProcessStartError(
      `postgres template: cannot create database ${APP_DATABASE} in single-user mode`,
      {
        cause: err,
      },
    );
  }
  return dataDir;
}

/**
 * initdb + start a PostgreSQL 15 on 127.0.0.1 (as the postgres OS user when root), with the superuser role
 * `borealis` and the database `app`. Resolves when `app` accepts queries. On failure nothing is left running.
 */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresInstance> {
  const name = opts.name ?? 'postgres';
  const pgBinDir = opts.pgBinDir ?? defaultPgBinDir();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const { dataDir, socketDir, logFile } = prepareDirs(opts.dir);
  const runAs = postgresRunAs();
  chownTree(opts.dir, runAs);
  if (opts.template) {
    try {
      await runCommand('cp', ['-a', opts.template, dataDir], { runAs, timeoutMs });
    } catch (err) {
      throw new ProcessStartError(`${name}: cannot copy the template data dir ${opts.template}`, {
        cause: err,
      });
    }
  } else {
    await initdb(
      name,
      pgBinDir,
      dataDir,
      opts.dir,
      opts.settings?.fsync === 'off',
      timeoutMs,
      logFile,
    );
  }
  writeFileSync(join(dataDir, 'pg_hba.conf'), renderPgHba());
  appendFileSync(join(dataDir, 'postgresql.conf'), "\ninclude 'borealis.conf'\n");

  const { proc, port } = await launchAndWait({
    name,
    pgBinDir,
    dir: opts.dir,
    dataDir,
    socketDir,
    logFile,
    port: opts.port,
    settings: opts.settings,
    timeoutMs,
    what: 'connections',
  });
  try {
    if (!opts.template) {
      const admin = new pg.Client({ connectionString: postgresUrl(port, 'postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${SUPERUSER}`);
      } finally {
        await admin.end();
      }
    }
  } catch (err) {
    await proc.stop(5000);
    throw new ProcessStartError(
      `${name}: could not bootstrap (role ${SUPERUSER}, database ${APP_DATABASE})`,
      {
        cause: err,
      },
    );
  }
  return instance(name, port, opts.dir, dataDir, socketDir, logFile, proc);
}

export interface StartReplicaOptions {
  /** The primary to copy (pg_basebackup -R) and stream from. */
  primary: Pick<PostgresInstance, 'port' | 'name'>;
  dir: string;
  port?: number;
  settings?: Record<string, string>;
  pgBinDir?: string;
  name?: string;
  timeoutMs?: number;
}

/**
 * A reader replica: a physical streaming hot standby made with `pg_basebackup -R` from `primary`.
 * Resolves when it accepts read-only queries and is in recovery.
 */
export async function startReplica(opts: StartReplicaOptions): Promise<PostgresInstance> {
  const name = opts.name ?? `${opts.primary.name} replica`;
  const pgBinDir = opts.pgBinDir ?? defaultPgBinDir();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const { dataDir, socketDir, logFile } = prepareDirs(opts.dir);
  const runAs = postgresRunAs();
  chownTree(opts.dir, runAs);
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(opts.primary.port),
    '-U',
    SUPERUSER,
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
  ];
  if (opts.settings?.fsync === 'off') args.push('--no-sync');
  try {
    await runCommand(join(pgBinDir, 'pg_basebackup'), args, { runAs, cwd: opts.dir, timeoutMs });
  } catch (err) {
    throw new ProcessStartError(`${name}: pg_basebackup from ${opts.primary.name} failed`, {
      cause: err,
    });
  }
  // The copy carries the primary's borealis.conf (its port and socket): launchAndWait writes the replica's own.
  const hba = join(dataDir, 'pg_hba.conf');
  if (readFileSync(hba, 'utf8') !== renderPgHba()) writeFileSync(hba, renderPgHba());
  const { proc, port } = await launchAndWait({
    name,
    pgBinDir,
    dir: opts.dir,
    dataDir,
    socketDir,
    logFile,
    port: opts.port,
    settings: opts.settings,
    timeoutMs,
    what: 'read-only connections',
    ready: async (client) =>
      (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true,
  });
  return instance(name, port, opts.dir, dataDir, socketDir, logFile, proc);
}

/**
 * Starts a stopped or killed instance again on its own data directory and port (promotion drills: a killed
 * region coming back). The returned instance describes the new postmaster; PostgreSQL runs crash recovery.
 */
export async function restartPostgres(
  inst: PostgresInstance,
  opts: { pgBinDir?: string; settings?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PostgresInstance> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    try {
      const { proc } = await launchAndWait({
        name: inst.name,
        pgBinDir: opts.pgBinDir ?? defaultPgBinDir(),
        dir: inst.dir,
        dataDir: inst.dataDir,
        socketDir: inst.socketDir,
        logFile: inst.logFile,
        port: inst.port,
        settings: opts.settings,
        timeoutMs: Math.max(5_000, deadline - Date.now()),
        what: 'connections after a restart',
      });
      return instance(inst.name, inst.port, inst.dir, inst.dataDir, inst.socketDir, inst.logFile, proc);
    } catch (err) {
      // Backends of a killed postmaster may still hold its shared memory for a moment.
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
