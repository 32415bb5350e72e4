/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- the API's JSON answers are checked field by field */
// The Data API on a real local topology (1 primary + 2 secondaries: PostgreSQL 15, nats-server supercluster,
// region agents, link proxies): auth, SQL errors as 4xx with SQLSTATE, bound parameters, forwarding from
// every secondary, the three consistency levels (a frozen region's NATS proves what each waits for), limits,
// and fail-fast retryable errors while the primary is unreachable.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';

let topo: Topology;
let token: string;
const http = new Map<string, string>();
let primary: string;
let secondaries: string[];

interface Answer {
  status: number;
  body: Record<string, any>;
  ms: number;
}

async function api(region: string, path: string, body: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const t = opts.token === undefined ? token : opts.token;
  if (t !== null) headers.authorization = `Bearer ${t}`;
  const t0 = performance.now();
  const res = await fetch(`${http.get(region)}${path}`, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {}, ms };
}

const exec = (region: string, body: Record<string, unknown>) => api(region, '/v1/execute', body);

async function direct<T extends pg.QueryResultRow>(region: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: topo.region(region).urls.postgres });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  topo = await startTopology({
    regions: 3,
    postgresSettings: { fsync: 'off' },
    agentConfig: {
      heartbeat: { intervalMs: 100 },
      dataApi: { maxBodyBytes: 64 * 1024, maxTimeoutMs: 10_000, maxRows: 1000, maxStatements: 5, unreachableHoldMs: 300 },
    },
  });
  const d = topo.describe();
  token = d.dataApiToken;
  for (const r of d.regions) http.set(r.name, r.http);
  primary = d.regions.find((r) => r.role === 'primary')!.name;
  secondaries = d.regions.filter((r) => r.role === 'secondary').map((r) => r.name);
  const created = await exec(primary, {
    sql: 'CREATE TABLE kv (k text PRIMARY KEY, v integer NOT NULL, doc jsonb, at timestamptz DEFAULT now())',
    consistency: 'global',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
});

afterAll(async () => {
  await topo?.stop();
});

describe('authentication and malformed requests', () => {
  it('401 without a token or with a wrong one, on every endpoint and region', async () => {
    for (const region of [primary, ...secondaries]) {
      for (const path of ['/v1/execute', '/v1/transaction', '/v1/wait']) {
        const none = await api(region, path, { sql: 'SELECT 1' }, { token: null });
        expect(none.status).toBe(401);
        expect(none.body.error.code).toBe('unauthorized');
        const wrong = await api(region, path, { sql: 'SELECT 1' }, { token: `${token}x` });
        expect(wrong.status).toBe(401);
      }
    }
  });

  it('400 for a body that is not JSON or not a valid request; the agent keeps serving', async () => {
    const bad = await api(secondaries[0]!, '/v1/execute', null, { raw: '{"sql": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const invalid = await exec(secondaries[0]!, { sql: 'SELECT 1', consistency: 'strong', bogus: true });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_request');
    expect(invalid.body.error.issues.join('\n')).toMatch(/consistency/);
    const ok = await exec(secondaries[0]!, { sql: 'SELECT 41 + 1 AS answer' });
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toEqual([{ answer: 42 }]);
  });
});

describe('PostgreSQL errors', () => {
  it('a syntax error is 400 with SQLSTATE 42601, message and position', async () => {
    for (const region of [primary, ...secondaries]) {
      const r = await exec(region, { sql: 'SELEC 1' });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'sql_error', sqlstate: '42601', retryable: false, position: 1 });
      expect(r.body.error.message).toMatch(/syntax error at or near "SELEC"/);
    }
  });

  it('a forwarded unique violation is 409 with SQLSTATE 23505 and detail, and nothing is half-done', async () => {
    const first = await exec(secondaries[0]!, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['dup', 1] });
    expect(first.status).toBe(200);
    const again = await api(secondaries[1]!, '/v1/transaction', {
      statements: [
        { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['dup-other', 1] },
        { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['dup', 2] },
      ],
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'constraint_violation', sqlstate: '23505', statement: 1, retryable: false });
    expect(again.body.error.detail).toBe('Key (k)=(dup) already exists.');
    expect(await direct(primary, 'SELECT k FROM kv WHERE k = $1', ['dup-other'])).toEqual([]);
  });
});

