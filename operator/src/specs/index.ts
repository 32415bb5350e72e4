export * from './names.js';
export * from './labels.js';
export * from './context.js';
export * from './object.js';
export { agentConfig } from './agent-config.js';
export { natsConfig, postgresqlConf, pgHbaConf, postgresEntrypoint } from './config-files.js';
export {
  credentialsSecret,
  credentialsFromSecretData,
  generateCredentials,
  agentSecret,
  CREDENTIAL_KEYS,
} from './secrets.js';
export { regionConfigMap } from './config-map.js';
export {
  databaseStatefulSet,
  readersStatefulSet,
  natsStatefulSet,
  configHash,
  CONFIG_HASH_ANNOTATION,
} from './statefulsets.js';
export { regionServices, writerService } from './services.js';
export {
  desiredObjects,
  regionObjects,
  clusterOf,
  clusterId,
  type ClusterRef,
  type DesiredInput,
  type ClusterObjects,
} from './desired.js';
export { postgresHostPort, postgresUrl, OPERATOR_CLUSTER } from './addresses.js';
