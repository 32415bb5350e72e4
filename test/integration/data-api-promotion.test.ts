/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- the API's JSON answers are checked field by field */
// The Data API through a real unplanned failover (local topology: PostgreSQL 15, nats-server, region agents,
// the CLI's promotion coordinator; the primary region killed): writes sent to a secondary all the time either
// commit or fail fast with a retryable 503 while the epoch moves, then succeed again, forwarded to the new
// primary; session reads keep working across the epoch change.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../cli/src/promotion/index.js';
import { startTopology, type Topology } from '../../cli/src/topology/index.js';

let topo: Topology;
let token: string;
const http = new Map<string, string>();

interface Answer {
  status: number;
  body: Record<string, any>;
  ms: number;
}

async function exec(region: string, body: Record<string, unknown>): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(`${http.get(region)}/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, ms: performance.now() - t0 };
}

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  topo = await startTopology({ regions: 3, postgresSettings: { fsync: 'off' }, agentConfig: { heartbeat: { intervalMs: 100 } } });
  const d = topo.describe();
  token = d.dataApiToken;
  for (const r of d.regions) http.set(r.name, r.http);
  const c = await exec('us-east', { sql: 'CREATE TABLE ledger (n integer PRIMARY KEY, via text NOT NULL)', consistency: 'global', timeoutMs: 30_000 });
  expect(c.status, JSON.stringify(c.body)).toBe(200);
});

afterAll(async () => {
  await topo?.stop();
});

/** Writes through `via` every few ms until stopped; returns every answer. */
function writer(via: string, from: number) {
  let stop = false;
  const answers: (Answer & { n: number })[] = [];
  const done = (async () => {
    for (let n = from; !stop; n++) {
      const a = await exec(via, { sql: 'INSERT INTO ledger (n, via) VALUES ($1, $2)', params: [n, via], timeoutMs: 3000 });
      answers.push({ ...a, n });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { answers, stop: async () => ((stop = true), await done) };
}

describe('forwarded writes across an unplanned failover', () => {
  it('the primary region is killed while a secondary takes writes: 200 or a fast retryable 503, then writes succeed on the new primary', async () => {
    const via = 'ap-south';
    const before = await exec(via, { sql: 'INSERT INTO ledger (n, via) VALUES ($1, $2)', params: [0, via], consistency: 'session' });
    expect(before.status).toBe(200);
    expect(before.body.servedBy).toBe('us-east');
    const w = writer(via, 1);
    await new Promise((r) => setTimeout(r, 500));
    const drill = await runDrill(topo, topo.coordinator!, { type: 'failover', fault: 'kill', region: 'us-east', writesPerSec: 20 });
    const to = drill.drill.to;
    expect(to).not.toBe('us-east');
    const epoch = Number(topo.coordinator!.current!.epoch);
    // keep writing until a write after the failover went through
    const deadline = Date.now() + 30_000;
    const settledFrom = w.answers.length;
    while (Date.now() < deadline && !w.answers.slice(settledFrom).some((a) => a.status === 200 && a.body.servedBy === to)) await new Promise((r) => setTimeout(r, 50));
    await w.stop();

    const ok = w.answers.filter((a) => a.status === 200);
    const failed = w.answers.filter((a) => a.status !== 200);
    expect(failed.length, 'the primary was killed: some writes must have failed').toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.status, JSON.stringify(f.body)).toBe(503);
      expect(f.body.error.retryable).toBe(true);
      expect(f.ms).toBeLessThan(2000);
    }
    // writes succeed again, forwarded to the new primary, with positions of its epoch
    const last = ok[ok.length - 1]!;
    expect(last.body).toMatchObject({ forwarded: true, servedBy: to });
    expect(Number(last.body.session.split(':')[0])).toBe(epoch);
    // every write acknowledged by the new primary is there
    const newPrimary = topo.describe().regions.find((r) => r.name === to)!;
    const present = new Set((await rows(newPrimary.postgres, 'SELECT n FROM ledger')).map((r) => Number(r.n)));
    for (const a of ok.filter((x) => x.body.servedBy === to)) expect(present.has(a.n), `write ${a.n} acknowledged by ${to} is missing there`).toBe(true);
    // read-your-writes across the remaining regions with the new epoch's token
    const s = await exec(via, { sql: 'INSERT INTO ledger (n, via) VALUES ($1, $2) RETURNING n', params: [999_999, via], consistency: 'session' });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    const other = [...http.keys()].find((r) => r !== via && r !== 'us-east')!;
    const r = await exec(other, { sql: 'SELECT via FROM ledger WHERE n = $1', params: [999_999], session: s.body.session });
    expect(r.body.rows).toEqual([{ via }]);
  });
});
