import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A small range and a private lock dir, set before ports.ts reads them.
const lockDir = mkdtempSync(join(tmpdir(), 'borealis-port-locks-test-'));
process.env.BOREALIS_PORT_RANGE = '21000-21199';
process.env.BOREALIS_PORT_LOCK_DIR = lockDir;
const { allocatePort, releasePort } = await import('./ports.js');

afterAll(() => {
  rmSync(lockDir, { recursive: true, force: true });
  delete process.env.BOREALIS_PORT_RANGE;
  delete process.env.BOREALIS_PORT_LOCK_DIR;
});

describe('cross-process port locks', () => {
  it('skips ports locked by a live process, reclaims those of a dead one, and records its own pid', async () => {
    // 21000..21099: held by pid 1 (alive); 21100..21199: left by a process that is gone.
    for (let p = 21000; p < 21100; p++) writeFileSync(join(lockDir, String(p)), '1');
    for (let p = 21100; p < 21200; p++) writeFileSync(join(lockDir, String(p)), '99999999');
    const got: number[] = [];
    for (let i = 0; i < 30; i++) got.push(await allocatePort());
    for (const p of got) {
      expect(p).toBeGreaterThanOrEqual(21100);
      expect(readFileSync(join(lockDir, String(p)), 'utf8')).toBe(String(process.pid));
    }
    expect(new Set(got).size).toBe(30);
    releasePort(got[0]!);
    expect(readdirSync(lockDir)).not.toContain(String(got[0]));
    // A lock of a live process stays untouched.
    expect(readFileSync(join(lockDir, '21000'), 'utf8')).toBe('1');
  });
});
