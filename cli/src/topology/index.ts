export * from './errors.js';
export { allocatePort, allocatePorts } from './ports.js';
export { ManagedProcess, waitUntil, runCommand, type RunAs } from './process.js';
export * from './postgres-config.js';
export {
  startPostgres,
  startReplica,
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
