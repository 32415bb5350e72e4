import { KubeClient } from '../../runtime/index.js';
import type { ClusterRef } from '../../specs/index.js';

/** Default request time limit towards a region's cluster, ms. */
export const REMOTE_TIMEOUT_MS = 2_500;

export class ClusterAccessError extends Error {
  override readonly name = 'ClusterAccessError';
}

interface SecretLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** Clients of the clusters regions run in: the operator's own, or one built from a kubeconfig Secret. */
export class ClusterClients {
  private readonly cache = new Map<string, { rv: string; client: KubeClient }>();

  constructor(readonly local: KubeClient) {}

  async get(ref: ClusterRef, namespace: string): Promise<KubeClient> {
    if (ref.kind === 'local') return this.local;
    const secret = await this.local.getOrUndefined<SecretLike>(
      'v1',
      'Secret',
      namespace,
      ref.secretName,
    );
    if (!secret)
      throw new ClusterAccessError(
        `kubeconfig Secret ${namespace}/${ref.secretName} (spec.regions[].kubeconfigSecretRef) does not exist: create it with key "${ref.key}"`,
      );
    const raw = secret.data?.[ref.key];
    if (!raw)
      throw new ClusterAccessError(
        `kubeconfig Secret ${namespace}/${ref.secretName} has no key "${ref.key}": set kubeconfigSecretRef.key to the key holding the kubeconfig`,
      );
    const id = `${namespace}/${ref.secretName}/${ref.key}`;
    const cached = this.cache.get(id);
    if (cached && cached.rv === secret.metadata.resourceVersion) return cached.client;
    let client: KubeClient;
    try {
      // A region's cluster can be frozen or cut off (the very faults drills inject): a short limit keeps one dead
      // cluster from holding a reconcile (and so failure detection) for the default 30 s.
      client = KubeClient.fromString(
        Buffer.from(raw, 'base64').toString('utf8'),
      ).withDefaultTimeout(REMOTE_TIMEOUT_MS);
    } catch (err) {
      throw new ClusterAccessError(
        `kubeconfig in Secret ${namespace}/${ref.secretName} key "${ref.key}" is invalid: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.cache.set(id, { rv: secret.metadata.resourceVersion ?? '', client });
    return client;
  }
}
