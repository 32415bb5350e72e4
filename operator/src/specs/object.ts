import { API_VERSION } from '../api/index.js';
import type { RegionBuildContext } from './context.js';
import { baseLabels, OWNER_NAMESPACE_ANNOTATION, type Component } from './labels.js';

/** A Kubernetes object as the operator applies it (server-side apply body). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    resourceVersion?: string;
    uid?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface MetaInput {
  gdb: RegionBuildContext['gdb'];
  sameClusterAsOwner: boolean;
}

export function meta(
  input: MetaInput,
  name: string,
  component: Component,
  region?: string,
  extraLabels: Record<string, string> = {},
): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = {
    name,
    namespace: input.gdb.namespace,
    labels: { ...baseLabels(input.gdb.name, component, region), ...extraLabels },
  };
  if (input.sameClusterAsOwner) {
    m.ownerReferences = [
      {
        apiVersion: API_VERSION,
        kind: 'GlobalDatabase',
        name: input.gdb.name,
        uid: input.gdb.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  } else {
    m.annotations = { [OWNER_NAMESPACE_ANNOTATION]: input.gdb.namespace };
  }
  return m;
}

/** "Kind/namespace/name" — stable identity of an object in one cluster. */
export function objectKey(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
