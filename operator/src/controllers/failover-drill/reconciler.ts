import type { Logger } from 'pino';
import {
  API_VERSION,
  resolveSpec,
  type FailoverDrill,
  type FailoverDrillStatus,
  type GlobalDatabase,
} from '../../api/index.js';
import { PromotionBusyError, type PromotionCoordinator } from '../../failover/index.js';
import type { ClusterClients } from '../global-database/clusters.js';
import type { EventRecorder, KubeClient, ReconcileResult } from '../../runtime/index.js';
import { FIELD_MANAGER, LABELS, clusterOf, writerServiceName } from '../../specs/index.js';
import { runDrill } from './drill-runner.js';
import type { DrillHarness } from './harness.js';

export interface FailoverDrillReconcilerOptions {
  client: KubeClient;
  /** Clients of the region clusters (the writer Service lives in the primary's). */
  clusters: ClusterClients;
  coordinator: PromotionCoordinator;
  harness: DrillHarness;
  events: EventRecorder;
  log: Logger;
  /** Told every finished drill's status (metrics). */
  onResult?: (status: FailoverDrillStatus) => void;
}

/**
 * Runs each FailoverDrill once. A drill runs in the background of the process that started it; a drill found
 * mid-way with nobody running it (the operator restarted) is ended as Failed — its measurements would be wrong.
 */
export class FailoverDrillReconciler {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly o: FailoverDrillReconcilerOptions) {}

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const key = `${namespace}/${name}`;
    const drill = await this.o.client.getOrUndefined<FailoverDrill>(
      API_VERSION,
      'FailoverDrill',
      namespace,
      name,
    );
    if (!drill || drill.status?.result || this.running.has(key)) return {};
    if (drill.status?.phase && drill.status.phase !== 'Pending') {
      const message = `the operator restarted during phase ${drill.status.phase}: the drill was interrupted and its measurements are incomplete; create a new FailoverDrill`;
      await this.writeStatus(drill, {
        ...drill.status,
        result: 'Failed',
        phase: 'Completed',
        message,
        completedAt: new Date().toISOString(),
      });
      await this.o.events.record(drill, 'Warning', 'DrillInterrupted', message);
      return {};
    }
    await this.o.events.record(
      drill,
      'Normal',
      'DrillStarted',
      `${drill.spec.type} drill of GlobalDatabase ${drill.spec.globalDatabase}`,
    );
    const run = runDrill(drill, {
      getGlobalDatabase: (ns, n) =>
        this.o.client.getOrUndefined<GlobalDatabase>(API_VERSION, 'GlobalDatabase', ns, n),
      promote: async (gdb, type, to, opts) => {
        // An automatic failover the GlobalDatabase controller already started is the drill's failover.
        const ns = gdb.metadata.namespace ?? 'default';
        const running = this.o.coordinator.running(ns, gdb.metadata.name);
        if (running) return running;
        try {
          return await this.o.coordinator.promote(gdb, type, to, opts);
        } catch (err) {
          const joined =
            err instanceof PromotionBusyError
              ? this.o.coordinator.running(ns, gdb.metadata.name)
              : undefined;
          if (joined) return joined;
          throw err;
        }
      },
      writerRegion: async (gdb) => {
        // The writer Service lives in the current primary's cluster and selects that region's database pod.
        const g = await this.o.client.getOrUndefined<GlobalDatabase>(
          API_VERSION,
          'GlobalDatabase',
          gdb.metadata.namespace,
          gdb.metadata.name,
        );
        const primary =
          g && resolveSpec(g.spec).regions.find((r) => r.name === g.status?.primaryRegion);
        if (!g || !primary) return undefined;
        const client = await this.o.clusters.get(
          clusterOf(primary),
          g.metadata.namespace ?? 'default',
        );
        const svc = await client.getOrUndefined<{
          apiVersion: string;
          kind: string;
          metadata: { name: string };
          spec?: { selector?: Record<string, string> };
        }>('v1', 'Service', g.metadata.namespace, writerServiceName(g.metadata.name));
        return svc?.spec?.selector?.[LABELS.region];
      },
      writeStatus: (s) => this.writeStatus(drill, s),
      harness: this.o.harness,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => new Date(),
    })
      .then((s) => {
        this.o.onResult?.(s);
        return s;
      })
      .then((s) =>
        this.o.events.record(
          drill,
          s.result === 'Succeeded' ? 'Normal' : 'Warning',
          s.result === 'Succeeded' ? 'DrillSucceeded' : 'DrillFailed',
          s.message ?? '',
        ),
      )
      .catch((err: unknown) =>
        this.o.log.error({ err, drill: key }, 'drill run failed to write its status'),
      )
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
    return {};
  }

  /** Waits for drills started by this process (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async writeStatus(drill: FailoverDrill, status: FailoverDrillStatus): Promise<void> {
    await this.o.client.mergePatch(
      API_VERSION,
      'FailoverDrill',
      drill.metadata.namespace,
      drill.metadata.name,
      { status },
      { subresource: 'status', fieldManager: FIELD_MANAGER },
    );
  }
}
