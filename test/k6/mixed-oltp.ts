// A mixed OLTP scenario on every region: transfers between accounts (one transaction of two updates and a
// history insert, forwarded from secondaries), balance lookups, and recent-history reads. The total of all
// balances is invariant: teardown checks it in every region.
//   TX_RATE (transfers/s per region, 10)  READ_RATE (reads/s per region, 40)  DURATION (30s)  ACCOUNTS (1000)
//   TX_P95_MS (600)  READ_P95_MS (100)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { execute, must, transaction } from './lib/data-api.ts';
import { num, primaryOf, randomKey, regions, str } from './lib/env.ts';
import { ACCOUNTS, HISTORY, prepare } from './lib/schema.ts';

const list = regions();
const ACCOUNT_COUNT = num('ACCOUNTS', 1000);
const duration = str('DURATION', '30s');

const scenarios: NonNullable<Options['scenarios']> = {};
for (const r of list) {
  const id = r.name.replace(/-/g, '_');
  scenarios[`transfers_${id}`] = { executor: 'constant-arrival-rate', rate: num('TX_RATE', 10), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 32, exec: 'transfer', env: { REGION: r.name } };
  scenarios[`reads_${id}`] = { executor: 'constant-arrival-rate', rate: num('READ_RATE', 40), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 32, exec: 'lookup', env: { REGION: r.name } };
}

export const options: Options = {
  scenarios,
  thresholds: {
    'http_req_failed{kind:transfer}': ['rate<0.02'],
    'http_req_duration{kind:transfer}': [`p(95)<${num('TX_P95_MS', 600)}`],
    'http_req_failed{kind:read}': ['rate<0.01'],
    'http_req_duration{kind:read}': [`p(95)<${num('READ_P95_MS', 100)}`],
    checks: ['rate>0.98'],
    // the invariant: no transfer is half-applied in any region
    'checks{kind:verify}': ['rate==1'],
  },
};

interface Data {
  session: string | null;
  total: number;
}

export function setup(): Data {
  const primary = primaryOf(list);
  const session = prepare(primary, ACCOUNT_COUNT);
  const t = must(execute(primary, 'setup', { sql: `SELECT sum(balance)::bigint AS total FROM ${ACCOUNTS}` }), 'total');
  return { session, total: Number(t.rows[0]!.total) };
}

export function transfer(): void {
  const region = list.find((r) => r.name === __ENV.REGION)!;
  const src = randomKey(ACCOUNT_COUNT);
  let dst = randomKey(ACCOUNT_COUNT);
  if (dst === src) dst = (src % ACCOUNT_COUNT) + 1;
  const amount = 1 + Math.floor(Math.random() * 50);
  // Lock in key order: concurrent transfers never deadlock.
  const [a, b] = src < dst ? [src, dst] : [dst, src];
  const r = transaction(region, 'transfer', [
    { sql: `SELECT id FROM ${ACCOUNTS} WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, params: [a, b] },
    { sql: `UPDATE ${ACCOUNTS} SET balance = balance - $2, updated_at = now() WHERE id = $1`, params: [src, amount] },
    { sql: `UPDATE ${ACCOUNTS} SET balance = balance + $2, updated_at = now() WHERE id = $1`, params: [dst, amount] },
    { sql: `INSERT INTO ${HISTORY} (src, dst, amount, region) VALUES ($1, $2, $3, $4) RETURNING id`, params: [src, dst, amount, region.name] },
  ], { mode: 'write' });
  check(r, { 'transfer committed': (x) => x.ok && x.rows.length === 1 });
}

export function lookup(data: Data): void {
  const region = list.find((r) => r.name === __ENV.REGION)!;
  if (Math.random() < 0.7) {
    const r = execute(region, 'read', { sql: `SELECT balance FROM ${ACCOUNTS} WHERE id = $1`, params: [randomKey(ACCOUNT_COUNT)] }, { session: data.session });
    check(r, { 'balance read': (x) => x.ok && x.rows.length === 1 });
  } else {
    const r = execute(region, 'read', { sql: `SELECT src, dst, amount FROM ${HISTORY} WHERE src = $1 OR dst = $1 ORDER BY id DESC LIMIT 10`, params: [randomKey(ACCOUNT_COUNT)] });
    check(r, { 'history read': (x) => x.ok });
  }
}

export function teardown(data: Data): void {
  // Every region must hold the same total once it applied the primary's last commit.
  const primary = primaryOf(list);
  const last = must(execute(primary, 'setup', { sql: `SELECT sum(balance)::bigint AS total FROM ${ACCOUNTS}` }), 'total on the primary');
  for (const r of list) {
    const t = execute(r, 'verify', { sql: `SELECT sum(balance)::bigint AS total FROM ${ACCOUNTS}` }, { session: last.session, timeoutMs: 30_000 });
    check(t, { [`balances sum to the seeded total in ${r.name}`]: (x) => x.ok && Number(x.rows[0]!.total) === data.total }, { kind: 'verify' });
  }
}
