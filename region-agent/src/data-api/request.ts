import { z } from 'zod';
import { decodeSessionToken, type CommitPosition } from './position.js';

/**
 * Pure validation of Data API request bodies (docs/data-api.md). SQL is never assembled here or anywhere
 * in the Data API: the client's text goes to PostgreSQL as one statement with its parameters bound
 * separately (extended query protocol: $1, $2, …).
 */

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const statement = z
  .object({
    sql: z.string().trim().min(1, 'must not be empty'),
    params: z.array(jsonValue).max(65_535).default([]),
  })
  .strict();

const sessionToken = z.string().transform((s, ctx): CommitPosition => {
  try {
    return decodeSessionToken(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const common = {
  /**
   * eventual: answer as soon as the primary committed (writes) or at once (reads);
   * session: a write waits until the region that took the request applied it, a read waits for `session`;
   * global: a write waits until every region applied it.
   */
  consistency: z.enum(['eventual', 'session', 'global']).default('eventual'),
  /** A session token from an earlier response: the request is served only after this region applied it. */
  session: sessionToken.optional(),
  /** auto: run locally read-only, forward to the primary if PostgreSQL says it writes; read: never forward; write: forward at once. */
  mode: z.enum(['auto', 'read', 'write']).default('auto'),
  /** Time limit of the whole request, ms (capped by the agent's dataApi.maxTimeoutMs). */
  timeoutMs: z.number().int().positive().optional(),
};

export const executeRequestSchema = z.object({ ...statement.shape, ...common }).strict();
export const transactionRequestSchema = z
  .object({ statements: z.array(statement).min(1, 'needs at least one statement'), ...common })
  .strict();
export const waitRequestSchema = z
  .object({ position: sessionToken, timeoutMs: z.number().int().positive().optional() })
  .strict();

export type Statement = z.infer<typeof statement>;
export type Consistency = z.infer<typeof common.consistency>;
export type Mode = z.infer<typeof common.mode>;

/** Both request kinds normalised to a list of statements run in one transaction. */
export interface DataRequest {
  statements: Statement[];
  /** true for POST /v1/execute: the response carries one result at the top level. */
  single: boolean;
  consistency: Consistency;
  session: CommitPosition | null;
  mode: Mode;
  timeoutMs: number;
}

export interface RequestLimits {
  timeoutMs: number;
  maxTimeoutMs: number;
  maxStatements: number;
}

/** Thrown for a body that is not a valid request: becomes 400 with every issue listed. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issues = issuesOf(r.error);
    throw new InvalidRequestError(`invalid ${what} request: ${issues.join('; ')}`, issues, { cause: r.error });
  }
  return r.data;
}

function timeLimit(asked: number | undefined, limits: RequestLimits): number {
  if (asked === undefined) return Math.min(limits.timeoutMs, limits.maxTimeoutMs);
  if (asked > limits.maxTimeoutMs) {
    const issue = `timeoutMs: ${asked} exceeds this agent's limit of ${limits.maxTimeoutMs} ms`;
    throw new InvalidRequestError(`invalid request: ${issue}`, [issue]);
  }
  return asked;
}

export function parseExecuteRequest(body: unknown, limits: RequestLimits): DataRequest {
  const r = parseWith(executeRequestSchema, body, 'execute');
  return {
    statements: [{ sql: r.sql, params: r.params }],
    single: true,
    consistency: r.consistency,
    session: r.session ?? null,
    mode: r.mode,
    timeoutMs: timeLimit(r.timeoutMs, limits),
  };
}

export function parseTransactionRequest(body: unknown, limits: RequestLimits): DataRequest {
  const r = parseWith(transactionRequestSchema, body, 'transaction');
  if (r.statements.length > limits.maxStatements) {
    const issue = `statements: ${r.statements.length} statements exceed this agent's limit of ${limits.maxStatements}`;
    throw new InvalidRequestError(`invalid transaction request: ${issue}`, [issue]);
  }
  return {
    statements: r.statements,
    single: false,
    consistency: r.consistency,
    session: r.session ?? null,
    mode: r.mode,
    timeoutMs: timeLimit(r.timeoutMs, limits),
  };
}

export function parseWaitRequest(body: unknown, limits: RequestLimits): { position: CommitPosition; timeoutMs: number } {
  const r = parseWith(waitRequestSchema, body, 'wait');
  return { position: r.position, timeoutMs: timeLimit(r.timeoutMs, limits) };
}
