import { agentConfigSchema } from '@borealis/region-agent';
import { describe, expect, it } from 'vitest';
import { buildAgentConfig } from './agent-config.js';

describe('buildAgentConfig', () => {
  const secondary = {
    region: 'eu-west',
    role: 'secondary' as const,
    primaryRegion: 'us-east',
    databaseUrl: 'postgres://borealis@127.0.0.1:5001/app',
    natsServers: ['nats://127.0.0.1:4001'],
    seedSourceUrl: 'postgres://borealis@127.0.0.1:6001/app',
    pgBinDir: '/usr/lib/postgresql/15/bin',
    httpPort: 8001,
  };

  it('produces a config the agent accepts (its own zod schema), epoch 1, database app', () => {
    const cfg = buildAgentConfig(secondary);
    const parsed = agentConfigSchema.parse(cfg);
    expect(parsed).toMatchObject({
      region: 'eu-west',
      role: 'secondary',
      epoch: 1,
      primaryRegion: 'us-east',
      database: { url: secondary.databaseUrl, name: 'app' },
      nats: { servers: ['nats://127.0.0.1:4001'] },
      seed: { sourceUrl: secondary.seedSourceUrl, pgBinDir: secondary.pgBinDir },
      http: { host: '127.0.0.1', port: 8001 },
    });
  });

  it('a primary needs no seed source', () => {
    const cfg = buildAgentConfig({
      ...secondary,
      region: 'us-east',
      role: 'primary',
      seedSourceUrl: undefined,
    });
    expect(agentConfigSchema.parse(cfg).seed.sourceUrl).toBeUndefined();
  });

  it('merges extra fields that the schema knows', () => {
    const cfg = buildAgentConfig({ ...secondary, extra: { heartbeat: { intervalMs: 100 } } });
    expect(agentConfigSchema.parse(cfg).heartbeat.intervalMs).toBe(100);
  });

  it('rejects inconsistent input', () => {
    expect(() => buildAgentConfig({ ...secondary, seedSourceUrl: undefined })).toThrow(
      /needs seedSourceUrl/,
    );
    expect(() => buildAgentConfig({ ...secondary, role: 'primary' })).toThrow(
      /is primary but primaryRegion is us-east/,
    );
    expect(() => buildAgentConfig({ ...secondary, natsServers: [] })).toThrow(
      /at least one NATS server/,
    );
  });
});
