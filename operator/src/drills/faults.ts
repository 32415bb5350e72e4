import type { DrillFault } from '../api/index.js';
import type { KubeClient } from '../runtime/index.js';

/** The region a drill fault hits: its GlobalDatabase, and the client of the cluster the region runs in. */
export interface FaultTarget {
  namespace: string;
  globalDatabase: string;
  region: string;
  /** Client of the region's cluster (the operator's own, or built from the region's kubeconfig Secret). */
  client: KubeClient;
}

/** Injects a drill's fault into one region (DESIGN §8); the returned function heals it. */
export interface FaultInjector {
  inject(target: FaultTarget, fault: DrillFault): Promise<() => Promise<void>>;
}

export class FaultInjectionError extends Error {
  override readonly name = 'FaultInjectionError';
}
