/**
 * Pure builder of a region's nats-server configuration file (one server per region; its cluster and its
 * gateway are named after the region; all regions' gateways form one supercluster with one JetStream domain).
 */

export interface NatsRemoteGateway {
  /** The remote region (its gateway name). */
  name: string;
  /** URLs this server dials to reach that region's gateway (in the local topology: the link proxy). */
  urls: string[];
}

export interface NatsServerConfigInput {
  /** Region name: server_name, cluster name and gateway name. */
  region: string;
  clientPort: number;
  /** Monitoring port (/healthz, /jsz, /varz). */
  httpPort: number;
  clusterPort: number;
  gatewayPort: number;
  /** JetStream store folder. */
  storeDir: string;
  /** The other regions' gateways (explicit; none for a single-region topology). */
  gateways: NatsRemoteGateway[];
  /**
   * The gateway address this server gossips to others (nats `gateway.advertise`, host:port). The local
   * topology points it at a link proxy so that no server ever learns the real gateway port (docs/local-topology.md).
   */
  gatewayAdvertise?: string;
  /** JetStream memory/file limits (defaults keep six servers small on one machine). */
  maxMemoryStore?: string;
  maxFileStore?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;

function q(value: string): string {
  return JSON.stringify(value);
}

/** A size for nats-server (unquoted: a quoted "256MB" is not parsed as a size). */
function size(value: string): string {
  if (!/^\d+(K|M|G|T)?B?$/i.test(value))
    throw new RangeError(`not a size like 256MB: ${JSON.stringify(value)}`);
  return value;
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`${what} must be an integer 1..65535, got ${port}`);
}

/** Renders nats-server.conf text for one region. */
export function renderNatsConfig(input: NatsServerConfigInput): string {
  if (!NAME.test(input.region))
    throw new RangeError(`invalid region name for NATS: ${JSON.stringify(input.region)}`);
  checkPort('clientPort', input.clientPort);
  checkPort('httpPort', input.httpPort);
  checkPort('clusterPort', input.clusterPort);
  checkPort('gatewayPort', input.gatewayPort);
  const seen = new Set<string>();
  for (const gw of input.gateways) {
    if (!NAME.test(gw.name))
      throw new RangeError(`invalid gateway name: ${JSON.stringify(gw.name)}`);
    if (gw.name === input.region)
      throw new RangeError(`region ${input.region} cannot list itself as a remote gateway`);
    if (seen.has(gw.name)) throw new RangeError(`gateway ${gw.name} listed twice`);
    if (gw.urls.length === 0) throw new RangeError(`gateway ${gw.name} has no URL`);
    seen.add(gw.name);
  }
  const lines = [
    '# Written by the Borealis local topology.',
    `server_name: ${q(input.region)}`,
    `listen: ${q(`127.0.0.1:${input.clientPort}`)}`,
    `http: ${q(`127.0.0.1:${input.httpPort}`)}`,
    'jetstream {',
    `  store_dir: ${q(input.storeDir)}`,
    `  max_memory_store: ${size(input.maxMemoryStore ?? '256MB')}`,
    `  max_file_store: ${size(input.maxFileStore ?? '8GB')}`,
    '}',
  ];
  // One region: a standalone JetStream server. A one-server cluster would have to list its own route
  // (JetStream in a cluster refuses to start without configured routes), and the server then counts that
  // route as a second meta peer (cluster_size 2, quorum 2) and never elects a meta leader.
  if (input.gateways.length === 0) return lines.join('\n') + '\n';
  lines.push(
    'cluster {',
    `  name: ${q(input.region)}`,
    `  listen: ${q(`127.0.0.1:${input.clusterPort}`)}`,
    // A one-server cluster in a supercluster: JetStream refuses to start without configured routes
    // ("JetStream cluster requires configured routes"), so the server lists its own route (ignored as self
    // once gateways bring the other regions' servers into the meta group).
    `  routes: [${q(`nats://127.0.0.1:${input.clusterPort}`)}]`,
    '}',
    'gateway {',
    `  name: ${q(input.region)}`,
    `  listen: ${q(`127.0.0.1:${input.gatewayPort}`)}`,
  );
  if (input.gatewayAdvertise) lines.push(`  advertise: ${q(input.gatewayAdvertise)}`);
  // Only the configured regions may connect: an unknown gateway is refused rather than joined implicitly.
  lines.push('  reject_unknown_cluster: true');
  lines.push('  gateways: [');
  for (const gw of input.gateways) {
    lines.push(`    { name: ${q(gw.name)}, urls: [${gw.urls.map(q).join(', ')}] }`);
  }
  lines.push('  ]', '}');
  return lines.join('\n') + '\n';
}
