/** TypeScript shapes of the custom resources (kept in step with crds.ts by the CRD drift/shape tests). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface RegionSpec {
  name: string;
  kubeconfigSecretRef?: { name: string; key?: string };
  readers?: number;
  storage?: { size?: string; natsSize?: string; storageClassName?: string };
  natsGatewayAddress?: string;
  postgresAddress?: string;
}

export type FailoverMode = 'manual' | 'automatic';

export interface GlobalDatabaseSpec {
  engine?: { version?: string };
  database?: { name?: string };
  primaryRegion: string;
  regions: RegionSpec[];
  replication?: {
    maxLagSeconds?: number;
    retention?: { maxAgeSeconds?: number; maxBytes?: number };
  };
  failover?: { mode?: FailoverMode; detectionSeconds?: number; rpoGuardSeconds?: number };
  nats?: { clusterSize?: 1 | 3 };
}

export type GlobalDatabasePhase =
  'Pending' | 'Provisioning' | 'Ready' | 'Degraded' | 'FailingOver' | 'Deleting';

export interface RegionStatus {
  name: string;
  role?: 'primary' | 'secondary' | 'unknown';
  ready?: boolean;
  epoch?: number;
  lagSeconds?: number;
  appliedLsn?: string;
  streamSeq?: number;
  pendingMessages?: number;
  message?: string;
}

export interface LastFailover {
  type: 'switchover' | 'failover';
  from: string;
  to: string;
  epoch?: number;
  startedAt: string;
  completedAt?: string;
  rtoSeconds?: number;
  rpoTransactions?: number;
  result: 'Succeeded' | 'Failed' | 'Refused';
  message?: string;
}

export interface GlobalDatabaseStatus {
  phase?: GlobalDatabasePhase;
  observedGeneration?: number;
  epoch?: number;
  primaryRegion?: string;
  regionsReady?: string;
  /** name=role/e<epoch>[/<lag>s] per region (printer column of -o wide). */
  regionStates?: string;
  maxLagSeconds?: number;
  regions?: RegionStatus[];
  conditions?: Condition[];
  lastFailover?: LastFailover;
  /** The spec.primaryRegion the operator last acted on: a different spec value is a switchover request. */
  requestedPrimaryRegion?: string;
  /** Every primary term with its fork (the agents need it to cross epochs); written with each epoch change. */
  epochHistory?: EpochHistoryEntry[];
}

export interface EpochHistoryEntry {
  epoch: number;
  primary: string;
  fork?: { epoch: number; seq: number; commitLsn: string; stream: string };
  at: string;
}

export interface GlobalDatabase {
  apiVersion: 'borealis.dev/v1alpha1';
  kind: 'GlobalDatabase';
  metadata: ObjectMeta;
  spec: GlobalDatabaseSpec;
  status?: GlobalDatabaseStatus;
}

export type DrillType = 'switchover' | 'failover';
export type DrillFault = 'kill' | 'freeze' | 'partition';

export interface FailoverDrillSpec {
  globalDatabase: string;
  targetRegion?: string;
  type: DrillType;
  fault?: DrillFault;
  workload?: { writesPerSecond?: number };
  force?: boolean;
}

export type DrillPhaseName =
  | 'Pending'
  | 'Preparing'
  | 'InjectingFault'
  | 'Detecting'
  | 'Promoting'
  | 'Rerouting'
  | 'Verifying'
  | 'Completed';

export interface DrillPhase {
  name: DrillPhaseName;
  startedAt: string;
  completedAt?: string;
  seconds?: number;
  message?: string;
}

export interface FailoverDrillStatus {
  phase?: DrillPhaseName;
  result?: 'Succeeded' | 'Failed';
  message?: string;
  observedGeneration?: number;
  from?: string;
  to?: string;
  epoch?: number;
  startedAt?: string;
  completedAt?: string;
  /** The promotion's own steps (fence, catch-up, hold, epoch, promote, rejoin, follow) and their durations. */
  promotionPhases?: { name: string; seconds: number }[];
  /** Writes of the prober acknowledged during the drill. */
  acknowledgedWrites?: number;
  rtoSeconds?: number;
  rpoTransactions?: number;
  rpoSeconds?: number;
  phases?: DrillPhase[];
  conditions?: Condition[];
}

export interface FailoverDrill {
  apiVersion: 'borealis.dev/v1alpha1';
  kind: 'FailoverDrill';
  metadata: ObjectMeta;
  spec: FailoverDrillSpec;
  status?: FailoverDrillStatus;
}

/** Spec with every default the CRD schema applies filled in (the server applies them; this mirrors it for pure code). */
export interface ResolvedRegion {
  name: string;
  kubeconfigSecretRef?: { name: string; key: string };
  readers: number;
  storage: { size: string; natsSize: string; storageClassName?: string };
  natsGatewayAddress?: string;
  postgresAddress?: string;
}

export interface ResolvedSpec {
  engineVersion: string;
  databaseName: string;
  primaryRegion: string;
  regions: ResolvedRegion[];
  maxLagSeconds: number;
  retention: { maxAgeSeconds: number; maxBytes: number };
  failover: { mode: FailoverMode; detectionSeconds: number; rpoGuardSeconds: number };
  natsClusterSize: 1 | 3;
}

export function resolveSpec(spec: GlobalDatabaseSpec): ResolvedSpec {
  return {
    engineVersion: spec.engine?.version ?? '15',
    databaseName: spec.database?.name ?? 'app',
    primaryRegion: spec.primaryRegion,
    regions: spec.regions.map((r) => {
      const out: ResolvedRegion = {
        name: r.name,
        readers: r.readers ?? 0,
        storage: { size: r.storage?.size ?? '1Gi', natsSize: r.storage?.natsSize ?? '1Gi' },
      };
      if (r.storage?.storageClassName) out.storage.storageClassName = r.storage.storageClassName;
      if (r.kubeconfigSecretRef)
        out.kubeconfigSecretRef = {
          name: r.kubeconfigSecretRef.name,
          key: r.kubeconfigSecretRef.key ?? 'kubeconfig',
        };
      if (r.natsGatewayAddress) out.natsGatewayAddress = r.natsGatewayAddress;
      if (r.postgresAddress) out.postgresAddress = r.postgresAddress;
      return out;
    }),
    maxLagSeconds: spec.replication?.maxLagSeconds ?? 1,
    retention: {
      maxAgeSeconds: spec.replication?.retention?.maxAgeSeconds ?? 86400,
      maxBytes: spec.replication?.retention?.maxBytes ?? 1073741824,
    },
    failover: {
      mode: spec.failover?.mode ?? 'manual',
      detectionSeconds: spec.failover?.detectionSeconds ?? 10,
      rpoGuardSeconds: spec.failover?.rpoGuardSeconds ?? 5,
    },
    natsClusterSize: spec.nats?.clusterSize ?? 1,
  };
}
