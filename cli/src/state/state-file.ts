import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TopologyDescription } from '../topology/index.js';

/** The running topology as recorded by the `up` supervisor. */
export interface TopologyState {
  version: 1;
  /** pid of the `borealis up` supervisor (it owns every process below). */
  pid: number;
  startedAt: string;
  status: 'starting' | 'ready';
  /** The topology's temp dir. */
  dir?: string;
  description?: TopologyDescription;
  /** Every process the supervisor started (for `down` when the supervisor itself is gone). */
  processes?: { region: string; kind: string; pid: number; command: string }[];
  options?: {
    regions: number;
    readers: number;
    wanLatencyMs: number;
    jitterMs: number;
    agents: boolean;
  };
}

export class StateError extends Error {
  override name = 'StateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Another `borealis up` is running. */
export class TopologyAlreadyRunningError extends StateError {
  override name = 'TopologyAlreadyRunningError';
}

/** ${BOREALIS_STATE_DIR:-$HOME/.cache/borealis/run} */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BOREALIS_STATE_DIR || join(env.HOME || homedir(), '.cache', 'borealis', 'run');
}

export function stateFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'topology.json');
}

/** Validates a parsed state document (pure). */
export function parseState(text: string, path = 'topology.json'): TopologyState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(`${path} is not valid JSON`, { cause: err });
  }
  const s = raw as Partial<TopologyState>;
  if (
    typeof s !== 'object' ||
    s === null ||
    s.version !== 1 ||
    !Number.isInteger(s.pid) ||
    (s.pid ?? 0) <= 0
  ) {
    throw new StateError(
      `${path} is not a Borealis topology state file (version 1 with a supervisor pid)`,
    );
  }
  if (s.status !== 'starting' && s.status !== 'ready')
    throw new StateError(`${path}: unknown status ${JSON.stringify(s.status)}`);
  return s as TopologyState;
}

/** True when pid is a live process. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live pid ('' when unknown), used so a reused pid is never signalled. */
export function pidCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export function readState(path = stateFilePath()): TopologyState | undefined {
  if (!existsSync(path)) return undefined;
  return parseState(readFileSync(path, 'utf8'), path);
}

/** Writes the state atomically (temp file + rename). */
export function writeState(state: TopologyState, path = stateFilePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, path);
}

/**
 * Claims the state file for this supervisor (exclusive create). A state file left by a supervisor that is
 * gone is replaced; one whose supervisor is alive makes this fail with a clear message.
 */
export function claimState(state: TopologyState, path = stateFilePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(state, null, 2) + '\n');
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StateError(`cannot create ${path}`, { cause: err });
    }
    let existing: TopologyState | undefined;
    try {
      existing = readState(path);
    } catch {
      existing = undefined; // unreadable: treat as stale
    }
    if (existing && pidAlive(existing.pid)) {
      throw new TopologyAlreadyRunningError(
        `a topology is already running (supervisor pid ${existing.pid}, started ${existing.startedAt}, state ${path}); ` +
          'stop it with "borealis down" first',
      );
    }
    rmSync(path, { force: true });
  }
  throw new StateError(`cannot claim ${path}: it keeps reappearing`);
}

/** Removes the state file if it still belongs to `pid`. */
export function releaseState(pid: number, path = stateFilePath()): void {
  try {
    const s = readState(path);
    if (!s || s.pid === pid) rmSync(path, { force: true });
  } catch {
    rmSync(path, { force: true });
  }
}
