import { describe, expect, it } from 'vitest';
import { bigIntToLsn, compareLsn, lsnToBigInt } from './index.js';

describe('lsn', () => {
  it('converts and compares', () => {
    expect(lsnToBigInt('1/0')).toBe(1n << 32n);
    expect(bigIntToLsn(lsnToBigInt('AB/CDEF0123'))).toBe('AB/CDEF0123');
    expect(compareLsn('0/FF', '1/0')).toBe(-1);
    expect(compareLsn('2/10', '2/10')).toBe(0);
    expect(() => lsnToBigInt('nope')).toThrow(/not a PostgreSQL LSN/);
  });
});
