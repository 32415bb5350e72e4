export {
  GlobalDatabaseReconciler,
  MANAGED_KINDS,
  ownerKeyOf,
  type GlobalDatabaseReconcilerOptions,
} from './reconciler.js';
export {
  HttpAgentStatusSource,
  AgentStatusError,
  AgentAdminError,
  type AgentStatusSource,
  type AgentStatusReport,
  type RegionReport,
  type AgentTarget,
} from './agent-status.js';
export { ClusterClients, ClusterAccessError } from './clusters.js';
export { computeStatus, canonical, type StatusInput } from './status.js';
