import { describe, expect, it } from 'vitest';
import { PgoutputDecodeError, PgoutputDecoder, TransactionAssembler } from './pgoutput-decoder.js';

/** Builders of pgoutput v1 messages, as PostgreSQL sends them. */
const u8 = (n: number) => Buffer.from([n]);
const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };
const str = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), u8(0)]);
const ch = (c: string) => Buffer.from(c, 'ascii');
const text = (s: string) => Buffer.concat([ch('t'), i32(Buffer.byteLength(s)), Buffer.from(s)]);

const relation = Buffer.concat([
  ch('R'), i32(16400), str('public'), str('t'), ch('d'), i16(3),
  u8(1), str('id'), i32(20), i32(-1),
  u8(0), str('note'), i32(25), i32(-1),
  u8(0), str('big'), i32(25), i32(-1),
]);
// 2025-12-31 00:00:00.123456 UTC in µs since 2000-01-01
const pgTs = 820_454_400_123_456n;

describe('PgoutputDecoder', () => {
  it('decodes a transaction with exact text values and µs commit time', () => {
    const d = new PgoutputDecoder();
    const a = new TransactionAssembler();
    expect(a.push(d.decode(Buffer.concat([ch('B'), u64(0x16b3748n), u64(pgTs), i32(731)])))).toBeNull();
    expect(a.open).toBe(true);
    a.push(d.decode(relation));
    a.push(d.decode(Buffer.concat([ch('I'), i32(16400), ch('N'), i16(3), text('1'), text('héllo'), ch('n')])));
    // UPDATE without old tuple (key unchanged) and an unchanged TOASTed column.
    a.push(d.decode(Buffer.concat([ch('U'), i32(16400), ch('N'), i16(3), text('1'), text('x'), ch('u')])));
    // UPDATE of the key: the old key tuple travels ('K').
    a.push(d.decode(Buffer.concat([ch('U'), i32(16400), ch('K'), i16(3), text('1'), ch('n'), ch('n'), ch('N'), i16(3), text('2'), text('x'), ch('u')])));
    a.push(d.decode(Buffer.concat([ch('D'), i32(16400), ch('K'), i16(3), text('2'), ch('n'), ch('n')])));
    const tx = a.push(d.decode(Buffer.concat([ch('C'), u8(0), u64(0x16b3748n), u64(0x16b3778n), u64(pgTs)])));
    expect(a.open).toBe(false);
    expect(tx).toEqual({
      xid: 731,
      commitLsn: '0/16B3748',
      commitTs: 1_767_139_200_123_456, // = Date.UTC(2025, 11, 31) * 1000 + 123_456
      changes: [
        { schema: 'public', table: 't', op: 'I', new: { id: '1', note: 'héllo', big: null } },
        { schema: 'public', table: 't', op: 'U', key: { id: '1' }, new: { id: '1', note: 'x' }, unchanged: ['big'] },
        { schema: 'public', table: 't', op: 'U', key: { id: '1' }, new: { id: '2', note: 'x' }, unchanged: ['big'] },
        { schema: 'public', table: 't', op: 'D', key: { id: '2' } },
      ],
    });
  });

  it('decodes TRUNCATE with its options', () => {
    const d = new PgoutputDecoder();
    d.decode(relation);
    const ev = d.decode(Buffer.concat([ch('T'), i32(1), u8(3), i32(16400)]));
    expect(ev).toMatchObject({ kind: 'change', change: { op: 'T', truncate: { relations: [['public', 't']], cascade: true, restartIdentity: true } } });
  });

  it('refuses what it cannot decode instead of skipping it', () => {
    const d = new PgoutputDecoder();
    expect(() => d.decode(Buffer.concat([ch('I'), i32(999), ch('N'), i16(0)]))).toThrow(PgoutputDecodeError);
    expect(() => d.decode(ch('Z'))).toThrow(/unknown pgoutput message/);
    d.decode(relation);
    expect(() => d.decode(Buffer.concat([ch('I'), i32(16400), ch('N'), i16(2), text('1'), text('2')]))).toThrow(/has 2 columns/);
  });
});
