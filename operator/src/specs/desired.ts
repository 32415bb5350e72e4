import type { ResolvedRegion, ResolvedSpec } from '../api/index.js';
import { regionConfigMap } from './config-map.js';
import type { Credentials, Images, RegionBuildContext } from './context.js';
import { agentConfig } from './agent-config.js';
import { agentSecret, credentialsSecret } from './secrets.js';
import { regionServices, writerService } from './services.js';
import {
  configHash,
  databaseStatefulSet,
  natsStatefulSet,
  readersStatefulSet,
} from './statefulsets.js';
import type { KubeObject } from './object.js';

/** Which cluster a region runs in: the operator's own ("local") or one named by a kubeconfig Secret. */
export type ClusterRef = { kind: 'local' } | { kind: 'remote'; secretName: string; key: string };

export function clusterOf(region: ResolvedRegion): ClusterRef {
  return region.kubeconfigSecretRef
    ? {
        kind: 'remote',
        secretName: region.kubeconfigSecretRef.name,
        key: region.kubeconfigSecretRef.key,
      }
    : { kind: 'local' };
}
export function clusterId(c: ClusterRef): string {
  return c.kind === 'local' ? 'local' : `secret:${c.secretName}/${c.key}`;
}

export interface DesiredInput {
  gdb: { name: string; namespace: string; uid: string };
  spec: ResolvedSpec;
  primaryRegion: string;
  epoch: number;
  images: Images;
  credentials: Credentials;
}

export interface ClusterObjects {
  cluster: ClusterRef;
  objects: KubeObject[];
}

/** Every object of one region, pure. */
export function regionObjects(ctx: RegionBuildContext): KubeObject[] {
  const cm = regionConfigMap(ctx);
  // The primary term (role, epoch, primary, seed source) is left out of the hash: a promotion rewrites it, and
  // an agent resumes its term from its own database (borealis.agent_state) — a promotion must not roll every pod.
  const {
    role: _role,
    epoch: _epoch,
    primaryRegion: _primary,
    seed: _seed,
    ...termless
  } = agentConfig(ctx);
  const hash = configHash(cm['data'], termless);
  return [
    cm,
    agentSecret(ctx),
    databaseStatefulSet(ctx, hash),
    readersStatefulSet(ctx, hash),
    natsStatefulSet(ctx, hash),
    ...regionServices(ctx),
  ];
}

/** Every object the operator keeps for a GlobalDatabase, grouped by the cluster they live in. */
export function desiredObjects(input: DesiredInput): ClusterObjects[] {
  const byCluster = new Map<string, ClusterObjects>();
  for (const region of input.spec.regions) {
    const cluster = clusterOf(region);
    const id = clusterId(cluster);
    const sameClusterAsOwner = cluster.kind === 'local';
    let entry = byCluster.get(id);
    if (!entry) {
      entry = {
        cluster,
        objects: [credentialsSecret({ gdb: input.gdb, sameClusterAsOwner }, input.credentials)],
      };
      byCluster.set(id, entry);
    }
    const ctx: RegionBuildContext = { ...input, region, sameClusterAsOwner };
    entry.objects.push(...regionObjects(ctx));
    if (region.name === input.primaryRegion)
      entry.objects.push(
        writerService({ gdb: input.gdb, sameClusterAsOwner }, input.primaryRegion),
      );
  }
  return [...byCluster.values()];
}
