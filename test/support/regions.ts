/**
 * A data-plane test bed: real PostgreSQL + a real NATS supercluster per region (from the CLI's
 * topology modules) and real region-agent processes (region-agent/dist/main.js), with the
 * controls the crash tests need: kill -9 / restart an agent, restart NATS or PostgreSQL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  allocatePort,
  defaultPgBinDir,
  ManagedProcess,
  startNatsServer,
  startPostgres,
  startSupercluster,
  waitUntil,
  type NatsServerInstance,
  type PostgresInstance,
  type Supercluster,
} from '../../cli/src/topology/index.js';
import { postgresRunAs } from '../../cli/src/topology/run-as.js';
import type { AgentConfigInput, AgentStatus } from '../../region-agent/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_MAIN = resolve(here, '../../region-agent/dist/main.js');

export interface RegionHandle {
  name: string;
  role: 'primary' | 'secondary';
  pg: PostgresInstance;
  nats: NatsServerInstance;
  httpPort: number;
  configFile: string;
  agent: ManagedProcess | null;
  dir: string;
}

export interface Regions {
  base: string;
  regions: RegionHandle[];
  primary: RegionHandle;
  secondaries: RegionHandle[];
  supercluster: Supercluster;
  byName(name: string): RegionHandle;
  startAgent(name: string): Promise<void>;
  killAgent(name: string): Promise<void>;
  restartPostgres(name: string): Promise<void>;
  restartNats(name: string): Promise<void>;
  status(name: string): Promise<AgentStatus>;
  /** Waits until every secondary applied at least the primary's current WAL position (via heartbeats). */
  waitConverged(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRegionsOptions {
  regions?: string[];
  agentConfig?: (region: string, role: 'primary' | 'secondary') => Partial<AgentConfigInput>;
  startAgents?: boolean;
}

export async function startRegions(opts: StartRegionsOptions = {}): Promise<Regions> {
  const names = opts.regions ?? ['us-east', 'eu-west', 'ap-south'];
  const base = mkdtempSync(join(tmpdir(), 'borealis-regions-'));
  const handles: RegionHandle[] = [];
  let supercluster: Supercluster | null = null;
  const stopAll = async () => {
    for (const h of handles) await h.agent?.stop(10_000).catch(() => undefined);
    for (const h of handles) await h.pg.stop().catch(() => undefined);
    await supercluster?.stop().catch(() => undefined);
    // BOREALIS_KEEP_TEST_DIRS=1 keeps the logs of a failed run for reading.
    if (process.env.BOREALIS_KEEP_TEST_DIRS === '1') console.error(`kept test dir ${base}`);
    else rmSync(base, { recursive: true, force: true });
  };
  try {
    supercluster = await startSupercluster({ regions: names, baseDir: base });
    const primaryName = names[0]!;
    const pgs = await Promise.all(
      names.map((name) =>
        startPostgres({ dir: join(base, name, 'pg'), name: `postgres ${name}`, settings: { fsync: 'off' } }),
      ),
    );
    for (const [i, name] of names.entries()) {
      const role = i === 0 ? 'primary' : 'secondary';
      const dir = join(base, name);
      mkdirSync(dir, { recursive: true });
      const httpPort = await allocatePort();
      const pgi = pgs[i]!;
      const nats = supercluster.byRegion.get(name)!;
      const config: AgentConfigInput = {
        region: name,
        role,
        epoch: 1,
        primaryRegion: primaryName,
        database: { url: pgi.url, name: 'app' },
        nats: { servers: [nats.url] },
        seed: { sourceUrl: pgs[0]!.url, pgBinDir: defaultPgBinDir() },
        http: { host: '127.0.0.1', port: httpPort },
        log: { level: 'info' },
        ...(opts.agentConfig?.(name, role) ?? {}),
      };
      const configFile = join(dir, 'agent.json');
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      handles.push({ name, role, pg: pgi, nats, httpPort, configFile, agent: null, dir });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const sc = supercluster;
  const byName = (name: string): RegionHandle => {
    const h = handles.find((x) => x.name === name);
    if (!h) throw new Error(`no region ${name}`);
    return h;
  };
  const status = async (name: string): Promise<AgentStatus> => {
    const res = await fetch(`http://127.0.0.1:${byName(name).httpPort}/status`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as AgentStatus;
  };
  const startAgent = async (name: string): Promise<void> => {
    const h = byName(name);
    h.agent = await ManagedProcess.spawn({
      name: `agent ${name}`,
      command: process.execPath,
      args: ['--enable-source-maps', AGENT_MAIN, '--config', h.configFile],
      logFile: join(h.dir, 'agent.log'),
    });
    await waitUntil(
      `agent ${name} ready`,
      async () => (await fetch(`http://127.0.0.1:${h.httpPort}/readyz`, { signal: AbortSignal.timeout(1000) })).ok,
      { timeoutMs: 90_000, intervalMs: 100, process: h.agent },
    );
  };
  const regions: Regions = {
    base,
    regions: handles,
    primary: handles[0]!,
    secondaries: handles.slice(1),
    supercluster: sc,
    byName,
    startAgent,
    status,
    async killAgent(name) {
      await byName(name).agent?.kill();
      byName(name).agent = null;
    },
    async restartPostgres(name) {
      const h = byName(name);
      await h.pg.stop();
      const proc = await ManagedProcess.spawn({
        name: `postgres ${name}`,
        command: join(defaultPgBinDir(), 'postgres'),
        args: ['-D', h.pg.dataDir],
        logFile: h.pg.logFile,
        runAs: postgresRunAs(),
        cwd: h.pg.dir,
        stopSignal: 'SIGINT',
        env: { ...process.env, LC_ALL: 'C' },
      });
      h.pg = { ...h.pg, pid: proc.pid, process: proc, stop: (t?: number) => proc.stop(t ?? 15_000) };
      await waitUntil(
        `postgres ${name} accepting queries`,
        async () => {
          const c = new pg.Client({ connectionString: h.pg.url, connectionTimeoutMillis: 1000 });
          try {
            await c.connect();
            await c.query('SELECT 1');
            return true;
          } finally {
            await c.end().catch(() => undefined);
          }
        },
        { timeoutMs: 30_000, process: proc },
      );
    },
    async restartNats(name) {
      const h = byName(name);
      await h.nats.stop();
      const restarted = await startNatsServer({
        region: name,
        dir: h.nats.dir,
        ports: h.nats.ports,
        gateways: handles
          .filter((x) => x.name !== name)
          .map((x) => ({ name: x.name, urls: [`nats://127.0.0.1:${x.nats.ports.gateway}`] })),
      });
      h.nats = restarted;
      sc.byRegion.set(name, restarted);
      const idx = sc.servers.findIndex((s) => s.region === name);
      sc.servers[idx] = restarted;
    },
    async waitConverged(timeoutMs = 60_000) {
      const c = new pg.Client({ connectionString: handles[0]!.pg.url });
      await c.connect();
      let target: string;
      try {
        // A marker transaction: once every secondary applied a commit at or past it, all before it is there.
        target = (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
      } finally {
        await c.end();
      }
      const { compareLsn } = await import('../../region-agent/src/lsn/index.js');
      for (const h of handles.slice(1)) {
        await waitUntil(
          `${h.name} applied past ${target}`,
          async () => {
            const s = await status(h.name);
            return s.apply !== undefined && s.apply.epoch > 0 && compareLsn(s.apply.commitLsn, target) >= 0;
          },
          { timeoutMs, intervalMs: 100 },
        );
      }
    },
    stop: stopAll,
  };
  try {
    if (opts.startAgents !== false) {
      await startAgent(names[0]!);
      for (const h of handles.slice(1)) await startAgent(h.name);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return regions;
}

/** A stable checksum of a table's content (ordered by its text form), for cross-region comparison. */
export async function tableChecksum(url: string, table: string): Promise<{ rows: number; md5: string }> {
  const c = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c extra_float_digits=3 -c DateStyle=ISO' });
  await c.connect();
  try {
    const r = await c.query<{ n: string; md5: string | null }>(
      `SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS md5 FROM ${table} t`,
    );
    return { rows: Number(r.rows[0]!.n), md5: r.rows[0]!.md5 ?? 'empty' };
  } finally {
    await c.end();
  }
}
