import { InvalidArgumentError } from 'commander';
import { MAX_READERS, MAX_REGIONS, parseDurationMs, type TopologyOptions } from '../topology/index.js';

/** commander argParsers with clear messages for bad input. */
export function intInRange(what: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max)
      throw new InvalidArgumentError(`${what} must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export const parseRegions = intInRange('--regions', 1, MAX_REGIONS);
export const parseReaders = intInRange('--readers', 0, MAX_READERS);

export function parseMs(what: string) {
  return (value: string): number => {
    try {
      return parseDurationMs(value, what);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export function parsePositive(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(
        `${what} must be a positive number, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

/** --pg key=value (repeatable) → settings map. */
export function collectSetting(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const m = /^([a-z_][a-z0-9_.]*)=(.*)$/.exec(value);
  if (!m)
    throw new InvalidArgumentError(
      `--pg expects name=value (a PostgreSQL setting), got ${JSON.stringify(value)}`,
    );
  return { ...previous, [m[1]!]: m[2]! };
}

export interface TopologyCliOptions {
  regions: number;
  readers: number;
  wanLatency: number;
  jitter: number;
  agents: boolean;
  pg?: Record<string, string>;
  keepFiles?: boolean;
}

/** The topology the shared CLI options describe (up and demo start the same one). */
export function topologyOptions(opts: TopologyCliOptions, log: (line: string) => void): TopologyOptions {
  return {
    regions: opts.regions,
    readers: opts.readers,
    wanLatencyMs: opts.wanLatency,
    jitterMs: opts.jitter,
    agents: opts.agents,
    postgresSettings: opts.pg,
    keepFiles: opts.keepFiles,
    log,
  };
}
