import { resolveSpec, type GlobalDatabase } from '../api/index.js';
import type {
  AgentStatusReport,
  AgentStatusSource,
  AgentTarget,
} from '../controllers/global-database/agent-status.js';
import type { ClusterClients } from '../controllers/global-database/clusters.js';
import type { KubeClient, KubeObjectLike } from '../runtime/index.js';
import {
  clusterOf,
  OPERATOR_CLUSTER,
  credentialsFromSecretData,
  credentialsSecretName,
  postgresHostPort,
  postgresUrl,
} from '../specs/index.js';
import type { PromotionDriver } from './promotion-driver.js';

/** Overrides where a region's PostgreSQL is reached (tests on a local topology: 127.0.0.1 ports). */
export type SeedUrlResolver = (
  gdb: GlobalDatabase,
  region: string,
  primary: string,
) => string | Promise<string>;

/**
 * The promotion driver of the operator: agents are reached like for status (in-cluster Service, or the remote
 * apiserver's service proxy through the region's kubeconfig Secret); seed sources are the new primary's
 * database pod (same cluster) or its declared postgresAddress (another cluster).
 */
export class AgentPromotionDriver implements PromotionDriver {
  constructor(
    private readonly clusters: ClusterClients,
    private readonly agents: AgentStatusSource,
    private readonly seedUrlOverride?: SeedUrlResolver,
  ) {}

  private async target(gdb: GlobalDatabase, region: string): Promise<AgentTarget> {
    const ns = gdb.metadata.namespace ?? 'default';
    const r = resolveSpec(gdb.spec).regions.find((x) => x.name === region);
    if (!r)
      throw new Error(
        `region "${region}" is not one of GlobalDatabase ${ns}/${gdb.metadata.name}'s regions`,
      );
    const cluster = clusterOf(r);
    return {
      namespace: ns,
      globalDatabase: gdb.metadata.name,
      region,
      client: await this.clusters.get(cluster, ns),
      remote: cluster.kind === 'remote',
    };
  }

  async status(gdb: GlobalDatabase, region: string, timeoutMs: number): Promise<AgentStatusReport> {
    return this.agents.fetch(await this.target(gdb, region), timeoutMs);
  }

  async admin<T>(
    gdb: GlobalDatabase,
    region: string,
    op: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<T> {
    return this.agents.admin<T>(await this.target(gdb, region), op, body, timeoutMs);
  }

  async seedUrl(gdb: GlobalDatabase, region: string, primary: string): Promise<string> {
    if (this.seedUrlOverride) return this.seedUrlOverride(gdb, region, primary);
    return regionPostgresUrl(this.clusters.local, gdb, primary, region);
  }
}

/**
 * postgresql:// URL (superuser, generated password) of region `to`'s database as reached from region `from`, or
 * from the operator's own cluster (OPERATOR_CLUSTER).
 */
export async function regionPostgresUrl(
  local: KubeClient,
  gdb: GlobalDatabase,
  to: string,
  from: string | typeof OPERATOR_CLUSTER,
): Promise<string> {
  const ns = gdb.metadata.namespace ?? 'default';
  const name = credentialsSecretName(gdb.metadata.name);
  const secret = await local.get<KubeObjectLike & { data?: Record<string, string> }>(
    'v1',
    'Secret',
    ns,
    name,
  );
  const creds = credentialsFromSecretData(secret.data);
  if (!creds) throw new Error(`Secret ${ns}/${name} holds no credentials`);
  const spec = resolveSpec(gdb.spec);
  return postgresUrl(
    postgresHostPort({ name: gdb.metadata.name, namespace: ns }, spec, to, from),
    creds.postgresPassword,
    spec.databaseName,
  );
}
