/**
 * Pure builder of a region agent's config file (region-agent/src/config/schema.ts). The shape is declared
 * here structurally so this module has no runtime dependency on the agent; a unit test validates the
 * output against the agent's own zod schema.
 */
import { APP_DATABASE } from './postgres-config.js';

export interface AgentConfigInput {
  region: string;
  role: 'primary' | 'secondary';
  primaryRegion: string;
  epoch?: number;
  /** This region's own PostgreSQL (superuser borealis, database app). */
  databaseUrl: string;
  /** This region's own NATS server URL(s). */
  natsServers: string[];
  /** Secondaries: the primary's PostgreSQL reached through the secondary→primary link proxy. */
  seedSourceUrl?: string;
  pgBinDir?: string;
  httpPort: number;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Data API bearer token (the agent serves POST /v1/execute… only with one). */
  dataApiToken?: string;
  /** The other regions' agents, as this region reaches them (through its link proxies): write forwarding. */
  peers?: { region: string; http: string }[];
  /** Extra fields merged at the top level (e.g. heartbeat, apply tuning); must be valid for the agent schema. */
  extra?: Record<string, unknown>;
}

export interface AgentConfigFile {
  region: string;
  role: 'primary' | 'secondary';
  epoch: number;
  primaryRegion: string;
  database: { url: string; name: string };
  nats: { servers: string[] };
  seed: { sourceUrl?: string; pgBinDir?: string };
  http: { host: string; port: number };
  log: { level: string };
  [key: string]: unknown;
}

export function buildAgentConfig(input: AgentConfigInput): AgentConfigFile {
  if (input.role === 'secondary' && !input.seedSourceUrl) {
    throw new RangeError(
      `secondary region ${input.region} needs seedSourceUrl (the primary's PostgreSQL through its link proxy)`,
    );
  }
  if (input.role === 'primary' && input.region !== input.primaryRegion) {
    throw new RangeError(
      `region ${input.region} is primary but primaryRegion is ${input.primaryRegion}`,
    );
  }
  if (input.natsServers.length === 0)
    throw new RangeError(`region ${input.region} needs at least one NATS server URL`);
  const seed: AgentConfigFile['seed'] = {};
  if (input.seedSourceUrl) seed.sourceUrl = input.seedSourceUrl;
  if (input.pgBinDir) seed.pgBinDir = input.pgBinDir;
  return {
    ...(input.extra ?? {}),
    region: input.region,
    role: input.role,
    epoch: input.epoch ?? 1,
    primaryRegion: input.primaryRegion,
    database: { url: input.databaseUrl, name: APP_DATABASE },
    nats: { servers: [...input.natsServers] },
    seed,
    http: { host: '127.0.0.1', port: input.httpPort },
    log: { level: input.logLevel ?? 'info' },
    ...(input.dataApiToken
      ? {
          dataApi: {
            ...((input.extra?.dataApi) ?? {}),
            token: input.dataApiToken,
          },
        }
      : {}),
    ...(input.peers ? { peers: input.peers.map((p) => ({ ...p })) } : {}),
  };
}
