// The real `borealis` CLI: `up --json` (1 primary + 2 secondaries, 2 readers each, with region agents),
// `status`, a refused second `up`, PostgreSQL clients through the writer endpoint, reader round-robin,
// control-plane metrics, `down`, and nothing left behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'cli/bin/borealis.js');
const pgBin = process.env.BOREALIS_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const stateDir = mkdtempSync(join(tmpdir(), 'borealis-cli-state-'));
const env = { ...process.env, BOREALIS_STATE_DIR: stateDir };

interface Description {
  writer: string;
  controlPlane: string;
  regions: {
    name: string;
    role: string;
    postgres: string;
    reader: string;
    http: string;
    metrics: string;
    nats: string;
  }[];
}
interface State {
  pid: number;
  dir: string;
  processes: { region: string; kind: string; pid: number }[];
}

let supervisor: ChildProcess;
let upLine = '';
let upStderr = '';
let upStdout = '';
let description: Description;
let state: State;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cli(args: string[], timeoutMs = 60_000) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  if (!existsSync(join(repo, 'cli/dist/main.js')))
    throw new Error('cli/dist/main.js is missing: run "npm run build" first');
  supervisor = spawn(
    process.execPath,
    [bin, 'up', '--regions', '3', '--readers', '2', '--json', '--pg', 'fsync=off'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  supervisor.stderr!.on('data', (d: Buffer) => (upStderr += d.toString()));
  upLine = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no JSON line within 150 s; stderr:\n${upStderr}`)),
      150_000,
    );
    supervisor.stdout!.on('data', (d: Buffer) => {
      upStdout += d.toString();
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolveLine(out.slice(0, nl));
      }
    });
    supervisor.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`borealis up exited with ${code} before it was ready; stderr:\n${upStderr}`),
      );
    });
  });
  description = JSON.parse(upLine) as Description;
  state = JSON.parse(readFileSync(join(stateDir, 'topology.json'), 'utf8')) as State;
}, 180_000);

afterAll(async () => {
  // Only if a test failed before `down`: stop the supervisor we started, then anything it left.
  if (supervisor && supervisor.exitCode === null && supervisor.pid) {
    supervisor.kill('SIGTERM');
    await new Promise((r) => supervisor.once('exit', r));
  }
  for (const p of state?.processes ?? []) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  if (state?.dir) rmSync(state.dir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

describe('borealis up --json', () => {
  it('prints exactly one JSON line with the writer and every region', () => {
    // The contract's fields; other parts may add fields of their own (e.g. a data-API token) next to them.
    expect(Object.keys(description)).toEqual(
      expect.arrayContaining(['writer', 'regions', 'controlPlane']),
    );
    expect(description.writer).toMatch(/^postgres:\/\/borealis@127\.0\.0\.1:\d+\/app$/);
    expect(description.controlPlane).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(description.regions.map((r) => [r.name, r.role])).toEqual([
      ['us-east', 'primary'],
      ['eu-west', 'secondary'],
      ['ap-south', 'secondary'],
    ]);
    const ports = new Set<string>();
    for (const r of description.regions) {
      expect(Object.keys(r).sort()).toEqual([
        'http',
        'metrics',
        'name',
        'nats',
        'postgres',
        'reader',
        'role',
      ]);
      expect(r.postgres).toMatch(/^postgres:\/\/borealis@127\.0\.0\.1:\d+\/app$/);
      expect(r.reader).toMatch(/^postgres:\/\/borealis@127\.0\.0\.1:\d+\/app$/);
      expect(r.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(r.metrics).toBe(`${r.http}/metrics`);
      expect(r.nats).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      for (const u of [r.postgres, r.reader, r.http, r.nats]) ports.add(new URL(u).port);
    }
    expect(ports.size).toBe(12);
    // Progress went to stderr, not stdout.
    expect(upStderr).toMatch(/topology ready/);
  });

  it('every region agent answers /readyz and /status', async () => {
    for (const r of description.regions) {
      expect((await fetch(`${r.http}/readyz`)).status).toBe(200);
      const s = (await (await fetch(`${r.http}/status`)).json()) as {
        region: string;
        role: string;
      };
      expect(s).toMatchObject({ region: r.name, role: r.role });
    }
  });

  it('a second up is refused with a clear message while one runs', () => {
    const second = cli(['up', '--regions', '1', '--no-agents'], 30_000);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`a topology is already running \\(supervisor pid ${state.pid}`),
    );
    expect(second.stdout).toBe('');
    // It refused before starting anything: no progress line of a start.
    expect(second.stderr).not.toMatch(/starting \d+ region/);
  });
});

describe('borealis status', () => {
  it('--json prints the same line as up --json', () => {
    const r = cli(['status', '--json']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(upLine);
  });

  it('prints endpoints and a per-region table from the agents', () => {
    const r = cli(['status']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(description.writer);
    expect(r.stdout).toMatch(/REGION\s+ROLE\s+READY\s+POSITION\s+LAG/);
    for (const reg of description.regions)
      expect(r.stdout).toMatch(new RegExp(`^${reg.name}\\s+${reg.role}\\s+yes`, 'm'));
  });
});

describe('endpoints', () => {
  it('psql works through the writer endpoint and reaches the primary', () => {
    const r = spawnSync(
      join(pgBin, 'psql'),
      [
        description.writer,
        '-Atc',
        'SELECT current_database(), current_user, pg_is_in_recovery(), inet_server_port()',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    const primaryPort = new URL(description.regions[0]!.postgres).port;
    expect(r.stdout.trim()).toBe(`app|borealis|f|${primaryPort}`);
  });

  it('pgbench -i and a short pgbench run work through the writer endpoint', async () => {
    const init = spawnSync(join(pgBin, 'pgbench'), ['-i', '-s', '1', description.writer], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(init.status, init.stderr).toBe(0);
    const run = spawnSync(join(pgBin, 'pgbench'), ['-c', '2', '-t', '50', description.writer], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/number of transactions actually processed: 100\/100/);
    const rows = await query<{ n: string }>(
      description.regions[0]!.postgres,
      'SELECT count(*) AS n FROM pgbench_accounts',
    );
    expect(Number(rows[0]!.n)).toBe(100_000);
  });

  it('a reader endpoint spreads connections round-robin over the region PostgreSQL and its 2 readers', async () => {
    const region = description.regions[1]!;
    const seen: { port: number; standby: boolean }[] = [];
    for (let i = 0; i < 6; i++) {
      const rows = await query<{ port: number; standby: boolean }>(
        region.reader,
        'SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby',
      );
      seen.push(rows[0]!);
    }
    const ports = seen.map((s) => s.port);
    expect(new Set(ports).size).toBe(3);
    expect(ports.slice(3)).toEqual(ports.slice(0, 3));
    expect(ports).toContain(Number(new URL(region.postgres).port));
    // The two readers are hot standbys; the region's own PostgreSQL is not.
    expect(seen.slice(0, 3).filter((s) => s.standby).length).toBe(2);
  });

  it('control-plane /metrics counts open connections per endpoint', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${description.controlPlane}/metrics`)).text();
      const m = /^borealis_endpoint_connections\{endpoint="writer"\} (\d+)$/m.exec(text);
      expect(text).toMatch(/^borealis_endpoint_connections\{endpoint="reader-ap-south"\} \d+$/m);
      return Number(m?.[1]);
    };
    const clients = [
      new pg.Client({ connectionString: description.writer }),
      new pg.Client({ connectionString: description.writer }),
    ];
    for (const c of clients) await c.connect();
    try {
      expect(await scrape()).toBe(2);
    } finally {
      for (const c of clients) await c.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await scrape()).toBe(0);
  });

  it('a row written through the writer endpoint reaches every secondary', async () => {
    await query(description.writer, 'CREATE TABLE cli_probe (id int PRIMARY KEY, note text)');
    await query(
      description.writer,
      "INSERT INTO cli_probe VALUES (1, 'through the writer endpoint')",
    );
    for (const r of description.regions.slice(1)) {
      const deadline = Date.now() + 60_000;
      let note: string | undefined;
      while (Date.now() < deadline && note === undefined) {
        try {
          note = (
            await query<{ note: string }>(r.postgres, 'SELECT note FROM cli_probe WHERE id = 1')
          )[0]?.note;
        } catch {
          // table not replicated yet
        }
        if (note === undefined) await new Promise((res) => setTimeout(res, 200));
      }
      expect(note, `region ${r.name}`).toBe('through the writer endpoint');
    }
  });
});

describe('borealis down', () => {
  it('stops the supervisor and every process, and removes the state file and temp dir', async () => {
    expect(state.processes.length).toBe(3 * (1 + 2 + 1 + 1)); // per region: postgres, 2 readers, nats, agent
    const exited = new Promise<number | null>((r) => supervisor.once('exit', (code) => r(code)));
    const r = cli(['down'], 90_000);
    expect(r.status, r.stderr).toBe(0);
    expect(await exited).toBe(0);
    expect(alive(state.pid)).toBe(false);
    for (const p of state.processes)
      expect(alive(p.pid), `${p.kind} ${p.region} pid ${p.pid}`).toBe(false);
    expect(existsSync(join(stateDir, 'topology.json'))).toBe(false);
    expect(existsSync(state.dir)).toBe(false);
    expect(upStderr).toMatch(/SIGTERM received: stopping the topology/);
    // Over its whole life the supervisor printed exactly one line to stdout: the JSON line.
    expect(upStdout).toBe(`${upLine}\n`);
  });

  it('status and down with nothing running say so', () => {
    const s = cli(['status']);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/no topology is running/);
    const d = cli(['down']);
    expect(d.status).toBe(0);
    expect(d.stderr).toMatch(/no topology is running/);
  });
});
