export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  globalDatabase: 'borealis.dev/global-database',
  region: 'borealis.dev/region',
  postgres: 'borealis.dev/postgres',
} as const;

export const MANAGED_BY = 'borealis-operator';
export const FIELD_MANAGER = 'borealis-operator';
export const FINALIZER = 'borealis.dev/cleanup';
/** The namespace of the owning GlobalDatabase, on objects in other clusters (no ownerReference possible there). */
export const OWNER_NAMESPACE_ANNOTATION = 'borealis.dev/owner-namespace';

export type Component = 'database' | 'reader' | 'nats' | 'endpoint' | 'config' | 'credentials';

/** Labels every managed object carries: they drive clean-up, informer mapping and `kubectl get -l`. */
export function baseLabels(
  gdb: string,
  component: Component,
  region?: string,
): Record<string, string> {
  const l: Record<string, string> = {
    [LABELS.name]: 'borealis',
    [LABELS.instance]: gdb,
    [LABELS.component]: component,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.partOf]: 'borealis',
    [LABELS.globalDatabase]: gdb,
  };
  if (region) l[LABELS.region] = region;
  return l;
}

/** Selector for every object managed for one GlobalDatabase. */
export function managedSelector(gdb: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.globalDatabase}=${gdb}`;
}

/** Pod labels/selectors (a subset that never changes, as StatefulSet selectors are immutable). */
export function podSelector(
  gdb: string,
  region: string,
  component: 'database' | 'reader' | 'nats',
): Record<string, string> {
  return { [LABELS.globalDatabase]: gdb, [LABELS.region]: region, [LABELS.component]: component };
}
