import { describe, expect, it } from 'vitest';
import { TopologyOptionsError } from './errors.js';
import { checkReaders, parseDurationMs, regionNames } from './regions.js';

describe('regionNames', () => {
  it('names the primary us-east and secondaries in a fixed order', () => {
    expect(regionNames(1)).toEqual(['us-east']);
    expect(regionNames(6)).toEqual([
      'us-east',
      'eu-west',
      'ap-south',
      'us-west',
      'eu-north',
      'sa-east',
    ]);
  });
  it('rejects counts outside 1..6', () => {
    expect(() => regionNames(0)).toThrow(TopologyOptionsError);
    expect(() => regionNames(7)).toThrow(/from 1 to 6/);
    expect(() => regionNames(2.5)).toThrow(/integer/);
  });
});

describe('checkReaders', () => {
  it('accepts 0..15', () => {
    expect(checkReaders(0)).toBe(0);
    expect(checkReaders(15)).toBe(15);
    expect(() => checkReaders(16)).toThrow(/from 0 to 15/);
  });
});

describe('parseDurationMs', () => {
  it('reads ms, s and bare numbers', () => {
    expect(parseDurationMs('40ms')).toBe(40);
    expect(parseDurationMs('0.5s')).toBe(500);
    expect(parseDurationMs('5')).toBe(5);
  });
  it('rejects other text', () => {
    expect(() => parseDurationMs('40 minutes', '--wan-latency')).toThrow(
      /--wan-latency must look like 40ms/,
    );
    expect(() => parseDurationMs('-3ms')).toThrow(TopologyOptionsError);
  });
});