describe('parameter binding', () => {
  it('stores hostile text literally and binds jsonb, arrays and nulls', async () => {
    const hostile = "x'); DROP TABLE kv; --";
    const r = await exec(secondaries[0]!, {
      sql: 'INSERT INTO kv (k, v, doc) VALUES ($1, $2, $3) RETURNING k, v, doc',
      params: [hostile, 7, { tags: ['a', 'b'], n: null }],
      consistency: 'session',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rows).toEqual([{ k: hostile, v: 7, doc: { tags: ['a', 'b'], n: null } }]);
    const back = await exec(secondaries[0]!, { sql: 'SELECT k, doc->>$2 AS first FROM kv WHERE k = ANY($1::text[])', params: [[hostile], 'n'] });
    expect(back.body.rows).toEqual([{ k: hostile, first: null }]);
    expect((await direct<{ n: string }>(primary, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'kv'"))[0]!.n).toBe('1');
  });

  it('a text carrying two statements is refused: one text is one statement', async () => {
    const r = await exec(primary, { sql: 'SELECT 1; SELECT 2' });
    expect(r.status).toBe(400);
    expect(r.body.error.sqlstate).toBe('42601');
    expect(r.body.error.message).toMatch(/multiple commands/);
  });

  it('a parameter of the wrong type is 400 with SQLSTATE 22P02', async () => {
    const r = await exec(secondaries[1]!, { sql: 'SELECT $1::integer AS n', params: ['seven'] });
    expect(r.status).toBe(400);
    expect(r.body.error.sqlstate).toBe('22P02');
  });
});

describe('write forwarding', () => {
  it('a write sent to any secondary is committed by the primary, reads are served locally', async () => {
    for (const region of secondaries) {
      const w = await exec(region, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2) RETURNING v', params: [`fwd-${region}`, 11] });
      expect(w.status, JSON.stringify(w.body)).toBe(200);
      expect(w.body).toMatchObject({ region, servedBy: primary, forwarded: true, rows: [{ v: 11 }] });
      expect(w.body.session).toMatch(/^1:[0-9A-F]+\/[0-9A-F]+$/);
      expect(await direct(primary, 'SELECT v FROM kv WHERE k = $1', [`fwd-${region}`])).toEqual([{ v: 11 }]);
      const r = await exec(region, { sql: 'SELECT count(*)::int AS n FROM kv' });
      expect(r.body).toMatchObject({ region, servedBy: region, forwarded: false });
    }
    const onPrimary = await exec(primary, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['on-primary', 1] });
    expect(onPrimary.body).toMatchObject({ servedBy: primary, forwarded: false });
  });

  it('mode "read" never forwards: a write there is refused with SQLSTATE 25006', async () => {
    const r = await exec(secondaries[0]!, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['read-mode', 1], mode: 'read' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'write_in_read_mode', sqlstate: '25006' });
    expect(await direct(primary, 'SELECT 1 FROM kv WHERE k = $1', ['read-mode'])).toEqual([]);
  });
});

describe('consistency levels', () => {
  it('session: a read right after a forwarded write on the same secondary sees it, every time', async () => {
    for (const region of secondaries) {
      for (let i = 0; i < 10; i++) {
        const k = `sess-${region}-${i}`;
        const w = await exec(region, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: [k, i], consistency: 'session' });
        expect(w.status, JSON.stringify(w.body)).toBe(200);
        const r = await exec(region, { sql: 'SELECT v FROM kv WHERE k = $1', params: [k] });
        expect(r.body.rows).toEqual([{ v: i }]);
      }
    }
  });

  it("a write's position is the LSN of its own commit record (what secondaries record as applied)", async () => {
    const w = await exec(secondaries[0]!, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2) RETURNING (pg_current_xact_id()::text::bigint % 4294967296)::text AS xid', params: ['exact-lsn', 1] });
    expect(w.status).toBe(200);
    const adminUrl = topo.region(primary).urls.postgres.replace(/\/app$/, '/postgres');
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      const rec = await c.query<{ start_lsn: string; record_type: string; xid: string }>(
        'SELECT start_lsn::text, record_type, xid::text FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_flush_lsn()) LIMIT 1',
        [w.body.position.lsn],
      );
      expect(rec.rows[0]).toEqual({ start_lsn: w.body.position.lsn, record_type: 'COMMIT', xid: w.body.rows[0].xid });
    } finally {
      await c.end();
    }
  });

  it('session token: a read in another region waits for the write it names', async () => {
    const w = await exec(secondaries[0]!, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['token-read', 5] });
    const r = await exec(secondaries[1]!, { sql: 'SELECT v FROM kv WHERE k = $1', params: ['token-read'], session: w.body.session });
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([{ v: 5 }]);
  });

  it('eventual returns without waiting for apply; session and global wait for it (a frozen region proves which)', async () => {
    const frozen = secondaries[1]!;
    const other = secondaries[0]!;
    expect(topo.pause(frozen, 'nats')).toBe(true);
    try {
      // eventual, from the frozen region: committed on the primary, not visible locally.
      const ev = await exec(frozen, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['ev-frozen', 1], consistency: 'eventual' });
      expect(ev.status, JSON.stringify(ev.body)).toBe(200);
      expect(await direct(primary, 'SELECT v FROM kv WHERE k = $1', ['ev-frozen'])).toEqual([{ v: 1 }]);
      expect((await exec(frozen, { sql: 'SELECT v FROM kv WHERE k = $1', params: ['ev-frozen'] })).body.rows).toEqual([]);
      // session, from the frozen region: commits, then cannot confirm it applied it.
      const se = await exec(frozen, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['se-frozen', 1], consistency: 'session', timeoutMs: 600 });
      expect(se.status).toBe(504);
      expect(se.body.error).toMatchObject({ code: 'consistency_timeout', committed: true, retryable: false });
      // a session read naming that write times out there, is served in the healthy region.
      const token = se.body.error.session as string;
      expect((await exec(frozen, { sql: 'SELECT 1', session: token, timeoutMs: 300 })).status).toBe(504);
      const healthy = await exec(other, { sql: 'SELECT v FROM kv WHERE k = $1', params: ['se-frozen'], session: token });
      expect(healthy.body.rows).toEqual([{ v: 1 }]);
      // global, from the healthy region: waits for every region, names the one that did not confirm.
      const gl = await exec(other, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['gl-frozen', 1], consistency: 'global', timeoutMs: 800 });
      expect(gl.status).toBe(504);
      expect(gl.body.error).toMatchObject({ code: 'consistency_timeout', committed: true, pendingRegions: [frozen] });
    } finally {
      topo.resume(frozen, 'nats');
    }
    // After the thaw the frozen region catches up and a global write is visible everywhere when it returns.
    const gl = await exec(other, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['gl-thawed', 3], consistency: 'global', timeoutMs: 10_000 });
    expect(gl.status, JSON.stringify(gl.body)).toBe(200);
    for (const region of [primary, ...secondaries]) {
      expect(await direct(region, 'SELECT v FROM kv WHERE k = $1', ['gl-thawed'])).toEqual([{ v: 3 }]);
      expect(await direct(region, 'SELECT v FROM kv WHERE k = $1', ['se-frozen'])).toEqual([{ v: 1 }]);
    }
  });
});

