import pg from 'pg';
import { quoteIdent } from '../apply/sql.js';
import { SESSION_OPTIONS } from '../db/session.js';

/**
 * Drops and re-creates this region's database so that it can be seeded again (a secondary that
 * fell behind the stream's retention). Only ever called on a secondary: its data is a copy.
 */
export async function recreateDatabase(url: string, db: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString(), options: SESSION_OPTIONS });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${quoteIdent(db)}`);
  } finally {
    await c.end();
  }
}
