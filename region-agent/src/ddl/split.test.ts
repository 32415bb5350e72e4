import { describe, expect, it } from 'vitest';
import { findDdlStatement, splitStatements, statementMatchesTag } from './split.js';

describe('splitStatements', () => {
  it('splits on top-level semicolons only', () => {
    const sql = `CREATE TABLE a (x text DEFAULT ';'); INSERT INTO a VALUES ('it''s; fine'); -- c;
      CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; /* x; /* nested; */ */ SELECT "a;b" FROM t`;
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (x text DEFAULT ';')",
      "INSERT INTO a VALUES ('it''s; fine')",
      '-- c;\n      CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql',
      '/* x; /* nested; */ */ SELECT "a;b" FROM t',
    ]);
  });

  it('drops empty statements and comments-only tails', () => {
    expect(splitStatements(' ; ;CREATE TABLE t(); -- end')).toEqual(['CREATE TABLE t()']);
  });
});

describe('statementMatchesTag / findDdlStatement', () => {
  it('matches command tags through noise words', () => {
    expect(statementMatchesTag('create or replace function f() returns int', 'CREATE FUNCTION')).toBe(true);
    expect(statementMatchesTag('CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX')).toBe(true);
    expect(statementMatchesTag('CREATE TABLE x AS SELECT 1', 'CREATE TABLE AS')).toBe(true);
    expect(statementMatchesTag('CREATE ROLE r', 'CREATE TABLE')).toBe(false);
    expect(statementMatchesTag('INSERT INTO t VALUES (1)', 'CREATE TABLE')).toBe(false);
  });

  it('finds the n-th statement of a tag and strips CONCURRENTLY from index commands', () => {
    const stmts = splitStatements(
      'CREATE TABLE n (id int); INSERT INTO n VALUES (1); ALTER TABLE n RENAME TO m; CREATE INDEX CONCURRENTLY i ON m (id)',
    );
    const first = findDdlStatement(stmts, 'CREATE TABLE', 0)!;
    expect(first).toEqual({ index: 0, sql: 'CREATE TABLE n (id int)' });
    expect(findDdlStatement(stmts, 'ALTER TABLE', first.index + 1)).toEqual({ index: 2, sql: 'ALTER TABLE n RENAME TO m' });
    expect(findDdlStatement(stmts, 'CREATE INDEX', 3)?.sql).toBe('CREATE INDEX  i ON m (id)');
    expect(findDdlStatement(stmts, 'DROP TABLE', 0)).toBeNull();
  });
});
