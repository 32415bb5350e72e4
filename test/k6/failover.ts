// Load during a failover drill: steady writes through every region's Data API (forwarded to whichever region
// is primary at the time) and local reads, for DURATION. Start the drill while it runs (`npm run load --
// failover --drill failover:kill` does that and prints error rate and latency per second). Each client
// prefers its own region and, like a real client, retries a retryable failure (up to ATTEMPTS tries, the
// next region after a region that does not answer). With --drill it fails unless every request succeeds
// before the drill and after RECOVERY_BUDGET_S into it; without, when more than FAILOVER_MAX_ERROR_RATE of
// the requests still fail after those tries. Any failure not marked retryable fails it too: during a
// promotion forwarded writes must fail fast and retryable, then succeed again.
//   WRITE_RATE (writes/s per region, 20)  READ_RATE (reads/s per region, 20)  DURATION (60s)  ACCOUNTS (1000)
//   ATTEMPTS (3)  FAILOVER_MAX_ERROR_RATE (0.2)  WRITE_P95_MS (2000)
//   DRILL_AT_S (set by --drill: seconds into the run when the drill starts)  RECOVERY_BUDGET_S (30): with
//   DRILL_AT_S, requests before the drill and after DRILL_AT_S + RECOVERY_BUDGET_S must all succeed.
import { check, sleep } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { execute, type ApiResult } from './lib/data-api.ts';
import { num, primaryOf, randomKey, regions, str, type RegionInfo } from './lib/env.ts';
import { ACCOUNTS, prepare } from './lib/schema.ts';

const list = regions();
const ACCOUNT_COUNT = num('ACCOUNTS', 1000);
const duration = str('DURATION', '60s');

/** A failed request whose error was not retryable (must stay 0). */
const nonRetryable = new Rate('borealis_non_retryable_errors');
const errorsByCode = new Counter('borealis_data_api_errors');
/** A request that still failed after the client's retries. */
const failedAfterRetries = new Rate('borealis_failed_after_retries');
const ATTEMPTS = num('ATTEMPTS', 3);
const DRILL_AT_S = num('DRILL_AT_S', -1);
const RECOVERY_BUDGET_S = num('RECOVERY_BUDGET_S', 30);

/** before / during / after the drill (by the time a request started), or all without a drill. */
function windowOf(startedMs: number, runStartMs: number): string {
  if (DRILL_AT_S < 0) return 'all';
  const t = (startedMs - runStartMs) / 1000;
  return t < DRILL_AT_S ? 'before' : t < DRILL_AT_S + RECOVERY_BUDGET_S ? 'during' : 'after';
}

const scenarios: NonNullable<Options['scenarios']> = {};
for (const r of list) {
  const id = r.name.replace(/-/g, '_');
  scenarios[`writes_${id}`] = { executor: 'constant-arrival-rate', rate: num('WRITE_RATE', 20), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 64, exec: 'write', env: { REGION: r.name } };
  scenarios[`reads_${id}`] = { executor: 'constant-arrival-rate', rate: num('READ_RATE', 20), timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 64, exec: 'read', env: { REGION: r.name } };
}

export const options: Options = {
  scenarios,
  thresholds: {
    // With a drill: every request succeeds (after the client's retries) before it and once the recovery budget
    // passed; anything goes during it. Without one (a drill started by hand): at most FAILOVER_MAX_ERROR_RATE.
    ...(DRILL_AT_S < 0
      ? {
          'borealis_failed_after_retries{kind:write}': [`rate<${num('FAILOVER_MAX_ERROR_RATE', 0.2)}`],
          'borealis_failed_after_retries{kind:read}': [`rate<${num('FAILOVER_MAX_ERROR_RATE', 0.2)}`],
        }
      : { 'borealis_failed_after_retries{window:before}': ['rate==0'], 'borealis_failed_after_retries{window:after}': ['rate==0'] }),
    'http_req_duration{kind:write}': [`p(95)<${num('WRITE_P95_MS', 2000)}`],
    borealis_non_retryable_errors: ['rate==0'],
  },
};

export function setup(): { start: number } {
  prepare(primaryOf(list), ACCOUNT_COUNT);
  return { start: Date.now() };
}

/** Sends one request with the client's retries; records every failed try and the final outcome. */
function withRetries(kind: 'write' | 'read', runStart: number, send: (region: RegionInfo) => ApiResult): ApiResult {
  const window = windowOf(Date.now(), runStart);
  const home = list.findIndex((x) => x.name === __ENV.REGION);
  let at = home;
  let r: ApiResult | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const region = list[at]!;
    r = send(region);
    if (r.ok) break;
    // An unanswered request to a region that is down (status 0) is retryable too.
    const retryable = r.error?.retryable === true || r.status === 0;
    nonRetryable.add(!retryable, { kind });
    errorsByCode.add(1, { kind, region: region.name, code: r.error?.code ?? `http_${r.status}`, status: String(r.status) });
    if (!retryable) break;
    if (r.status === 0) at = (at + 1) % list.length; // that region does not answer: try the next one
    sleep(Math.min(1, (r.error as { retryAfterMs?: number } | null)?.retryAfterMs ?? 100) / 1000);
  }
  failedAfterRetries.add(!r!.ok, { kind, window });
  if (r!.ok) nonRetryable.add(false, { kind });
  return r!;
}

export function write(data: { start: number }): void {
  const id = randomKey(ACCOUNT_COUNT);
  const r = withRetries('write', data.start, (region) => execute(region, 'write', { sql: `UPDATE ${ACCOUNTS} SET balance = balance + 1, updated_at = now() WHERE id = $1`, params: [id] }, { mode: 'write', timeoutMs: 2000 }));
  check(r, { 'write committed': (x) => x.ok });
}

export function read(data: { start: number }): void {
  const id = randomKey(ACCOUNT_COUNT);
  const r = withRetries('read', data.start, (region) => execute(region, 'read', { sql: `SELECT balance FROM ${ACCOUNTS} WHERE id = $1`, params: [id] }, { mode: 'read', timeoutMs: 2000 }));
  check(r, { 'read served': (x) => x.ok });
}
