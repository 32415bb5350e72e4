import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TopologyOptionsError } from './errors.js';
import { startTopology } from './topology.js';

const parent = mkdtempSync(join(tmpdir(), 'borealis-options-test-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('startTopology option checks', () => {
  it.each([
    [{ regions: 7 }, /regions must be an integer from 1 to 6/],
    [{ regions: 2, readers: 16 }, /readers must be an integer from 0 to 15/],
    [{ regions: 2, wanLatencyMs: -1 }, /must be >= 0/],
    [
      { regions: 2, wanLatencyMs: 5, jitterMs: 10 },
      /jitter \(10 ms\) cannot exceed the WAN latency \(5 ms\)/,
    ],
  ])('rejects %j before creating anything', async (opts, message) => {
    const err = await startTopology({ ...opts, baseDir: parent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopologyOptionsError);
    expect((err as Error).message).toMatch(message);
    expect(readdirSync(parent)).toEqual([]);
  });
});
