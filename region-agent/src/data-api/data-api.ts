import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { DataApiError, PrimaryUnavailableError, invalidRequest, type ErrorBody } from './errors.js';
import { PeerClient, PeerUnreachableError } from './peer-client.js';
import { encodeSessionToken, satisfies, type CommitPosition, type RegionProgress } from './position.js';
import {
  InvalidRequestError,
  parseExecuteRequest,
  parseTransactionRequest,
  parseWaitRequest,
  type DataRequest,
  type RequestLimits,
} from './request.js';
import { CommitLsnFinder } from './commit-lsn.js';
import { SqlRunner, type RunResult, type StatementResult } from './sql-runner.js';

/** The agent's current view of the topology; read on every request, so promotion can move it at run time. */
export interface TopologyView {
  region: string;
  role: 'primary' | 'secondary';
  epoch: number;
  primaryRegion: string;
  /** True while this agent takes part in a promotion (epoch moving): forwarded writes fail fast, retryable. */
  promoting?: boolean;
}

export interface DataApiSettings {
  token: string;
  databaseUrl: string;
  /** The agent's own (superuser) URL: exact commit positions with pg_walinspect in the `postgres` database. */
  agentDatabaseUrl?: string;
  poolSize: number;
  maxBodyBytes: number;
  timeoutMs: number;
  maxTimeoutMs: number;
  maxRows: number;
  maxStatements: number;
  unreachableHoldMs: number;
  peers: { region: string; http: string }[];
}

export interface DataApiDeps {
  view(): TopologyView;
  /** Secondaries: the newest applied (epoch, commit LSN) (borealis.apply_position), or null. */
  appliedPosition(): { epoch: number; commitLsn: string } | null;
  log: Logger;
  registry?: Registry;
}

/** Headers between agents on a forwarded write. */
export const FORWARDED_BY = 'borealis-forwarded-by';
export const FORWARDER_EPOCH = 'borealis-epoch';

const WAIT_POLL_MS = 2;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

interface Outcome {
  servedBy: string;
  forwarded: boolean;
  results: StatementResult[];
  position: CommitPosition | null;
}

/**
 * The Data API of a region agent (docs/data-api.md): POST /v1/execute, POST /v1/transaction, POST /v1/wait,
 * GET /v1/info. Reads run on this region's PostgreSQL; writes on a secondary are forwarded to the primary
 * region's agent; `session` and `global` consistency wait for the write's commit position.
 */
export class DataApi {
  private readonly runner: SqlRunner;
  private readonly commitLsn: CommitLsnFinder | null;
  private readonly peers: PeerClient;
  private readonly tokenDigest: Buffer;
  private readonly limits: RequestLimits;
  private primaryDownUntil = 0;
  /** role/epoch the pool's sessions were opened under: a change (promotion, demotion) renews them. */
  private poolTerm = '';
  private primaryDownReason = '';
  private readonly requests?: Counter<'route' | 'status' | 'forwarded'>;
  private readonly duration?: Histogram<'route' | 'forwarded'>;

