export {
  KubeClient,
  type KubeObjectLike,
  type ObjectList,
  type WatchEvent,
} from './kube-client.js';
export { KubeApiError, UnknownResourceError, isConflict, isNotFound } from './errors.js';
export { RESOURCES, resourceInfo, resourcePath, type ResourceInfo } from './resources.js';
export { WorkQueue, runWorkers, type ReconcileResult, type BackoffOptions } from './work-queue.js';
export {
  Informer,
  objectCacheKey,
  type InformerHandlers,
  type InformerOptions,
} from './informer.js';
export { specOrMetadataChanged } from './predicates.js';
export { LeaderElector, type LeaderElectionOptions } from './leader-election.js';
export { EventRecorder, type EventTarget } from './events.js';
export {
  connectionFromKubeconfig,
  defaultConnection,
  inClusterConnection,
  KubeconfigError,
  type Connection,
} from './kubeconfig.js';
