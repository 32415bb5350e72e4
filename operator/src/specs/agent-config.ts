import type { RegionBuildContext } from './context.js';
import { PORTS, regionNames, serviceHost, writerServiceName } from './names.js';

/**
 * The region agent's JSON configuration (region-agent/src/config/schema.ts), rendered into the
 * region's agent Secret (it carries the database password). A unit test parses it with the agent's own schema.
 */
export function agentConfig(ctx: RegionBuildContext): Record<string, unknown> {
  const { gdb, spec, region, credentials } = ctx;
  const n = regionNames(gdb.name, region.name);
  const db = spec.databaseName;
  const pw = encodeURIComponent(credentials.postgresPassword);
  const isPrimary = region.name === ctx.primaryRegion;
  const config: Record<string, unknown> = {
    region: region.name,
    role: isPrimary ? 'primary' : 'secondary',
    epoch: ctx.epoch,
    primaryRegion: ctx.primaryRegion,
    database: { url: `postgresql://postgres:${pw}@127.0.0.1:${PORTS.postgres}/${db}`, name: db },
    nats: { servers: [`nats://${serviceHost(n.nats, gdb.namespace)}:${PORTS.natsClient}`] },
    stream: { maxAgeSeconds: spec.retention.maxAgeSeconds, maxBytes: spec.retention.maxBytes, duplicateWindowSeconds: 120 },
    http: { host: '0.0.0.0', port: PORTS.agentHttp },
    log: { level: 'info' },
  };
  if (!isPrimary) {
    config['seed'] = { sourceUrl: `postgresql://postgres:${pw}@${serviceHost(writerServiceName(gdb.name), gdb.namespace)}:${PORTS.postgres}/${db}` };
  }
  return config;
}