  constructor(
    private readonly s: DataApiSettings,
    private readonly deps: DataApiDeps,
  ) {
    this.runner = new SqlRunner(s.databaseUrl, s.poolSize, s.timeoutMs);
    this.commitLsn = s.agentDatabaseUrl ? new CommitLsnFinder(s.agentDatabaseUrl, deps.log) : null;
    this.peers = new PeerClient(s.token);
    this.tokenDigest = digest(s.token);
    this.limits = { timeoutMs: s.timeoutMs, maxTimeoutMs: s.maxTimeoutMs, maxStatements: s.maxStatements };
    if (deps.registry) {
      const registers = [deps.registry];
      this.requests = new Counter({
        name: 'borealis_data_api_requests_total',
        help: 'Data API requests by route, HTTP status and whether the SQL was forwarded to the primary',
        labelNames: ['route', 'status', 'forwarded'],
        registers,
      });
      this.duration = new Histogram({
        name: 'borealis_data_api_request_duration_seconds',
        help: 'Data API request duration, including forwarding and consistency waits',
        labelNames: ['route', 'forwarded'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      });
    }
  }

  /** Handles a request whose path starts with /v1/. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const began = performance.now();
    let forwarded = false;
    let status = 500;
    try {
      if (!this.authorized(req)) {
        res.setHeader('www-authenticate', 'Bearer realm="borealis-data-api"');
        throw new DataApiError(401, {
          code: 'unauthorized',
          message: 'missing or wrong bearer token: send "Authorization: Bearer <dataApi.token>"',
          retryable: false,
        });
      }
      let body: Record<string, unknown>;
      switch (`${req.method} ${path}`) {
        case 'GET /v1/info':
          body = this.info();
          break;
        case 'POST /v1/execute':
        case 'POST /v1/transaction': {
          const raw = await this.readJson(req);
          const parse = path === '/v1/execute' ? parseExecuteRequest : parseTransactionRequest;
          const r = this.validated(() => parse(raw, this.limits));
          const out = await this.serve(r, req);
          forwarded = out.forwarded;
          body = this.responseBody(r, out, began);
          break;
        }
        case 'POST /v1/wait': {
          const raw = await this.readJson(req);
          const r = this.validated(() => parseWaitRequest(raw, this.limits));
          await this.waitLocal(r.position, Date.now() + r.timeoutMs, false);
          body = { region: this.deps.view().region, applied: this.progress(), position: r.position };
          break;
        }
        default:
          if (['/v1/info', '/v1/execute', '/v1/transaction', '/v1/wait'].includes(path)) {
            res.setHeader('allow', path === '/v1/info' ? 'GET' : 'POST');
            throw new DataApiError(405, { code: 'method_not_allowed', message: `${req.method} is not allowed on ${path}`, retryable: false });
          }
          throw new DataApiError(404, { code: 'not_found', message: `no such Data API endpoint: ${path}`, retryable: false });
      }
      status = 200;
      this.send(res, 200, body);
    } catch (err) {
      const e = err instanceof DataApiError ? err : new DataApiError(500, { code: 'internal', message: (err as Error).message, retryable: false }, { cause: err });
      if (e.status >= 500 && e.body.code === 'internal') this.deps.log.error({ err: e.message, path }, 'data api request failed');
      status = e.status;
      if (e.cause instanceof DataApiError && e.cause !== e) forwarded = true;
      this.send(res, e.status, { error: e.body, region: this.deps.view().region });
    } finally {
      const route = path.startsWith('/v1/') && path.length < 20 ? path : 'other';
      this.requests?.inc({ route, status: String(status), forwarded: String(forwarded) });
      this.duration?.observe({ route, forwarded: String(forwarded) }, (performance.now() - began) / 1000);
    }
  }

  private info(): Record<string, unknown> {
    const v = this.deps.view();
    const p = this.progress();
    return {
      region: v.region,
      role: v.role,
      epoch: v.epoch,
      primaryRegion: v.primaryRegion,
      promoting: v.promoting ?? false,
      applied: p,
      peers: this.s.peers.map((x) => x.region),
      limits: { ...this.limits, maxBodyBytes: this.s.maxBodyBytes, maxRows: this.s.maxRows },
    };
  }

  private validated<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof InvalidRequestError) throw invalidRequest(err.message, err.issues, err);
      throw err;
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return false;
    return timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }

  /** Reads a JSON body of at most maxBodyBytes (413 above, before reading it when Content-Length says so). */
  private async readJson(req: IncomingMessage): Promise<unknown> {
    const max = this.s.maxBodyBytes;
    const tooLarge = () =>
      new DataApiError(413, { code: 'body_too_large', message: `request body exceeds this agent's limit of ${max} bytes`, retryable: false });
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        req.resume();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new DataApiError(400, { code: 'invalid_json', message: `request body is not JSON: ${(err as Error).message}`, retryable: false }, { cause: err });
    }
  }

  // ------------------------------------------------------------------------------------------ serving

  private async serve(r: DataRequest, req: IncomingMessage): Promise<Outcome> {
    const deadline = Date.now() + r.timeoutMs;
    const view = this.deps.view();
    const term = `${view.role}/${view.epoch}`;
    if (term !== this.poolTerm) {
      if (this.poolTerm !== '') {
        this.deps.log.info({ from: this.poolTerm, to: term }, 'data api: role or epoch changed; renewing database sessions');
        this.runner.refresh();
        this.primaryDownUntil = 0;
      }
      this.poolTerm = term;
    }
    const forwardedBy = req.headers[FORWARDED_BY];
    if (typeof forwardedBy === 'string') return this.serveForwarded(r, req, view, deadline);

    if (view.role === 'primary') {
      if (r.session) await this.waitLocal(r.session, deadline, false);
      // A fenced primary (promotion under way) takes no write, whatever its database's defaults say.
      const readOnly = r.mode === 'read' || view.promoting === true;
      const run = await this.runner.run(r.statements, { readOnly, deadline, maxRows: this.s.maxRows, wantLsn: true, expectWritable: !readOnly });
      const position = await this.positionOf(run, view.epoch);
      if (position && !readOnly && r.consistency === 'global') await this.waitGlobal(position, deadline);
      return { servedBy: view.region, forwarded: false, results: run.results, position };
    }

    // A secondary: reads here, writes to the primary.
    if (r.mode !== 'write') {
      if (r.session) await this.waitLocal(r.session, deadline, false);
      try {
        const run = await this.runner.run(r.statements, { readOnly: true, deadline, maxRows: this.s.maxRows, wantLsn: false });
        return { servedBy: view.region, forwarded: false, results: run.results, position: this.appliedAsPosition() };
      } catch (err) {
        const readOnlyViolation = err instanceof DataApiError && err.body.sqlstate === '25006';
        if (!readOnlyViolation) throw err;
        if (r.mode === 'read') {
          throw new DataApiError(400, { ...err.body, code: 'write_in_read_mode', retryable: false, message: `${err.body.message} (mode "read" is never forwarded to the primary; use mode "auto" or "write")` }, { cause: err });
        }
      }
    }
    const fwd = await this.forward(r, view, deadline);
    if (fwd.position) {
      if (r.consistency === 'session') await this.waitLocal(fwd.position, deadline, true);
      else if (r.consistency === 'global') await this.waitGlobal(fwd.position, deadline);
    }
    return fwd;
  }

