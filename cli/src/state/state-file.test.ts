import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TopologyAlreadyRunningError,
  claimState,
  parseState,
  readState,
  releaseState,
  stateFilePath,
  writeState,
} from './state-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'borealis-state-test-'));
  dirs.push(d);
  return d;
}

describe('state file', () => {
  it('lives in BOREALIS_STATE_DIR or ~/.cache/borealis/run', () => {
    expect(stateFilePath({ BOREALIS_STATE_DIR: '/x/y' })).toBe('/x/y/topology.json');
    expect(stateFilePath({ HOME: '/home/me' })).toBe('/home/me/.cache/borealis/run/topology.json');
  });

  it('parses only version-1 documents with a supervisor pid', () => {
    expect(parseState('{"version":1,"pid":12,"startedAt":"t","status":"ready"}').pid).toBe(12);
    expect(() => parseState('nope')).toThrow(/not valid JSON/);
    expect(() => parseState('{"version":2,"pid":1,"status":"ready"}')).toThrow(
      /not a Borealis topology state file/,
    );
    expect(() => parseState('{"version":1,"pid":1,"status":"odd"}')).toThrow(/unknown status/);
  });

  it('refuses a second claim while the owner is alive, names the pid, and replaces a stale one', () => {
    const path = join(tmp(), 'run', 'topology.json');
    claimState({ version: 1, pid: process.pid, startedAt: 'now', status: 'starting' }, path);
    expect(() =>
      claimState({ version: 1, pid: 1234567, startedAt: 'later', status: 'starting' }, path),
    ).toThrow(TopologyAlreadyRunningError);
    expect(() =>
      claimState({ version: 1, pid: 1234567, startedAt: 'later', status: 'starting' }, path),
    ).toThrow(new RegExp(`supervisor pid ${process.pid}`));
    // A state left by a supervisor that is gone (pid far above pid_max) is replaced.
    writeFileSync(
      path,
      JSON.stringify({ version: 1, pid: 99999999, startedAt: 'old', status: 'ready' }),
    );
    claimState({ version: 1, pid: process.pid, startedAt: 'new', status: 'starting' }, path);
    expect(readState(path)?.startedAt).toBe('new');
  });

  it('writeState replaces the document; releaseState removes only its own', () => {
    const path = join(tmp(), 'topology.json');
    writeState({ version: 1, pid: process.pid, startedAt: 'a', status: 'ready' }, path);
    releaseState(process.pid + 1, path);
    expect(readState(path)).toBeDefined();
    releaseState(process.pid, path);
    expect(readState(path)).toBeUndefined();
  });
});
