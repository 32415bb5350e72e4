import { rmSync } from 'node:fs';
import {
  pidAlive,
  pidCommand,
  readState,
  releaseState,
  stateFilePath,
  type TopologyState,
} from '../state/index.js';
import { CommandError, type CommandIO } from './io.js';

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !pidAlive(pid);
}

/**
 * Stops what a supervisor that is gone left behind: each recorded process, by pid, only when its command
 * line still names the topology's dir or command (a reused pid is never signalled); then removes the dir.
 */
async function cleanLeftovers(state: TopologyState, io: CommandIO): Promise<void> {
  for (const p of state.processes ?? []) {
    const cmd = pidCommand(p.pid);
    if (!cmd || !pidAlive(p.pid)) continue;
    const ours = (state.dir && cmd.includes(state.dir)) || cmd.includes(p.command);
    if (!ours) continue;
    io.err(`stopping leftover ${p.kind} of ${p.region} (pid ${p.pid})`);
    try {
      process.kill(p.pid, 'SIGCONT');
      process.kill(p.pid, p.kind === 'postgres' || p.kind === 'reader' ? 'SIGINT' : 'SIGTERM');
    } catch {
      continue;
    }
    if (!(await waitGone(p.pid, 10_000))) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  if (state.dir) rmSync(state.dir, { recursive: true, force: true });
}

/** `borealis down`: signals the supervisor recorded in the state file and waits until it exited. */
export async function down(opts: { timeoutSeconds?: number }, io: CommandIO): Promise<void> {
  const path = stateFilePath();
  const state = readState(path);
  if (!state) {
    io.err(`no topology is running (no state file at ${path})`);
    return;
  }
  const t0 = Date.now();
  if (pidAlive(state.pid)) {
    const cmd = pidCommand(state.pid);
    if (cmd && !/node/.test(cmd)) {
      throw new CommandError(
        `pid ${state.pid} in ${path} is not a borealis supervisor any more (${cmd}); remove the state file`,
      );
    }
    io.err(`stopping the topology (supervisor pid ${state.pid})…`);
    process.kill(state.pid, 'SIGTERM');
    const timeoutMs = (opts.timeoutSeconds ?? 60) * 1000;
    if (!(await waitGone(state.pid, timeoutMs))) {
      io.err(
        `the supervisor did not exit within ${timeoutMs / 1000} s: killing it and its processes`,
      );
      try {
        process.kill(state.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await waitGone(state.pid, 5000);
      await cleanLeftovers(state, io);
    }
  } else {
    io.err(`the supervisor (pid ${state.pid}) is gone: cleaning up what it left`);
    await cleanLeftovers(state, io);
  }
  releaseState(state.pid, path);
  io.out(`stopped (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
