import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ProcessStartError } from './errors.js';

/** uid/gid to run a child as (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface SpawnManagedOptions {
  /** Human name used in errors and logs, e.g. "postgres us-east". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr of the child are appended to this file. */
  logFile: string;
  runAs?: RunAs;
  /** Signal for an orderly stop (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
}

/** Children started by this process and not yet exited. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * Children run in their own process groups (so a terminal's Ctrl-C reaches only the supervisor), which
 * also means they outlive a supervisor that exits without stopping them. This hook SIGKILLs, by pid, every
 * child still running when this process exits (normal exit, uncaught exception, process.exit).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid, 'SIGCONT');
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Children of this process that are still running (pids). */
export function liveChildren(): { name: string; pid: number }[] {
  return [...live].map((p) => ({ name: p.name, pid: p.pid }));
}

/** A child process this topology started: known by pid, stopped by pid. */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  private readonly stopSignal: NodeJS.Signals;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    name: string,
    child: ReturnType<typeof spawn>,
    logFile: string,
    stopSignal: NodeJS.Signals,
  ) {
    this.name = name;
    if (child.pid === undefined) throw new ProcessStartError(`${name}: spawn returned no pid`);
    this.pid = child.pid;
    this.logFile = logFile;
    this.stopSignal = stopSignal;
    installExitHook();
    live.add(this);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  /**
   * Spawns a child in its own process group (so a Ctrl-C in the terminal reaches only the supervisor,
   * which then stops its children in order), with stdout/stderr appended to logFile.
   */
  static async spawn(opts: SpawnManagedOptions): Promise<ManagedProcess> {
    const fd = openSync(opts.logFile, 'a');
    try {
      const spawnOptions: SpawnOptions = {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: true,
      };
      if (opts.runAs) {
        spawnOptions.uid = opts.runAs.uid;
        spawnOptions.gid = opts.runAs.gid;
      }
      const child = spawn(opts.command, opts.args, spawnOptions);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', (err) =>
          reject(
            new ProcessStartError(`${opts.name}: cannot start ${opts.command}: ${err.message}`, {
              cause: err,
            }),
          ),
        );
      });
      // The child holds the supervisor's event loop open only through its exit listener.
      child.unref();
      return new ManagedProcess(opts.name, child, opts.logFile, opts.stopSignal ?? 'SIGTERM');
    } finally {
      closeSync(fd);
    }
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  get exitDescription(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal
      ? `killed by ${this.exitInfo.signal}`
      : `exited with code ${this.exitInfo.code}`;
  }

  /** Resolves when the process exits. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** Sends a signal to the process (not its group); false when it already exited. */
  signal(sig: NodeJS.Signals): boolean {
    if (this.exited) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** Freezes the process (SIGSTOP), e.g. for a "freeze" fault. */
  pause(): boolean {
    return this.signal('SIGSTOP');
  }

  /** Resumes a frozen process (SIGCONT). */
  resume(): boolean {
    return this.signal('SIGCONT');
  }

  /** Kills the process at once (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exitPromise;
  }

  /** Orderly stop: the stop signal, then SIGKILL after timeoutMs. Resolves once the process is gone. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.signal('SIGCONT'); // a frozen process cannot act on the stop signal
    this.signal(this.stopSignal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exitPromise.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) await this.kill();
  }

  /** The last lines of the process's log file (for error messages). */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Polls `check` every intervalMs until it returns true; fails when the process exits or the deadline passes. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; process?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (opts.process?.exited) {
      throw new ProcessStartError(
        `${opts.process.name} ${opts.process.exitDescription} before ${what}; last log lines (${opts.process.logFile}):\n${opts.process.logTail()}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const tail = opts.process
        ? `; last log lines (${opts.process.logFile}):\n${opts.process.logTail()}`
        : '';
      throw new ProcessStartError(
        `timed out after ${opts.timeoutMs} ms waiting for ${what}${tail}`,
        {
          cause: lastError,
        },
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Runs a command to completion (stdout/stderr captured); rejects with its output on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  opts: {
    runAs?: RunAs;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
    input?: string;
  } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    };
    if (opts.runAs) {
      spawnOptions.uid = opts.runAs.uid;
      spawnOptions.gid = opts.runAs.gid;
    }
    const child = spawn(command, args, spawnOptions);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new ProcessStartError(`cannot run ${command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new ProcessStartError(
            `${command} ${args.join(' ')} ${signal ? `killed by ${signal}` : `exited with code ${code}`}:\n${stderr.trim() || stdout.trim()}`,
          ),
        );
    });
  });
}
