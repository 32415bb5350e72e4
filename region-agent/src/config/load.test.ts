import { describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig } from './load.js';

const valid = {
  region: 'eu-west',
  role: 'secondary',
  epoch: 1,
  primaryRegion: 'us-east',
  database: { url: 'postgres://borealis@127.0.0.1:5432/app', name: 'app' },
  nats: { servers: ['nats://127.0.0.1:4222'] },
};

describe('parseAgentConfig', () => {
  it('accepts a minimal configuration and fills defaults', () => {
    const c = parseAgentConfig(valid);
    expect(c.heartbeat.intervalMs).toBe(200);
    expect(c.capture.maxInFlight).toBe(64);
    expect(c.http.host).toBe('127.0.0.1');
  });

  it('names every bad field', () => {
    try {
      parseAgentConfig({ ...valid, region: 'EU West', epoch: 0, nats: { servers: [] }, bogus: true });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.issues.some((i) => i.startsWith('region:'))).toBe(true);
      expect(e.issues.some((i) => i.startsWith('epoch:'))).toBe(true);
      expect(e.issues.some((i) => i.startsWith('nats.servers:'))).toBe(true);
      expect(e.message).toMatch(/bogus/);
    }
  });

  it('rejects a database URL that is not postgres://', () => {
    expect(() => parseAgentConfig({ ...valid, database: { url: 'mysql://x', name: 'app' } })).toThrow(/database\.url/);
  });
});
