// Write forwarding from the secondaries: every write goes to a secondary, which forwards it to the primary;
// with CONSISTENCY=session (default) each write is followed by a read in the same region that must see it.
//   WRITE_RATE (writes/s per secondary, 20)  DURATION (30s)  ACCOUNTS (1000)  CONSISTENCY (session)  WRITE_P95_MS (500)
import { check } from 'k6';
import { Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { execute, type Consistency } from './lib/data-api.ts';
import { num, primaryOf, randomKey, regions, secondariesOf, str } from './lib/env.ts';
import { ACCOUNTS, prepare } from './lib/schema.ts';

const list = regions();
const secondaries = secondariesOf(list);
const ACCOUNT_COUNT = num('ACCOUNTS', 1000);
const CONSISTENCY = str('CONSISTENCY', 'session') as Consistency;
if (secondaries.length === 0) throw new Error('write-forwarding needs at least one secondary region (borealis up --regions 2 or more)');

/** Reads right after a session write that saw it (must be 100 %). */
const readYourWrites = new Rate('borealis_read_your_writes');

export const options: Options = {
  scenarios: Object.fromEntries(
    secondaries.map((r) => [
      `forward_${r.name.replace(/-/g, '_')}`,
      {
        executor: 'constant-arrival-rate',
        rate: num('WRITE_RATE', 20),
        timeUnit: '1s',
        duration: str('DURATION', '30s'),
        preAllocatedVUs: 4,
        maxVUs: 32,
        env: { REGION: r.name },
      },
    ]),
  ),
  thresholds: {
    'http_req_failed{kind:write}': ['rate<0.01'],
    'http_req_duration{kind:write}': [`p(95)<${num('WRITE_P95_MS', 500)}`],
    ...(CONSISTENCY === 'eventual' ? {} : { borealis_read_your_writes: ['rate==1'] }),
    checks: ['rate>0.99'],
  },
};

export function setup(): { session: string | null } {
  return { session: prepare(primaryOf(list), ACCOUNT_COUNT) };
}

export default function (data: { session: string | null }): void {
  const region = list.find((r) => r.name === __ENV.REGION)!;
  const id = randomKey(ACCOUNT_COUNT);
  const note = `${region.name}:${__VU}:${__ITER}:${Date.now()}`;
  const w = execute(region, 'write', { sql: `UPDATE ${ACCOUNTS} SET note = $2, updated_at = now() WHERE id = $1 RETURNING id`, params: [id, note] }, { consistency: CONSISTENCY, session: data.session });
  check(w, { 'write forwarded and committed': (x) => x.ok && x.forwarded && x.rows.length === 1 });
  if (!w.ok || CONSISTENCY === 'eventual') return;
  const r = execute(region, 'read', { sql: `SELECT note FROM ${ACCOUNTS} WHERE id = $1`, params: [id] });
  // Another VU may have written the same row after this one: then the note is newer, never older.
  const seen = r.ok && r.rows.length === 1 && typeof r.rows[0]!.note === 'string';
  readYourWrites.add(seen && (r.rows[0]!.note === note || String(r.rows[0]!.note).split(':')[3]! >= note.split(':')[3]!));
}
