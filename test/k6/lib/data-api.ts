// A small typed client of the Borealis Data API for k6 (docs/data-api.md).
import http from 'k6/http';
import { token, type RegionInfo } from './env.ts';

export type Consistency = 'eventual' | 'session' | 'global';

export interface Statement {
  sql: string;
  params?: unknown[];
}

export interface RequestOptions {
  consistency?: Consistency;
  session?: string | null;
  mode?: 'auto' | 'read' | 'write';
  timeoutMs?: number;
}

export interface ApiError {
  code: string;
  message: string;
  retryable: boolean;
  sqlstate?: string;
  committed?: boolean;
}

export interface ApiResult {
  status: number;
  ok: boolean;
  /** Rows of /v1/execute, or of the last statement of /v1/transaction. */
  rows: Record<string, unknown>[];
  session: string | null;
  forwarded: boolean;
  servedBy: string | null;
  error: ApiError | null;
  durationMs: number;
}

function params(region: RegionInfo, kind: string) {
  return {
    headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
    // Tags: thresholds and the failover timeline are per kind of request and region.
    tags: { region: region.name, kind },
    // Non-200 answers are failures for http_req_failed; the body still tells retryable or not.
    responseCallback: http.expectedStatuses(200),
    timeout: '30s',
  };
}

function parse(res: http.RefinedResponse<'text'>): ApiResult {
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(String(res.body ?? '{}')) as Record<string, any>;
  } catch {
    body = { error: { code: 'not_json', message: String(res.body ?? res.error), retryable: res.status === 0 } };
  }
  const rows = Array.isArray(body.rows) ? body.rows : Array.isArray(body.results) ? (body.results[body.results.length - 1]?.rows ?? []) : [];
  const err = (body.error ?? null) as ApiError | null;
  return {
    status: res.status,
    ok: res.status === 200,
    rows,
    session: typeof body.session === 'string' ? body.session : null,
    forwarded: body.forwarded === true,
    servedBy: typeof body.servedBy === 'string' ? body.servedBy : null,
    // status 0: no HTTP answer at all (connection refused/reset, k6 timeout): retryable
    error: res.status === 200 ? null : (err ?? { code: `http_${res.status}`, message: res.error || `HTTP ${res.status}`, retryable: res.status === 0 || res.status === 503 }),
    durationMs: res.timings.duration,
  };
}

export function execute(region: RegionInfo, kind: string, st: Statement, o: RequestOptions = {}): ApiResult {
  const body = { sql: st.sql, params: st.params ?? [], ...clean(o) };
  return parse(http.post(`${region.http}/v1/execute`, JSON.stringify(body), params(region, kind)) as http.RefinedResponse<'text'>);
}

export function transaction(region: RegionInfo, kind: string, statements: Statement[], o: RequestOptions = {}): ApiResult {
  const body = { statements: statements.map((s) => ({ sql: s.sql, params: s.params ?? [] })), ...clean(o) };
  return parse(http.post(`${region.http}/v1/transaction`, JSON.stringify(body), params(region, kind)) as http.RefinedResponse<'text'>);
}

function clean(o: RequestOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.consistency) out.consistency = o.consistency;
  if (o.session) out.session = o.session;
  if (o.mode) out.mode = o.mode;
  if (o.timeoutMs) out.timeoutMs = o.timeoutMs;
  return out;
}

/** Throws (failing setup) unless the request succeeded. */
export function must(r: ApiResult, what: string): ApiResult {
  if (!r.ok) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.error)}`);
  return r;
}
