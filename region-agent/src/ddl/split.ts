/**
 * Pure: splits a SQL string into statements, honouring quotes, quoted identifiers, dollar
 * quotes and comments. Used to replay only the DDL of a logged query string: a client may send
 * "CREATE TABLE t(...); INSERT INTO t ..." as one query, and the INSERT arrives as row changes.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  let depth = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (ch === '/' && next === '*') {
      let level = 1;
      i += 2;
      while (i < n && level > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          level++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          level--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < n) {
        if (sql[i] === ch) {
          if (sql[i + 1] === ch) i += 2;
          else {
            i++;
            break;
          }
        } else i++;
      }
    } else if (ch === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? n : end + tag.length;
      } else i++;
    } else if (ch === '(') {
      depth++;
      i++;
    } else if (ch === ')') {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (ch === ';' && depth === 0) {
      push(out, sql.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  push(out, sql.slice(start));
  return out;
}

function push(out: string[], stmt: string): void {
  if (stripComments(stmt).trim().length > 0) out.push(stmt.trim());
}

function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** Words that do not change which command a statement is (CREATE OR REPLACE FUNCTION = CREATE FUNCTION). */
const NOISE = new Set(['OR', 'REPLACE', 'UNIQUE', 'TEMP', 'TEMPORARY', 'UNLOGGED', 'GLOBAL', 'LOCAL', 'CONCURRENTLY', 'RECURSIVE', 'TRUSTED', 'PROCEDURAL', 'CONSTRAINT']);

function commandWords(stmt: string): string[] {
  return stripComments(stmt)
    .trim()
    .split(/[\s(]+/, 8)
    .map((w) => w.toUpperCase())
    .filter((w) => !NOISE.has(w));
}

/** Pure: whether a statement is a command with this tag (CREATE TABLE AS matches CREATE TABLE …). */
export function statementMatchesTag(stmt: string, tag: string): boolean {
  const words = commandWords(stmt);
  const want = tag.toUpperCase().replace(/ AS$/, '').split(' ');
  if (want[0] === 'SELECT') return words[0] === 'SELECT';
  return want.every((w, i) => words[i] === w);
}

/**
 * Pure: the statement of a logged query string that the `occurrence`-th DDL event with `tag`
 * came from, searching from statement index `from`. CONCURRENTLY is dropped from index commands:
 * apply runs inside a transaction, where PostgreSQL refuses it.
 */
export function findDdlStatement(
  statements: readonly string[],
  tag: string,
  from: number,
): { index: number; sql: string } | null {
  for (let i = from; i < statements.length; i++) {
    const stmt = statements[i]!;
    if (!statementMatchesTag(stmt, tag)) continue;
    const sql = /^(CREATE INDEX|DROP INDEX|REINDEX)/.test(commandWords(stmt).join(' '))
      ? stmt.replace(/\bCONCURRENTLY\b/i, '')
      : stmt;
    return { index: i, sql };
  }
  return null;
}
