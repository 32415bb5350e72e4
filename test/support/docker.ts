// Docker helpers for the e2e tests: always the daemon's own client (/usr/bin/docker), since a
// newer client earlier on PATH may not speak to Debian's 20.10 daemon.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DOCKER = '/usr/bin/docker';

export class DockerError extends Error {
  override name = 'DockerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why Docker cannot run here ('' when it can): missing client, daemon down, or not root. */
export function dockerUnavailableReason(): string {
  if (process.getuid?.() !== 0) return 'the kind/Docker tests need root (iptables, privileged containers)';
  if (!existsSync(DOCKER)) return `${DOCKER} is missing: run bash hack/docker.sh up`;
  const r = spawnSync(DOCKER, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) return `dockerd does not answer (${(r.stderr || r.error?.message || '').trim()}): run bash hack/docker.sh up`;
  return '';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new DockerError(`${cmd} ${args.join(' ')} could not run: ${err.message}`, { cause: err }));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs a command and returns stdout; throws DockerError with stderr on a non-zero exit. */
export async function must(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new DockerError(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export const docker = (args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<string> => must(DOCKER, args, opts);
