import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, WireFormatError } from './codec.js';
import { messageId, mirrorStreamName, sourceStreamName } from './names.js';

describe('wire codec', () => {
  it('round-trips a body', () => {
    const body = {
      v: 1 as const,
      epoch: 2,
      txs: [{ xid: 5, commitLsn: '0/16B3748', commitTs: 1_700_000_000_123_456, changes: [{ schema: 's', table: 't', op: 'I' as const, new: { a: '😀', b: null } }] }],
    };
    expect(decodeBody(encodeBody(body))).toEqual(body);
  });

  it('rejects other versions and garbage with WireFormatError', () => {
    expect(() => decodeBody(new TextEncoder().encode('{"v":2,"epoch":1,"txs":[]}'))).toThrow(/unsupported wire version 2/);
    expect(() => decodeBody(new Uint8Array([0xff, 0xfe]))).toThrow(WireFormatError);
  });

  it('names streams and message ids', () => {
    expect(sourceStreamName('app')).toBe('BOREALIS_APP');
    expect(mirrorStreamName('app', 'eu-west')).toBe('BOREALIS_APP_EU_WEST');
    expect(messageId(3, '0/1A')).toBe('3-0/1A');
    expect(messageId(3, '0/1A', 2)).toBe('3-0/1A-2');
  });
});
