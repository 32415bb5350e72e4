import { describe, expect, it } from 'vitest';
import { InvalidRequestError, parseExecuteRequest, parseTransactionRequest, parseWaitRequest } from './request.js';
import { isTransactionControl } from './sql-runner.js';

const limits = { timeoutMs: 5000, maxTimeoutMs: 10_000, maxStatements: 3 };

function issues(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return (err as InvalidRequestError).issues;
  }
  throw new Error('expected InvalidRequestError');
}

describe('parseExecuteRequest', () => {
  it('fills defaults and keeps params apart from the SQL', () => {
    const r = parseExecuteRequest({ sql: 'SELECT $1::int + $2::int', params: [1, 2] }, limits);
    expect(r).toEqual({
      statements: [{ sql: 'SELECT $1::int + $2::int', params: [1, 2] }],
      single: true,
      consistency: 'eventual',
      session: null,
      mode: 'auto',
      timeoutMs: 5000,
    });
  });
  it('decodes the session token and accepts JSON params of every kind', () => {
    const r = parseExecuteRequest(
      { sql: 'SELECT 1', params: [null, true, 'x', 1.5, [1, 2], { a: { b: [null] } }], consistency: 'session', session: '2:0/ABC', mode: 'read', timeoutMs: 9000 },
      limits,
    );
    expect(r.session).toEqual({ epoch: 2, lsn: '0/ABC' });
    expect(r.timeoutMs).toBe(9000);
    expect(r.statements[0]!.params).toHaveLength(6);
  });
  it('names every bad field', () => {
    const got = issues(() => parseExecuteRequest({ sql: '  ', consistency: 'strong', extra: 1, session: 'nope' }, limits));
    expect(got.some((i) => i.startsWith('sql:'))).toBe(true);
    expect(got.some((i) => i.startsWith('consistency:'))).toBe(true);
    expect(got.some((i) => i.startsWith('session:'))).toBe(true);
    expect(got.some((i) => i.includes('extra'))).toBe(true);
  });
  it('refuses a time limit above the agent maximum and bodies that are not objects', () => {
    expect(issues(() => parseExecuteRequest({ sql: 'SELECT 1', timeoutMs: 10_001 }, limits))[0]).toMatch(/timeoutMs: 10001 exceeds/);
    issues(() => parseExecuteRequest([], limits));
    issues(() => parseExecuteRequest(null, limits));
  });
});

describe('parseTransactionRequest', () => {
  it('accepts up to maxStatements statements', () => {
    const r = parseTransactionRequest({ statements: [{ sql: 'SELECT 1' }, { sql: 'SELECT $1', params: ['a'] }] }, limits);
    expect(r.single).toBe(false);
    expect(r.statements).toEqual([
      { sql: 'SELECT 1', params: [] },
      { sql: 'SELECT $1', params: ['a'] },
    ]);
  });
  it('refuses more than maxStatements and an empty list', () => {
    expect(issues(() => parseTransactionRequest({ statements: Array(4).fill({ sql: 'SELECT 1' }) }, limits))[0]).toMatch(/4 statements exceed .* limit of 3/);
    issues(() => parseTransactionRequest({ statements: [] }, limits));
  });
});

describe('parseWaitRequest', () => {
  it('needs a position token', () => {
    expect(parseWaitRequest({ position: '1:0/10' }, limits)).toEqual({ position: { epoch: 1, lsn: '0/10' }, timeoutMs: 5000 });
    issues(() => parseWaitRequest({}, limits));
  });
});

describe('isTransactionControl', () => {
  it.each(['BEGIN', ' commit', 'COMMIT AND CHAIN', 'end', 'abort', 'rollback', 'START TRANSACTION READ WRITE', 'prepare transaction \'x\''])('refuses %j', (s) => {
    expect(isTransactionControl(s)).toBe(true);
  });
  it.each(['SELECT 1', 'ROLLBACK TO SAVEPOINT a', 'SAVEPOINT a', 'INSERT INTO begin_log VALUES (1)', 'ending'])('lets %j through', (s) => {
    expect(isTransactionControl(s)).toBe(false);
  });
});
