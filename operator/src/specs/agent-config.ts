import type { ResolvedRegion } from '../api/index.js';
import type { RegionBuildContext } from './context.js';
import { PORTS, regionNames, serviceHost, writerServiceName } from './names.js';

const clusterKey = (r: ResolvedRegion): string =>
  r.kubeconfigSecretRef ? `${r.kubeconfigSecretRef.name}/${r.kubeconfigSecretRef.key}` : 'local';
const sameCluster = (a: ResolvedRegion, b: ResolvedRegion): boolean =>
  clusterKey(a) === clusterKey(b);

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
    stream: {
      maxAgeSeconds: spec.retention.maxAgeSeconds,
      maxBytes: spec.retention.maxBytes,
      duplicateWindowSeconds: 120,
    },
    http: { host: '0.0.0.0', port: PORTS.agentHttp },
    // The operator is the promotion authority and pushes the primary's write lease (docs/operator.md "Fencing").
    control: { leaseFrom: 'admin' },
    log: { level: 'info' },
    // The Data API is served only with a token; forwarded writes between agents carry the same token.
    dataApi: { token: credentials.dataApiToken },
    // Write forwarding reaches the other regions' agents through their api Services — those in the same cluster
    // (a region in another cluster has no address known here).
    peers: spec.regions
      .filter((r) => r.name !== region.name && sameCluster(r, region))
      .map((r) => ({
        region: r.name,
        http: `http://${serviceHost(regionNames(gdb.name, r.name).apiService, gdb.namespace)}:${PORTS.agentHttp}`,
      })),
  };
  if (!isPrimary) {
    // Seed from the primary: through the writer Service when it is in this cluster, else at its declared postgresAddress.
    const primary = spec.regions.find((r) => r.name === ctx.primaryRegion);
    const host =
      primary && !sameCluster(primary, region) && primary.postgresAddress
        ? primary.postgresAddress
        : `${serviceHost(writerServiceName(gdb.name), gdb.namespace)}:${PORTS.postgres}`;
    config['seed'] = { sourceUrl: `postgresql://postgres:${pw}@${host}/${db}` };
  }
  return config;
}
