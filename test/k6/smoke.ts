// A short smoke run of the Data API in every region (part of `npm test`, test/integration/k6-smoke.test.ts):
// forwarded session writes read back at once in the same region, token reads in the other regions, point
// reads. Any failed request or check fails the run, as does a p95 above SMOKE_P95_MS.
//   ITERATIONS (per VU, 10)  VUS (2)  SMOKE_P95_MS (1000)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { execute } from './lib/data-api.ts';
import { num, primaryOf, regions } from './lib/env.ts';
import { ACCOUNTS, prepare } from './lib/schema.ts';

const list = regions();
const ACCOUNT_COUNT = 100;

export const options: Options = {
  scenarios: {
    smoke: { executor: 'per-vu-iterations', vus: num('VUS', 2), iterations: num('ITERATIONS', 10), maxDuration: '2m' },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    'http_req_duration{kind:write}': [`p(95)<${num('SMOKE_P95_MS', 1000)}`],
    'http_req_duration{kind:read}': [`p(95)<${num('SMOKE_P95_MS', 1000)}`],
  },
};

export function setup(): { session: string | null } {
  return { session: prepare(primaryOf(list), ACCOUNT_COUNT) };
}

export default function (data: { session: string | null }): void {
  const region = list[(__VU + __ITER) % list.length]!;
  // Each VU owns its own rows (VU 1: 1–50, VU 2: 51–100), so the newest note of a row is always this VU's.
  const id = 1 + (((__VU - 1) * 50 + (__ITER % 50)) % ACCOUNT_COUNT);
  const note = `smoke ${__VU}/${__ITER}/${Date.now()}`;
  const w = execute(region, 'write', { sql: `UPDATE ${ACCOUNTS} SET note = $2 WHERE id = $1 RETURNING id`, params: [id, note] }, { consistency: 'session', session: data.session });
  check(w, {
    'write committed': (x) => x.ok && x.rows.length === 1,
    'forwarded when sent to a secondary': (x) => x.forwarded === (region.role === 'secondary'),
  });
  const mine = execute(region, 'read', { sql: `SELECT note FROM ${ACCOUNTS} WHERE id = $1`, params: [id] });
  check(mine, { 'read your write in the same region': (x) => x.ok && x.rows.length === 1 && x.rows[0]!.note === note });
  for (const other of list) {
    if (other.name === region.name) continue;
    const r = execute(other, 'read', { sql: `SELECT count(*)::int AS n FROM ${ACCOUNTS} WHERE id = $1 AND note = $2`, params: [id, note] }, { session: w.session });
    check(r, { 'token read in another region sees the write': (x) => x.ok && x.rows[0]!.n === 1 });
  }
}
