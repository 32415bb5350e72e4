import { API_VERSION, resolveSpec, type DrillFault, type GlobalDatabase } from '../api/index.js';
import type { DrillHarness, ProberRun } from '../controllers/failover-drill/harness.js';
import type { ClusterClients } from '../controllers/global-database/clusters.js';
import { regionPostgresUrl, type RegionRef } from '../failover/index.js';
import { OPERATOR_CLUSTER, clusterOf } from '../specs/index.js';
import type { FaultInjector } from './faults.js';
import { LedgerProber } from './prober.js';

/** A region's PostgreSQL URL as the operator reaches it (tests on a local topology override it). */
export type RegionUrlResolver = (gdb: GlobalDatabase, region: string) => string | Promise<string>;

/**
 * The operator's drill harness: a ledger prober writing to whatever region the GlobalDatabase names primary
 * (its database pod in the operator's cluster, else its postgresAddress), and the fault injector.
 */
export class OperatorDrillHarness implements DrillHarness {
  constructor(
    private readonly clusters: ClusterClients,
    private readonly faults: FaultInjector,
    private readonly urlOverride?: RegionUrlResolver,
  ) {}

  private async gdb(ref: RegionRef): Promise<GlobalDatabase> {
    return this.clusters.local.get<GlobalDatabase>(
      API_VERSION,
      'GlobalDatabase',
      ref.namespace,
      ref.globalDatabase,
    );
  }

  private async urlOf(gdb: GlobalDatabase, region: string): Promise<string> {
    if (this.urlOverride) return this.urlOverride(gdb, region);
    return regionPostgresUrl(this.clusters.local, gdb, region, OPERATOR_CLUSTER);
  }

  async startProber(db: RegionRef & { writesPerSecond: number }): Promise<ProberRun> {
    return LedgerProber.start({
      resolveWriter: async () => {
        const g = await this.gdb(db);
        const primary = g.status?.primaryRegion ?? g.spec.primaryRegion;
        return { region: primary, url: await this.urlOf(g, primary) };
      },
      urlOf: async (region) => this.urlOf(await this.gdb(db), region),
      writesPerSecond: db.writesPerSecond,
      run: `${db.globalDatabase}-${new Date().toISOString()}`,
    });
  }

  async injectFault(ref: RegionRef, fault: DrillFault): Promise<() => Promise<void>> {
    const g = await this.gdb(ref);
    const region = resolveSpec(g.spec).regions.find((r) => r.name === ref.region);
    if (!region)
      throw new Error(
        `region ${ref.region} is not one of GlobalDatabase ${ref.globalDatabase}'s regions`,
      );
    const client = await this.clusters.get(clusterOf(region), ref.namespace);
    return this.faults.inject({ ...ref, client }, fault);
  }
}
