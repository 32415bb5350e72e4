import { describe, expect, it } from 'vitest';
import type { Change } from '../wire/index.js';
import { buildStatements, qualified } from './sql.js';

const keyed = () => false;

describe('buildStatements', () => {
  it('packs consecutive inserts with the same columns into one multi-row INSERT', () => {
    const changes: Change[] = [
      { schema: 'public', table: 't', op: 'I', new: { id: '1', v: 'a' } },
      { schema: 'public', table: 't', op: 'I', new: { id: '2', v: null } },
      { schema: 'public', table: 't', op: 'I', new: { id: '3' } },
    ];
    expect(buildStatements(changes, keyed)).toEqual([
      { text: 'INSERT INTO "public"."t" ("id", "v") VALUES ($1, $2), ($3, $4)', values: ['1', 'a', '2', null] },
      { text: 'INSERT INTO "public"."t" ("id") VALUES ($1)', values: ['3'] },
    ]);
  });

  it('updates by the old key and leaves unchanged TOAST columns alone', () => {
    const [s] = buildStatements(
      [{ schema: 's', table: 'T"q', op: 'U', key: { id: '7' }, new: { id: '8', note: 'x' }, unchanged: ['big'] }],
      keyed,
    );
    expect(s).toEqual({ text: 'UPDATE "s"."T""q" SET "id" = $1, "note" = $2 WHERE "id" = $3', values: ['8', 'x', '7'], expectRows: 1 });
  });

  it('matches rows of tables without a key by every column, one row via ctid', () => {
    const [d] = buildStatements([{ schema: 'public', table: 'n', op: 'D', key: { a: '1', j: '{"x": 1}', b: null } }], () => true);
    expect(d!.text).toBe(
      'DELETE FROM "public"."n" WHERE ctid = (SELECT ctid FROM "public"."n" WHERE "a"::text = $1::text AND "j"::text = $2::text AND "b" IS NULL LIMIT 1)',
    );
    expect(d!.values).toEqual(['1', '{"x": 1}']);
    expect(d!.expectRows).toBe(1);
  });

  it('truncates every relation with its options', () => {
    const [t] = buildStatements(
      [{ schema: 'public', table: 'a', op: 'T', truncate: { relations: [['public', 'a'], ['x', 'b']], cascade: true, restartIdentity: true } }],
      keyed,
    );
    expect(t!.text).toBe('TRUNCATE "public"."a", "x"."b" RESTART IDENTITY CASCADE');
  });

  it('refuses a row change without replica identity', () => {
    expect(() => buildStatements([{ schema: 'p', table: 't', op: 'D' }], keyed)).toThrow(/replica identity/);
    expect(qualified('a', 'b')).toBe('"a"."b"');
  });
});
