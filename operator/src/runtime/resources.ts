import { UnknownResourceError } from './errors.js';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** The kinds the operator reads or writes (no discovery round trips; least-privilege RBAC lists the same). */
export const RESOURCES: readonly ResourceInfo[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  {
    apiVersion: 'borealis.dev/v1alpha1',
    kind: 'GlobalDatabase',
    plural: 'globaldatabases',
    namespaced: true,
  },
  {
    apiVersion: 'borealis.dev/v1alpha1',
    kind: 'FailoverDrill',
    plural: 'failoverdrills',
    namespaced: true,
  },
];

export function resourceInfo(apiVersion: string, kind: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.apiVersion === apiVersion && x.kind === kind);
  if (!r)
    throw new UnknownResourceError(
      `unknown resource ${apiVersion} ${kind}: add it to operator/src/runtime/resources.ts`,
    );
  return r;
}

/** REST path of a collection (name omitted) or of one object. */
export function resourcePath(
  r: ResourceInfo,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  let p = `${base}${ns}/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}
