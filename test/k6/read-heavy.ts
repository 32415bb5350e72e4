// Regional read-heavy load: every region serves point and range reads of its own copy (95 %), with a few
// writes (5 %) that secondaries forward to the primary. Fails when reads get slow or requests fail.
//   READ_RATE (requests/s per region, 50)  DURATION (30s)  ACCOUNTS (1000)  READ_P95_MS (100)  WRITE_P95_MS (500)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { execute } from './lib/data-api.ts';
import { num, primaryOf, randomKey, regions, str } from './lib/env.ts';
import { ACCOUNTS, prepare } from './lib/schema.ts';

const list = regions();
const ACCOUNT_COUNT = num('ACCOUNTS', 1000);

export const options: Options = {
  scenarios: Object.fromEntries(
    list.map((r) => [
      `reads_${r.name.replace(/-/g, '_')}`,
      {
        executor: 'constant-arrival-rate',
        rate: num('READ_RATE', 50),
        timeUnit: '1s',
        duration: str('DURATION', '30s'),
        preAllocatedVUs: 4,
        maxVUs: 32,
        env: { REGION: r.name },
      },
    ]),
  ),
  thresholds: {
    'http_req_failed{kind:read}': ['rate<0.01'],
    'http_req_duration{kind:read}': [`p(95)<${num('READ_P95_MS', 100)}`],
    'http_req_failed{kind:write}': ['rate<0.01'],
    'http_req_duration{kind:write}': [`p(95)<${num('WRITE_P95_MS', 500)}`],
    checks: ['rate>0.99'],
  },
};

export function setup(): { session: string | null } {
  return { session: prepare(primaryOf(list), ACCOUNT_COUNT) };
}

export default function (data: { session: string | null }): void {
  const region = list.find((r) => r.name === __ENV.REGION)!;
  if (Math.random() < 0.05) {
    const r = execute(region, 'write', { sql: `UPDATE ${ACCOUNTS} SET note = $2, updated_at = now() WHERE id = $1`, params: [randomKey(ACCOUNT_COUNT), `k6 ${__VU}/${__ITER}`] });
    check(r, { 'write ok': (x) => x.ok });
    return;
  }
  if (Math.random() < 0.8) {
    const id = randomKey(ACCOUNT_COUNT);
    const r = execute(region, 'read', { sql: `SELECT id, balance, note FROM ${ACCOUNTS} WHERE id = $1`, params: [id] }, { session: data.session });
    check(r, { 'point read found the row': (x) => x.ok && x.rows.length === 1 && x.rows[0]!.id === id, 'read served locally': (x) => x.servedBy === region.name });
  } else {
    const from = randomKey(Math.max(1, ACCOUNT_COUNT - 20));
    const r = execute(region, 'read', { sql: `SELECT id, balance FROM ${ACCOUNTS} WHERE id BETWEEN $1 AND $1 + 19 ORDER BY id`, params: [from] }, { session: data.session });
    check(r, { 'range read returned 20 rows': (x) => x.ok && x.rows.length === 20 });
  }
}