describe('limits', () => {
  it('413 for a body over dataApi.maxBodyBytes', async () => {
    const r = await exec(secondaries[0]!, { sql: 'SELECT $1::text', params: ['x'.repeat(70 * 1024)] });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('body_too_large');
  });

  it('504 with SQLSTATE 57014 when a statement runs past the time limit; 400 for a limit above the maximum', async () => {
    const t0 = performance.now();
    const r = await exec(secondaries[0]!, { sql: 'SELECT pg_sleep(5)', timeoutMs: 300 });
    expect(r.status).toBe(504);
    expect(r.body.error.sqlstate).toBe('57014');
    expect(performance.now() - t0).toBeLessThan(3000);
    const over = await exec(primary, { sql: 'SELECT 1', timeoutMs: 10_001 });
    expect(over.status).toBe(400);
  });

  it('too many rows, too many statements, transaction control: 400 each', async () => {
    const rows = await exec(primary, { sql: 'SELECT g FROM generate_series(1, 1001) g' });
    expect(rows.status).toBe(400);
    expect(rows.body.error.code).toBe('too_many_rows');
    const many = await api(primary, '/v1/transaction', { statements: Array.from({ length: 6 }, () => ({ sql: 'SELECT 1' })) });
    expect(many.status).toBe(400);
    const ctl = await exec(secondaries[1]!, { sql: 'COMMIT' });
    expect(ctl.status).toBe(400);
    expect(ctl.body.error.code).toBe('transaction_control');
  });
});

describe('primary unreachable', () => {
  it('forwarded writes fail fast with a retryable 503 while the link is cut and succeed after it is restored', async () => {
    const region = secondaries[0]!;
    topo.cut(region, primary);
    try {
      const first = await exec(region, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['cut-1', 1], timeoutMs: 5000 });
      expect(first.status).toBe(503);
      expect(first.body.error).toMatchObject({ code: 'primary_unavailable', retryable: true, primaryRegion: primary });
      expect(first.ms).toBeLessThan(1000);
      const second = await exec(region, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['cut-2', 1] });
      expect(second.status).toBe(503);
      expect(second.body.error.retryAfterMs).toBeGreaterThan(0);
      // reads go on locally
      expect((await exec(region, { sql: 'SELECT count(*)::int AS n FROM kv' })).status).toBe(200);
    } finally {
      topo.restore(region, primary);
    }
    const deadline = Date.now() + 10_000;
    let after: Answer;
    do {
      await new Promise((r) => setTimeout(r, 100));
      after = await exec(region, { sql: 'INSERT INTO kv (k, v) VALUES ($1, $2)', params: ['cut-after', 1] });
    } while (after.status === 503 && Date.now() < deadline);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(await direct(primary, "SELECT k FROM kv WHERE k LIKE 'cut-%' ORDER BY k")).toEqual([{ k: 'cut-after' }]);
  });
});
