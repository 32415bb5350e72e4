import { describe, expect, it } from 'vitest';
import { classifySqlState, fromPgError } from './errors.js';

describe('classifySqlState', () => {
  it.each([
    ['42601', 400, false], // syntax error
    ['42P01', 400, false], // undefined table
    ['22P02', 400, false], // invalid text representation
    ['23505', 409, false], // unique violation
    ['40001', 409, true], // serialization failure
    ['40P01', 409, true], // deadlock
    ['42501', 403, false], // insufficient privilege
    ['57014', 504, true], // statement timeout
    ['25006', 503, true], // read-only transaction (a fenced primary)
    ['57P01', 503, true], // admin shutdown
    ['08006', 503, true], // connection failure
    ['53300', 503, true], // too many connections
    ['XX000', 500, false],
  ])('%s → %i (retryable %s)', (state, status, retryable) => {
    const c = classifySqlState(state);
    expect(c.status).toBe(status);
    expect(c.retryable).toBe(retryable);
  });
});

describe('fromPgError', () => {
  it('carries SQLSTATE, message, detail, hint, position and statement index', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "t_pkey"'), {
      code: '23505',
      detail: 'Key (id)=(1) already exists.',
      position: '15',
    });
    const e = fromPgError(err, 2);
    expect(e.status).toBe(409);
    expect(e.body).toEqual({
      code: 'constraint_violation',
      message: 'duplicate key value violates unique constraint "t_pkey"',
      retryable: false,
      sqlstate: '23505',
      detail: 'Key (id)=(1) already exists.',
      position: 15,
      statement: 2,
    });
    expect(e.cause).toBe(err);
  });
});
