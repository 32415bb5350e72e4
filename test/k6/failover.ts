// Load during a failover drill: steady writes through every region's Data API (forwarded to whichever region
// is primary at the time) and local reads, for DURATION. Start the drill while it runs (`npm run load --
// failover --during "<command>"` does that and prints error rate and latency per second). Fails when more
// than FAILOVER_MAX_ERROR_RATE of the writes fail, or when any failure is not marked retryable: during a
// promotion forwarded writes must fail fast and retryable, then succeed again.
//   WRITE_RATE (writes/s per region, 20)  READ_RATE (reads/s per region, 20)  DURATION (60s)  ACCOUNTS (1000)
//   FAILOVER_MAX_ERROR_RATE (0.25)  WRITE_P95_MS (2000)
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { execute } from './lib/data-api.ts';
import { num, primaryOf, randomKey, regions, str } from './lib/env.ts';
import { ACCOUNTS, prepare } from './lib/schema.ts';

const list = regions();
const ACCOUNT_COUNT = num('ACCOUNTS', 1000);
const duration = str('DURATION', '60s');

/** A failed request whose error was not retryable (must stay 0). */
const nonRetryable = new Rate('borealis_non_retryable_errors');
const errorsByCode = new Counter('borealis_data_api_errors');

const scenarios: NonNullable<Options['scenarios']> = {};
for (const r of list) {
  const id = r.name.replace(/-/g, '_');
  scenarios[`writes_${id}`] = { executor: 'constant-arrival-rate', rate: num('WRITE_RATE', 20), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 64, exec: 'write', env: { REGION: r.name } };
  scenarios[`reads_${id}`] = { executor: 'constant-arrival-rate', rate: num('READ_RATE', 20), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 64, exec: 'read', env: { REGION: r.name } };
}

export const options: Options = {
  scenarios,
  thresholds: {
    'http_req_failed{kind:write}': [`rate<${num('FAILOVER_MAX_ERROR_RATE', 0.25)}`],
    'http_req_duration{kind:write}': [`p(95)<${num('WRITE_P95_MS', 2000)}`],
    borealis_non_retryable_errors: ['rate==0'],
  },
};

export function setup(): void {
  prepare(primaryOf(list), ACCOUNT_COUNT);
}

function record(r: ReturnType<typeof execute>): void {
  if (r.ok) {
    nonRetryable.add(false);
    return;
  }
  // An unanswered request to a region that is down (status 0) is retryable too.
  const retryable = r.error?.retryable === true || r.status === 0;
  nonRetryable.add(!retryable);
  errorsByCode.add(1, { code: r.error?.code ?? `http_${r.status}`, status: String(r.status) });
}

export function write(): void {
  const region = list.find((x) => x.name === __ENV.REGION)!;
  const r = execute(region, 'write', { sql: `UPDATE ${ACCOUNTS} SET balance = balance + 1, updated_at = now() WHERE id = $1`, params: [randomKey(ACCOUNT_COUNT)] }, { mode: 'write', timeoutMs: 2000 });
  record(r);
  check(r, { 'write committed': (x) => x.ok });
}

export function read(): void {
  const region = list.find((x) => x.name === __ENV.REGION)!;
  const r = execute(region, 'read', { sql: `SELECT balance FROM ${ACCOUNTS} WHERE id = $1`, params: [randomKey(ACCOUNT_COUNT)] }, { mode: 'read', timeoutMs: 2000 });
  record(r);
  check(r, { 'read served': (x) => x.ok });
}