  /** On the primary: a write forwarded by a secondary's agent. The forwarder does the consistency waits. */
  private async serveForwarded(r: DataRequest, req: IncomingMessage, view: TopologyView, deadline: number): Promise<Outcome> {
    if (view.role !== 'primary' || view.promoting) {
      throw new PrimaryUnavailableError(
        view.promoting
          ? `region ${view.region} is being promoted or demoted (epoch ${view.epoch} moving): retry`
          : `region ${view.region} is not the primary (it sees ${view.primaryRegion} as primary in epoch ${view.epoch}): retry`,
        { primaryRegion: view.primaryRegion, retryAfterMs: this.s.unreachableHoldMs },
      );
    }
    const theirEpoch = Number(req.headers[FORWARDER_EPOCH] ?? 0);
    if (theirEpoch > view.epoch) {
      throw new PrimaryUnavailableError(`region ${view.region} is primary of epoch ${view.epoch} but the forwarding region is in epoch ${theirEpoch}: this primary is stale (fenced); retry`, {
        retryAfterMs: this.s.unreachableHoldMs,
      });
    }
    const run = await this.runner.run(r.statements, { readOnly: false, deadline, maxRows: this.s.maxRows, wantLsn: true, expectWritable: true });
    return { servedBy: view.region, forwarded: false, results: run.results, position: await this.positionOf(run, view.epoch) };
  }

  /** The commit position of a transaction run on the primary: its commit record's LSN when it can be found. */
  private async positionOf(run: RunResult, epoch: number): Promise<CommitPosition | null> {
    if (!run.lsn) return null;
    if (run.commit && this.commitLsn) {
      const exact = await this.commitLsn.find(run.commit.xid, run.commit.before, run.commit.after);
      if (exact) return { epoch, lsn: exact };
    }
    return { epoch, lsn: run.lsn };
  }

  /** Sends the request's statements to the primary region's agent; fails fast (503, retryable) when that cannot work. */
  private async forward(r: DataRequest, view: TopologyView, deadline: number): Promise<Outcome> {
    if (view.promoting) {
      throw new PrimaryUnavailableError(`region ${view.region} is taking part in a promotion (epoch ${view.epoch} moving): writes are refused until it ends; retry`, {
        retryAfterMs: this.s.unreachableHoldMs,
      });
    }
    const now = Date.now();
    if (now < this.primaryDownUntil) {
      throw new PrimaryUnavailableError(`the primary region ${view.primaryRegion} was unreachable ${this.primaryDownReason}; retry`, {
        primaryRegion: view.primaryRegion,
        retryAfterMs: this.primaryDownUntil - now,
      });
    }
    const peer = this.s.peers.find((p) => p.region === view.primaryRegion);
    if (!peer) {
      throw new PrimaryUnavailableError(`this agent has no address for the primary region ${view.primaryRegion} (dataApi peers: ${this.s.peers.map((p) => p.region).join(', ') || 'none'})`, {
        primaryRegion: view.primaryRegion,
      });
    }
    const body = { statements: r.statements, mode: 'write', consistency: 'eventual', timeoutMs: Math.max(1, deadline - now) };
    let resp;
    try {
      resp = await this.peers.post(peer.http, '/v1/transaction', body, deadline - now, {
        [FORWARDED_BY]: view.region,
        [FORWARDER_EPOCH]: String(view.epoch),
      });
    } catch (err) {
      if (!(err instanceof PeerUnreachableError)) throw err;
      this.primaryDownUntil = Date.now() + this.s.unreachableHoldMs;
      this.primaryDownReason = `(${err.message})`;
      throw new PrimaryUnavailableError(`forwarding to the primary region ${view.primaryRegion} failed: ${err.message}; retry`, {
        primaryRegion: view.primaryRegion,
        retryAfterMs: this.s.unreachableHoldMs,
      }, { cause: err });
    }
    const b = resp.body as { error?: ErrorBody; results?: StatementResult[]; position?: CommitPosition | null; servedBy?: string };
    if (resp.status !== 200 || !b.results) {
      const inner = new DataApiError(resp.status, b.error ?? { code: 'bad_gateway', message: `the primary answered ${resp.status}`, retryable: resp.status >= 500 });
      if (resp.status === 401) {
        throw new DataApiError(502, { code: 'bad_gateway', message: 'the primary refused this agent\'s token: the regions\' dataApi.token differ', retryable: false }, { cause: inner });
      }
      throw new DataApiError(resp.status, { ...inner.body, primaryRegion: view.primaryRegion }, { cause: inner });
    }
    return { servedBy: b.servedBy ?? view.primaryRegion, forwarded: true, results: b.results, position: b.position ?? null };
  }

