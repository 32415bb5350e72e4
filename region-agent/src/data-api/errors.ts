/**
 * Data API errors: every failure becomes one JSON body `{ error: { code, message, retryable, sqlstate?, … } }`
 * with an HTTP status that tells a load tool whether the request was wrong (4xx), or the system is busy or
 * moving (503, retryable). Pure: no I/O.
 */

export interface ErrorBody {
  code: string;
  message: string;
  retryable: boolean;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement (PostgreSQL's). */
  position?: number;
  /** Index of the failing statement of a transaction. */
  statement?: number;
  issues?: readonly string[];
  /** Set on a write whose commit happened but whose consistency wait failed: never retry such a write blindly. */
  committed?: boolean;
  session?: string;
  pendingRegions?: string[];
  primaryRegion?: string;
  retryAfterMs?: number;
}

/** A failure with an HTTP status and a JSON body. */
export class DataApiError extends Error {
  override name = 'DataApiError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    options?: { cause?: unknown },
  ) {
    super(body.message, options);
  }
}

/** The primary cannot take a forwarded write right now (unreachable, not primary, epoch moving): retry. */
export class PrimaryUnavailableError extends DataApiError {
  override name = 'PrimaryUnavailableError';
  constructor(message: string, extra: Partial<ErrorBody> = {}, options?: { cause?: unknown }) {
    super(503, { code: 'primary_unavailable', message, retryable: true, ...extra }, options);
  }
}

/** A PostgreSQL error as node-postgres reports it. */
export interface PgErrorLike {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
}

export function isPgError(err: unknown): err is PgErrorLike & Error {
  return err instanceof Error && typeof (err as PgErrorLike).code === 'string' && /^[0-9A-Z]{5}$/.test((err as PgErrorLike).code!);
}

/**
 * HTTP status and retryability of a SQLSTATE. Errors caused by the request (syntax, types, constraints,
 * permissions) are 4xx; conditions of the server (shutting down, read-only while fenced, out of resources)
 * are 503 and retryable; a statement that ran past the time limit is 504.
 */
export function classifySqlState(sqlstate: string): { status: number; code: string; retryable: boolean } {
  const cls = sqlstate.slice(0, 2);
  if (sqlstate === '57014') return { status: 504, code: 'timeout', retryable: true };
  if (sqlstate === '40001' || sqlstate === '40P01') return { status: 409, code: 'conflict', retryable: true };
  if (sqlstate === '25006') return { status: 503, code: 'read_only', retryable: true };
  if (sqlstate === '55P03') return { status: 409, code: 'lock_not_available', retryable: true };
  if (cls === '23') return { status: 409, code: 'constraint_violation', retryable: false };
  if (cls === '42' && sqlstate === '42501') return { status: 403, code: 'insufficient_privilege', retryable: false };
  if (cls === '08' || cls === '53' || cls === '57' || cls === '58') return { status: 503, code: 'unavailable', retryable: true };
  if (cls === 'XX') return { status: 500, code: 'internal', retryable: false };
  return { status: 400, code: 'sql_error', retryable: false };
}

export function fromPgError(err: PgErrorLike & Error, statement?: number): DataApiError {
  const c = classifySqlState(err.code!);
  const body: ErrorBody = { code: c.code, message: err.message, retryable: c.retryable, sqlstate: err.code! };
  if (err.detail) body.detail = err.detail;
  if (err.hint) body.hint = err.hint;
  if (err.position && /^\d+$/.test(err.position)) body.position = Number(err.position);
  if (statement !== undefined) body.statement = statement;
  return new DataApiError(c.status, body, { cause: err });
}

export function invalidRequest(message: string, issues: readonly string[], cause?: unknown): DataApiError {
  return new DataApiError(400, { code: 'invalid_request', message, retryable: false, issues }, { cause });
}
