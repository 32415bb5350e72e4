import { TopologyOptionsError } from './errors.js';

/** Region names in order: the first is the primary, then up to five secondaries. */
export const REGION_NAMES = [
  'us-east',
  'eu-west',
  'ap-south',
  'us-west',
  'eu-north',
  'sa-east',
] as const;
export const MAX_REGIONS = REGION_NAMES.length;
export const MAX_READERS = 15;

/** The names of an N-region topology (N = 1..6). */
export function regionNames(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REGIONS) {
    throw new TopologyOptionsError(
      `regions must be an integer from 1 to ${MAX_REGIONS} (1 primary + up to 5 secondaries), got ${n}`,
    );
  }
  return REGION_NAMES.slice(0, n);
}

export function checkReaders(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_READERS) {
    throw new TopologyOptionsError(
      `readers must be an integer from 0 to ${MAX_READERS} per region, got ${n}`,
    );
  }
  return n;
}

/** Parses a duration like "40ms", "0.5s", "40" (ms) into milliseconds. */
export function parseDurationMs(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!m)
    throw new TopologyOptionsError(
      `${what} must look like 40ms or 0.5s, got ${JSON.stringify(text)}`,
    );
  const value = Number(m[1]);
  return m[2] === 's' ? value * 1000 : value;
}