  // ------------------------------------------------------------------------------------------ waiting

  private progress(): RegionProgress {
    const v = this.deps.view();
    if (v.role === 'primary' && !v.promoting) return { kind: 'primary', epoch: v.epoch };
    const a = this.deps.appliedPosition();
    return a ? { kind: 'applied', epoch: a.epoch, lsn: a.commitLsn } : { kind: 'none' };
  }

  private appliedAsPosition(): CommitPosition | null {
    const a = this.deps.appliedPosition();
    return a ? { epoch: a.epoch, lsn: a.commitLsn } : null;
  }

  /** Waits until this region applied `p`: 504 at the deadline, 503 when this region can never get it. */
  private async waitLocal(p: CommitPosition, deadline: number, committed: boolean): Promise<void> {
    for (;;) {
      const s = satisfies(this.progress(), p);
      if (s.ok) return;
      const extra: Partial<ErrorBody> = committed ? { committed: true, session: encodeSessionToken(p) } : {};
      if (s.stale) {
        throw new DataApiError(503, { code: 'stale_region', message: `region ${this.deps.view().region} is in an older epoch than position ${encodeSessionToken(p)}: retry`, retryable: true, ...extra });
      }
      if (Date.now() >= deadline) {
        throw new DataApiError(504, {
          code: 'consistency_timeout',
          message: `region ${this.deps.view().region} had not applied ${encodeSessionToken(p)} within the request's time limit`,
          retryable: !committed,
          ...extra,
        });
      }
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  }

  /** Waits until every region (this one and each peer) applied `p`. The write is committed whatever happens here. */
  private async waitGlobal(p: CommitPosition, deadline: number): Promise<void> {
    const self = this.deps.view().region;
    const waits: Promise<string | null>[] = [
      this.waitLocal(p, deadline, true).then(
        () => null,
        () => self,
      ),
      ...this.s.peers.map(async (peer) => {
        try {
          const r = await this.peers.post(peer.http, '/v1/wait', { position: encodeSessionToken(p), timeoutMs: Math.max(1, deadline - Date.now()) }, Math.max(1, deadline - Date.now()) + 250);
          if (r.status === 200) return null;
          this.deps.log.warn({ peer: peer.region, status: r.status, body: r.body }, 'global wait: region did not confirm');
          return peer.region;
        } catch (err) {
          this.deps.log.warn({ peer: peer.region, err: (err as Error).message }, 'global wait: region unreachable');
          return peer.region;
        }
      }),
    ];
    const pending = (await Promise.all(waits)).filter((x): x is string => x !== null);
    if (pending.length > 0) {
      throw new DataApiError(504, {
        code: 'consistency_timeout',
        message: `committed, but region(s) ${pending.join(', ')} did not confirm applying ${encodeSessionToken(p)} within the request's time limit`,
        retryable: false,
        committed: true,
        session: encodeSessionToken(p),
        pendingRegions: pending,
      });
    }
  }

  // ------------------------------------------------------------------------------------------ output

  private responseBody(r: DataRequest, o: Outcome, began: number): Record<string, unknown> {
    const head = {
      region: this.deps.view().region,
      servedBy: o.servedBy,
      forwarded: o.forwarded,
      consistency: r.consistency,
      position: o.position,
      session: o.position ? encodeSessionToken(o.position) : null,
      durationMs: Math.round((performance.now() - began) * 1000) / 1000,
    };
    if (r.single) {
      const x = o.results[0]!;
      return { ...head, command: x.command, rowCount: x.rowCount, rows: x.rows, fields: x.fields };
    }
    return { ...head, results: o.results };
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async close(): Promise<void> {
    this.peers.close();
    await this.commitLsn?.close().catch(() => undefined);
    await this.runner.close();
  }
}
