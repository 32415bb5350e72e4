import type { ResolvedSpec } from '../api/index.js';
import { PORTS, regionNames, serviceHost } from './names.js';

const clusterKeyOf = (spec: ResolvedSpec, region: string): string => {
  const r = spec.regions.find((x) => x.name === region);
  if (!r)
    throw new Error(
      `region "${region}" is not one of spec.regions (${spec.regions.map((x) => x.name).join(', ')})`,
    );
  return r.kubeconfigSecretRef
    ? `${r.kubeconfigSecretRef.name}/${r.kubeconfigSecretRef.key}`
    : 'local';
};

/** The operator's own cluster, as a `from` of postgresHostPort. */
export const OPERATOR_CLUSTER = Symbol('operator-cluster');

/**
 * host:port of region `to`'s PostgreSQL (its database pod) as reached from region `from` (or from the operator's
 * cluster): the pod's DNS name through the headless Service within one cluster, the region's declared
 * `postgresAddress` across clusters. Pure.
 */
export function postgresHostPort(
  gdb: { name: string; namespace: string },
  spec: ResolvedSpec,
  to: string,
  from: string | typeof OPERATOR_CLUSTER,
): string {
  const target = spec.regions.find((r) => r.name === to);
  if (!target) throw new Error(`region "${to}" is not one of spec.regions`);
  const fromKey = from === OPERATOR_CLUSTER ? 'local' : clusterKeyOf(spec, from);
  if (fromKey === clusterKeyOf(spec, to)) {
    const n = regionNames(gdb.name, to);
    return `${n.database}-0.${serviceHost(n.databasePeers, gdb.namespace)}:${PORTS.postgres}`;
  }
  if (!target.postgresAddress)
    throw new Error(
      `region ${to} runs in another cluster and has no spec.regions[].postgresAddress: set it to a host:port of its PostgreSQL reachable from the other clusters`,
    );
  return target.postgresAddress;
}

/** A postgresql:// URL of the application database at `hostPort` for the operator's superuser. */
export function postgresUrl(hostPort: string, password: string, database: string): string {
  return `postgresql://postgres:${encodeURIComponent(password)}@${hostPort}/${database}`;
}
