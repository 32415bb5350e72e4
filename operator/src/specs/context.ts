import type { ResolvedRegion, ResolvedSpec } from '../api/index.js';

export interface Credentials {
  /** Password of the `postgres` superuser in every region (used by the agents and for seeding). */
  postgresPassword: string;
  /** Password of the `replicator` role reader replicas stream with. */
  replicationPassword: string;
  /** Bearer token of the Data API. */
  dataApiToken: string;
}

export interface Images {
  region: string;
  nats: string;
  pullPolicy: 'IfNotPresent' | 'Never' | 'Always';
}

/** Everything a pure builder needs to render one region's objects. */
export interface RegionBuildContext {
  gdb: { name: string; namespace: string; uid: string };
  spec: ResolvedSpec;
  region: ResolvedRegion;
  /** The current primary region and epoch (from status; spec.primaryRegion before the first reconcile). */
  primaryRegion: string;
  epoch: number;
  images: Images;
  credentials: Credentials;
  /** True when the region runs in the GlobalDatabase's own cluster (ownerReferences are set then). */
  sameClusterAsOwner: boolean;
}

export const DEFAULT_IMAGES: Images = {
  region: 'borealis/region:dev',
  nats: 'borealis/nats:dev',
  pullPolicy: 'IfNotPresent',
};
