import { describe, expect, it } from 'vitest';
import { allocatePorts, portRange } from './ports.js';

describe('portRange', () => {
  it('sits just below the kernel ephemeral range', () => {
    expect(portRange(undefined, '32768\t60999\n')).toEqual({ lo: 20000, hi: 32767 });
    expect(portRange(undefined, '40000 60999')).toEqual({ lo: 27232, hi: 39999 });
    expect(portRange(undefined, undefined)).toEqual({ lo: 20000, hi: 32767 });
  });
  it('takes BOREALIS_PORT_RANGE and rejects a bad one', () => {
    expect(portRange('21000-22000', '32768 60999')).toEqual({ lo: 21000, hi: 22000 });
    expect(() => portRange('80-90', undefined)).toThrow(/BOREALIS_PORT_RANGE must look like/);
    expect(() => portRange('abc', undefined)).toThrow(/BOREALIS_PORT_RANGE/);
  });
});

describe('allocatePorts', () => {
  it('hands out distinct ports outside the ephemeral range', async () => {
    const ports = await allocatePorts(50);
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(1024);
      expect(p).toBeLessThan(32768);
    }
  });
});
