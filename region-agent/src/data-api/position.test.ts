import { describe, expect, it } from 'vitest';
import { decodeSessionToken, encodeSessionToken, laterPosition, satisfies, SessionTokenError } from './position.js';

describe('session tokens', () => {
  it('round-trip "<epoch>:<lsn>" with the LSN upper-cased', () => {
    expect(decodeSessionToken('3:0/16b3748')).toEqual({ epoch: 3, lsn: '0/16B3748' });
    expect(encodeSessionToken({ epoch: 3, lsn: '0/16B3748' })).toBe('3:0/16B3748');
  });

  it.each(['', '0:0/1', '1:0', '1/0/1', 'x:0/1', '1:0/1 ', '1:123456789/0'])('rejects %j', (t) => {
    expect(() => decodeSessionToken(t)).toThrow(SessionTokenError);
  });
});

describe('satisfies', () => {
  const p = { epoch: 2, lsn: '0/3000' };
  it('compares LSNs only within one epoch', () => {
    expect(satisfies({ kind: 'applied', epoch: 2, lsn: '0/2FFF' }, p)).toEqual({ ok: false, stale: false });
    expect(satisfies({ kind: 'applied', epoch: 2, lsn: '0/3000' }, p)).toEqual({ ok: true, laterEpoch: false });
    // 0/10000 > 0/3000 numerically, though not as text
    expect(satisfies({ kind: 'applied', epoch: 2, lsn: '0/10000' }, p)).toEqual({ ok: true, laterEpoch: false });
    expect(satisfies({ kind: 'applied', epoch: 2, lsn: '1/0' }, p)).toEqual({ ok: true, laterEpoch: false });
  });
  it('a later epoch has everything it will ever get; an earlier one must wait', () => {
    expect(satisfies({ kind: 'applied', epoch: 3, lsn: '0/1' }, p)).toEqual({ ok: true, laterEpoch: true });
    expect(satisfies({ kind: 'applied', epoch: 1, lsn: 'F/0' }, p)).toEqual({ ok: false, stale: false });
  });
  it('the primary of the same or a later epoch has it; a primary of an older epoch is stale', () => {
    expect(satisfies({ kind: 'primary', epoch: 2 }, p)).toEqual({ ok: true, laterEpoch: false });
    expect(satisfies({ kind: 'primary', epoch: 3 }, p)).toEqual({ ok: true, laterEpoch: true });
    expect(satisfies({ kind: 'primary', epoch: 1 }, p)).toEqual({ ok: false, stale: true });
  });
  it('a region that applied nothing yet waits', () => {
    expect(satisfies({ kind: 'none' }, p)).toEqual({ ok: false, stale: false });
  });
  it('laterPosition orders by epoch then LSN', () => {
    expect(laterPosition({ epoch: 1, lsn: 'F/0' }, { epoch: 2, lsn: '0/1' })).toEqual({ epoch: 2, lsn: '0/1' });
    expect(laterPosition({ epoch: 2, lsn: '0/A' }, { epoch: 2, lsn: '0/9' })).toEqual({ epoch: 2, lsn: '0/A' });
    expect(laterPosition(null, p)).toBe(p);
  });
});
