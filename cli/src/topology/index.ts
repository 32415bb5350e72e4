export * from './errors.js';
export { allocatePort, allocatePorts, releasePort } from './ports.js';
export { ManagedProcess, waitUntil, runCommand, liveChildren, type RunAs } from './process.js';
export * from './postgres-config.js';
export {
  startPostgres,
  startReplica,
  restartPostgres,
  createPostgresTemplate,
  defaultPgBinDir,
  type StartPostgresOptions,
  type StartReplicaOptions,
  type PostgresInstance,
} from './postgres.js';
export * from './nats-config.js';
export {
  startNatsServer,
  startSupercluster,
  allocateNatsPorts,
  waitForMetaLeader,
  jetStreamMetaLeader,
  defaultNatsServerBinary,
  type NatsPorts,
  type NatsServerInstance,
  type StartNatsServerOptions,
  type StartSuperclusterOptions,
  type Supercluster,
} from './nats.js';
export {
  Link,
  LinkProxy,
  ProxiedConnection,
  natsGatewayOrigin,
  type LinkLatency,
  type LinkProxyOptions,
  type OriginResolver,
} from './link-proxy.js';
export { TcpEndpoint, parseHostPort, type Backend, type TcpEndpointOptions } from './endpoint.js';
export { buildAgentConfig, type AgentConfigInput, type AgentConfigFile } from './agent-config.js';
export { spawnAgent, waitAgentReady, defaultAgentEntry, type AgentInstance } from './agent.js';
export { ControlPlane, type ControlPlaneSource } from './control-plane.js';
export {
  REGION_NAMES,
  MAX_REGIONS,
  MAX_READERS,
  regionNames,
  checkReaders,
  parseDurationMs,
} from './regions.js';
export {
  Topology,
  startTopology,
  type TopologyOptions,
  type TopologyDescription,
  type Region,
  type RegionRole,
  type ProcessKind,
} from './topology.js';
