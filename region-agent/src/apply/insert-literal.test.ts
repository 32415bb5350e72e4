import { describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Change, Transaction } from '../wire/index.js';
import { buildStatements, isInsertOnlyTransaction } from './sql.js';

const quote = (v: string) => pg.Client.prototype.escapeLiteral.call(null, v);
const ins = (table: string, row: Record<string, string | null>): Change => ({ schema: 'public', table, op: 'I', new: row });

describe('buildStatements with literal values (apply fast path)', () => {
  it('writes quoted literals and NULL, binds nothing, still merges rows', () => {
    const s = buildStatements([ins('t', { a: "it's", b: null }), ins('t', { a: 'back\\slash', b: '2' })], () => false, quote);
    expect(s).toHaveLength(1);
    expect(s[0]!.values).toEqual([]);
    expect(s[0]!.text).toBe(`INSERT INTO "public"."t" ("a", "b") VALUES ('it''s', NULL), ( E'back\\\\slash', '2')`);
  });
  it('keeps parameters without a quoting function', () => {
    const s = buildStatements([ins('t', { a: 'x' })], () => false);
    expect(s[0]).toEqual({ text: 'INSERT INTO "public"."t" ("a") VALUES ($1)', values: ['x'] });
  });
  it('takes only insert-only transactions outside the borealis schema', () => {
    const tx = (changes: Change[]): Transaction => ({ xid: 1, commitLsn: '0/1', commitTs: 1, changes });
    expect(isInsertOnlyTransaction(tx([ins('t', { a: '1' })]))).toBe(true);
    expect(isInsertOnlyTransaction(tx([{ schema: 'borealis', table: 'heartbeat', op: 'I', new: {} }]))).toBe(false);
    expect(isInsertOnlyTransaction(tx([{ schema: 'public', table: 't', op: 'D', key: { a: '1' } }]))).toBe(false);
  });
});
