import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { TopologyError } from './errors.js';
import type { RunAs } from './process.js';

let cached: RunAs | null | undefined;

/**
 * The OS user PostgreSQL runs as: none when this process is not root (it runs as ourselves), the
 * `postgres` user (looked up at run time with `id`) when root, because postgres refuses to run as root.
 */
export function postgresRunAs(): RunAs | undefined {
  if (cached !== undefined) return cached ?? undefined;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    cached = null;
    return undefined;
  }
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('id printed no numbers');
    cached = { uid, gid };
    return cached;
  } catch (err) {
    throw new TopologyError(
      'running as root, PostgreSQL must run as the "postgres" OS user, but it does not exist (install postgresql-15 or run as a normal user)',
      { cause: err },
    );
  }
}

/** chown -R path to the user (no-op without a user). */
export function chownTree(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  chownSync(path, runAs.uid, runAs.gid);
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path)) chownTree(join(path, entry), runAs);
  }
}

/**
 * Lets another user traverse (not list) the folders between the system temp dir and `path`: mkdtemp makes
 * 0700 folders, and the postgres user must reach its data dir inside them. Only folders strictly inside
 * os.tmpdir() are touched.
 */
export function allowTraverseWithinTmp(path: string): void {
  const tmp = resolve(tmpdir());
  let dir = dirname(resolve(path));
  while (dir.startsWith(tmp + sep) && !relative(tmp, dir).startsWith('..')) {
    const st = statSync(dir);
    if ((st.mode & 0o001) === 0) chmodSync(dir, (st.mode & 0o7777) | 0o011);
    dir = dirname(dir);
  }
}
