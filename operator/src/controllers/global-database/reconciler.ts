import type { Logger } from 'pino';
import {
  API_VERSION,
  resolveSpec,
  type GlobalDatabase,
  type GlobalDatabaseStatus,
  type ResolvedSpec,
} from '../../api/index.js';
import {
  decideFailover,
  epochRecordOf,
  primaryHealthy,
  type LeasePusher,
  type PromoteOptions,
  type PromotionCoordinator,
} from '../../failover/index.js';
import {
  isConflict,
  type EventRecorder,
  type KubeClient,
  type ReconcileResult,
} from '../../runtime/index.js';
import {
  LABELS,
  MANAGED_BY,
  FIELD_MANAGER,
  FINALIZER,
  OWNER_NAMESPACE_ANNOTATION,
  clusterId,
  clusterOf,
  credentialsFromSecretData,
  credentialsSecretName,
  desiredObjects,
  generateCredentials,
  managedSelector,
  objectKey,
  credentialsSecret,
  type ClusterRef,
  type Credentials,
  type Images,
  type KubeObject,
} from '../../specs/index.js';
import type { AgentStatusSource, RegionReport } from './agent-status.js';
import { declaredHash, upToDate, type AppliedRecord } from './applied.js';
import type { ClusterClients } from './clusters.js';
import { canonical, computeStatus } from './status.js';

/** The kinds the operator creates for a GlobalDatabase (pruned and cleaned up by label). */
export const MANAGED_KINDS: readonly { apiVersion: string; kind: string }[] = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
];

export interface GlobalDatabaseReconcilerOptions {
  clusters: ClusterClients;
  agents: AgentStatusSource;
  coordinator: PromotionCoordinator;
  /** The pushed write lease: told about every GlobalDatabase reconciled. */
  lease?: LeasePusher;
  events: EventRecorder;
  images: Images;
  log: Logger;
  /** Poll interval of the agents' status while nothing else happens. */
  pollIntervalMs: number;
}

interface PrimaryHealth {
  unhealthySince?: Date;
  lastHealthyAt?: Date;
  refusedReported?: boolean;
}

/** Level-based reconcile of one GlobalDatabase: objects in every region's cluster, status from the agents, promotions. */
export class GlobalDatabaseReconciler {
  private readonly health = new Map<string, PrimaryHealth>();
  private readonly rejoining = new Set<string>();
  private readonly rejoined = new Map<string, number>();
  private readonly applyErrors = new Map<string, string>();
  private readonly streamsCollectedBelow = new Map<string, number>();
  private readonly collecting = new Set<string>();
  /** What was last applied per GlobalDatabase and cluster (key `<ns>/<name>|<cluster id>`). */
  private readonly applied = new Map<string, AppliedRecord>();

  /** Drops the in-memory state of a deleted GlobalDatabase. */
  private forget(key: string): void {
    this.health.delete(key);
    this.applyErrors.delete(key);
    this.streamsCollectedBelow.delete(key);
    for (const k of this.applied.keys()) if (k.startsWith(`${key}|`)) this.applied.delete(k);
  }

  constructor(private readonly o: GlobalDatabaseReconcilerOptions) {}

  private get local(): KubeClient {
    return this.o.clusters.local;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const key = `${namespace}/${name}`;
    let gdb = await this.local.getOrUndefined<GlobalDatabase>(
      API_VERSION,
      'GlobalDatabase',
      namespace,
      name,
    );
    // The lease pusher gets the live object with its new status at the end of a reconcile; here only its end.
    if (!gdb || gdb.metadata.deletionTimestamp) this.o.lease?.track(key, undefined);
    if (!gdb) {
      this.forget(key);
      return {};
    }
    if (gdb.metadata.deletionTimestamp) return this.finalize(gdb);
    gdb = await this.ensureFinalizer(gdb);
    const spec = resolveSpec(gdb.spec);
    const epoch = gdb.status?.epoch ?? 1;
    const primaryRegion = gdb.status?.primaryRegion ?? spec.primaryRegion;
    const credentials = await this.ensureCredentials(gdb);

    // Applying and probing run side by side: a region cluster that does not answer must not delay seeing its agent
    // fail (failure detection runs on the probe).
    // Applying and probing run side by side, and the status (failure detection) is written as soon as the probe
    // answered: a region cluster that does not answer must not delay seeing its agent fail. An apply error shows
    // from the reconcile that finds it (the previous one's until then).
    const applying = this.applyAll(gdb, spec, primaryRegion, epoch, credentials).then(
      () => undefined,
      async (err: unknown) => {
        const message = (err as Error).message;
        await this.o.events.record(gdb, 'Warning', 'ApplyFailed', message);
        return message;
      },
    );
    const reports = await this.probe(gdb, spec);
    const applyError = this.applyErrors.get(key);
    this.bringBackStragglers(gdb, reports);
    this.collectOldStreams(gdb, reports);
    const switchover = await this.maybeSwitchover(gdb, spec, primaryRegion);
    // The status changed under this reconcile (requestedPrimaryRegion): write the rest from a fresh read.
    if (switchover.started) {
      await applying;
      return { requeueAfterMs: 200 };
    }
    let promotionProblem = switchover.problem;
    promotionProblem =
      (await this.maybeFailover(gdb, spec, primaryRegion, reports)) ?? promotionProblem;

    const promoting = this.o.coordinator.current(namespace, name);
    const statusInput: Parameters<typeof computeStatus>[0] = {
      spec,
      generation: gdb.metadata.generation,
      current: gdb.status,
      epoch,
      primaryRegion,
      reports,
      now: new Date(),
    };
    if (applyError) statusInput.applyError = applyError;
    if (promoting) statusInput.promoting = promoting;
    if (promotionProblem) statusInput.promotionProblem = promotionProblem;
    const status = computeStatus(statusInput);
    await this.writeStatus(gdb, status);
    this.o.lease?.track(key, { ...gdb, status });
    const applied = await applying;
    if (applied !== applyError) {
      if (applied) this.applyErrors.set(key, applied);
      else this.applyErrors.delete(key);
      return { requeueAfterMs: 100 };
    }
    return {
      requeueAfterMs:
        promoting || this.health.get(key)?.unhealthySince
          ? Math.min(1000, this.o.pollIntervalMs)
          : this.o.pollIntervalMs,
    };
  }

  private async ensureFinalizer(gdb: GlobalDatabase): Promise<GlobalDatabase> {
    const finalizers = gdb.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return gdb;
    return this.local.mergePatch<GlobalDatabase>(
      API_VERSION,
      'GlobalDatabase',
      gdb.metadata.namespace,
      gdb.metadata.name,
      {
        metadata: {
          finalizers: [...finalizers, FINALIZER],
          resourceVersion: gdb.metadata.resourceVersion,
        },
      },
    );
  }

  /** The generated passwords/tokens: created once in the GlobalDatabase's namespace, then read back forever. */
  private async ensureCredentials(gdb: GlobalDatabase): Promise<Credentials> {
    const ns = gdb.metadata.namespace ?? 'default';
    const name = credentialsSecretName(gdb.metadata.name);
    const existing = await this.local.getOrUndefined<
      KubeObject & { data?: Record<string, string> }
    >('v1', 'Secret', ns, name);
    const found = credentialsFromSecretData(existing?.data);
    if (found) return found;
    const fresh = generateCredentials();
    const secret = credentialsSecret(
      {
        gdb: { name: gdb.metadata.name, namespace: ns, uid: gdb.metadata.uid ?? '' },
        sameClusterAsOwner: true,
      },
      fresh,
    );
    try {
      if (existing)
        await this.local.replace({
          ...secret,
          metadata: { ...secret.metadata, resourceVersion: existing.metadata.resourceVersion },
        });
      else await this.local.create(secret, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (isConflict(err))
        throw new Error(`credentials Secret ${ns}/${name} changed while being created; retrying`, {
          cause: err,
        });
      throw err;
    }
    await this.o.events.record(
      gdb,
      'Normal',
      'CredentialsGenerated',
      `generated passwords and tokens into Secret ${name}`,
    );
    return fresh;
  }

  private async applyAll(
    gdb: GlobalDatabase,
    spec: ResolvedSpec,
    primaryRegion: string,
    epoch: number,
    credentials: Credentials,
  ): Promise<void> {
    const ns = gdb.metadata.namespace ?? 'default';
    const groups = desiredObjects({
      gdb: { name: gdb.metadata.name, namespace: ns, uid: gdb.metadata.uid ?? '' },
      spec,
      primaryRegion,
      epoch,
      images: this.o.images,
      credentials,
    });
    const errors: string[] = [];
    // One cluster after another would let a frozen region cluster hold back every other (e.g. moving the writer
    // Service to a new primary's cluster during a failover): clusters are applied side by side.
    const applyGroup = async (group: (typeof groups)[number]): Promise<void> => {
      const recordKey = `${ns}/${gdb.metadata.name}|${clusterId(group.cluster)}`;
      try {
        const client = await this.o.clusters.get(group.cluster, ns);
        const hash = declaredHash(group.objects);
        const existing = await this.listManaged(client, gdb, group.cluster);
        // Nothing declared changed and nothing in the cluster moved: no apply (a server-side apply of every
        // object on every poll kept each region's apiserver at ~4x its idle CPU, docs/kind.md "1 + 5 regions").
        if (upToDate(this.applied.get(recordKey), hash, group.objects, existing)) return;
        this.applied.delete(recordKey);
        if (group.cluster.kind === 'remote') await this.ensureNamespace(client, ns);
        const created: string[] = [];
        const updated: string[] = [];
        const resourceVersions = new Map<string, string | undefined>();
        for (const obj of group.objects) {
          const k = objectKey(obj);
          const before = existing.get(k);
          const after = await client.apply<KubeObject>(obj, {
            fieldManager: FIELD_MANAGER,
            force: true,
          });
          resourceVersions.set(k, after.metadata.resourceVersion);
          if (!before) created.push(k);
          else if (before.metadata.resourceVersion !== after.metadata.resourceVersion)
            updated.push(k);
          existing.delete(k);
        }
        const pruned: string[] = [];
        for (const [k, o] of existing) {
          if (await client.delete(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name))
            pruned.push(k);
        }
        const where =
          group.cluster.kind === 'local'
            ? 'this cluster'
            : `cluster of Secret ${group.cluster.secretName}`;
        if (created.length)
          await this.o.events.record(
            gdb,
            'Normal',
            'Created',
            `created ${created.length} objects in ${where}: ${created.join(', ')}`,
          );
        if (updated.length)
          await this.o.events.record(
            gdb,
            'Normal',
            'Updated',
            `brought ${updated.length} objects in ${where} back to the declared state: ${updated.join(', ')}`,
          );
        if (pruned.length)
          await this.o.events.record(
            gdb,
            'Normal',
            'Pruned',
            `deleted ${pruned.length} objects no longer declared in ${where}: ${pruned.join(', ')}`,
          );
        this.applied.set(recordKey, { hash, resourceVersions });
      } catch (err) {
        this.applied.delete(recordKey);
        errors.push(`${clusterId(group.cluster)}: ${(err as Error).message}`);
      }
    };
    await Promise.all(groups.map(applyGroup));
    if (errors.length) throw new Error(`applying objects failed: ${errors.join('; ')}`);
  }

  /** A region in another cluster lives in a namespace of the same name there; create it when missing (never deleted). */
  private async ensureNamespace(client: KubeClient, namespace: string): Promise<void> {
    if (await client.getOrUndefined('v1', 'Namespace', undefined, namespace)) return;
    try {
      await client.create(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { [LABELS.managedBy]: MANAGED_BY } },
        },
        { fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  /** Objects in `cluster` carrying this GlobalDatabase's labels (and owned by it), by objectKey. */
  private async listManaged(
    client: KubeClient,
    gdb: GlobalDatabase,
    cluster: ClusterRef,
  ): Promise<Map<string, KubeObject>> {
    const out = new Map<string, KubeObject>();
    const ns = gdb.metadata.namespace ?? 'default';
    for (const k of MANAGED_KINDS) {
      const list = await client.list<KubeObject>(
        k.apiVersion,
        k.kind,
        ns,
        managedSelector(gdb.metadata.name),
      );
      for (const o of list.items) {
        const ours =
          cluster.kind === 'local'
            ? (o.metadata.ownerReferences ?? []).some((r) => r.uid === gdb.metadata.uid)
            : o.metadata.annotations?.[OWNER_NAMESPACE_ANNOTATION] === ns;
        if (ours) out.set(objectKey(o), o);
      }
    }
    return out;
  }

  private async probe(gdb: GlobalDatabase, spec: ResolvedSpec): Promise<RegionReport[]> {
    const ns = gdb.metadata.namespace ?? 'default';
    return Promise.all(
      spec.regions.map(async (r): Promise<RegionReport> => {
        const at = new Date();
        try {
          const cluster = clusterOf(r);
          const client = await this.o.clusters.get(cluster, ns);
          const status = await this.o.agents.fetch({
            namespace: ns,
            globalDatabase: gdb.metadata.name,
            region: r.name,
            client,
            remote: cluster.kind === 'remote',
          });
          return { region: r.name, status, at };
        } catch (err) {
          return { region: r.name, error: (err as Error).message, at };
        }
      }),
    );
  }

  /**
   * Once every region answers in the current epoch E (a secondary has applied into it), the streams of epochs
   * below E − 1 are deleted through the primary's agent: no catch-up path needs them any more (E − 1 is kept: it
   * holds the fork and a returning old primary's unreplicated transactions). JetStream reserves every stream's
   * max_bytes, so they would otherwise exhaust the servers' storage after some promotions.
   */
  private collectOldStreams(gdb: GlobalDatabase, reports: RegionReport[]): void {
    const ns = gdb.metadata.namespace ?? 'default';
    const key = `${ns}/${gdb.metadata.name}`;
    const record = epochRecordOf(gdb);
    if (!record || record.epoch < 3 || this.o.coordinator.current(ns, gdb.metadata.name)) return;
    const below = record.epoch - 1;
    if ((this.streamsCollectedBelow.get(key) ?? 0) >= below || this.collecting.has(key)) return;
    const allIn = reports.every((r) => {
      const st = r.status;
      const applied = st?.role === 'primary' ? st.epoch : st?.apply?.epoch;
      return st?.ready && st.epoch === record.epoch && applied === record.epoch;
    });
    if (!allIn) return;
    this.collecting.add(key);
    this.o.coordinator.agents
      .admin<{ deleted: string[] }>(
        gdb,
        record.primaryRegion,
        'drop-epoch-streams',
        { below, regions: reports.map((r) => r.region) },
        30_000,
      )
      .then((res) => {
        this.streamsCollectedBelow.set(key, below);
        if (res.deleted.length)
          this.o.log.info(
            { gdb: key, deleted: res.deleted },
            `deleted the streams of epochs below ${below}`,
          );
      })
      .catch((err: unknown) =>
        this.o.log.warn(
          { err: (err as Error).message, gdb: key },
          'stream clean-up failed; retrying',
        ),
      )
      .finally(() => this.collecting.delete(key));
  }

  /**
   * Regions behind the current epoch: an old primary that answers again (after a failover, or a restart after a
   * kill) is fenced at once and rejoins as a secondary — re-seeded, its unreplicated transactions recorded in
   * borealis.lost_transactions and counted into status.lastFailover; a diverged secondary is re-seeded; a
   * secondary that missed the epoch change follows. Runs in the background, one operation per region at a time.
   */
  private bringBackStragglers(gdb: GlobalDatabase, reports: RegionReport[]): void {
    const ns = gdb.metadata.namespace ?? 'default';
    const record = epochRecordOf(gdb);
    if (!record || this.o.coordinator.current(ns, gdb.metadata.name)) return;
    const agents = this.o.coordinator.agents;
    for (const r of reports) {
      const st = r.status;
      if (!st || r.region === record.primaryRegion) continue;
      const behind = st.epoch < record.epoch;
      const diverged = !!st.promotion?.diverged;
      if (!behind && !diverged) continue;
      const key = `${ns}/${gdb.metadata.name}/${r.region}`;
      if (this.rejoining.has(key)) continue;
      const work = async (): Promise<void> => {
        if (st.role === 'primary' || diverged) {
          const seedUrl = await agents.seedUrl(gdb, r.region, record.primaryRegion);
          if (st.role === 'primary')
            await agents
              .admin(gdb, r.region, 'fence', { epoch: st.epoch, timeoutMs: 1_500 }, 5_000)
              .catch(() => undefined);
          const res = await agents.admin<{
            mode: string;
            lost: unknown[];
            lostUnknown: string | null;
          }>(
            gdb,
            r.region,
            'rejoin',
            {
              mode: 'reseed',
              epoch: record.epoch,
              primary: record.primaryRegion,
              history: record.history,
              seedUrl,
              force: diverged,
            },
            300_000,
          );
          await this.o.events.record(
            gdb,
            'Normal',
            'Rejoined',
            `region ${r.region} rejoined as a secondary of ${record.primaryRegion} (re-seeded; ${res.lost.length} lost transaction(s) recorded in borealis.lost_transactions${res.lostUnknown ? `; unknown: ${res.lostUnknown}` : ''})`,
          );
          if (st.role === 'primary')
            await this.o.coordinator.recordLoss(gdb, r.region, record.epoch, res.lost.length);
        } else if (!st.promotion?.applyHeld) {
          await this.o.coordinator.follow(gdb, r.region, record);
        }
      };
      // A region just brought into this epoch may still report the old one for a poll or two: not again so soon.
      const doneAt = this.rejoined.get(`${key}@${record.epoch}`);
      if (doneAt && Date.now() - doneAt < 30_000) continue;
      this.rejoining.add(key);
      work()
        .then(() => void this.rejoined.set(`${key}@${record.epoch}`, Date.now()))
        .catch((err: unknown) =>
          this.o.log.warn(
            { err: (err as Error).message, region: r.region },
            'region not brought into the current epoch yet; retrying',
          ),
        )
        .finally(() => this.rejoining.delete(key));
    }
  }

  /**
   * A changed spec.primaryRegion is a switchover request (never a re-creation): acted on once per new value
   * (status.requestedPrimaryRegion remembers it, also across operator restarts), so a failover or a drill that
   * moved the primary elsewhere is never undone behind the user's back. Returns a problem to show, if any.
   */
  private async maybeSwitchover(
    gdb: GlobalDatabase,
    spec: ResolvedSpec,
    primaryRegion: string,
  ): Promise<{ problem?: string; started?: true }> {
    const ns = gdb.metadata.namespace ?? 'default';
    if (!gdb.status?.primaryRegion || spec.primaryRegion === primaryRegion) return {};
    if (this.o.coordinator.current(ns, gdb.metadata.name)) return {};
    const requested = gdb.status.requestedPrimaryRegion ?? primaryRegion;
    if (requested === spec.primaryRegion) {
      const last = gdb.status.lastFailover;
      return last && last.result !== 'Succeeded' && last.to === spec.primaryRegion
        ? {
            problem: `switchover to ${spec.primaryRegion} ${last.result === 'Refused' ? 'refused' : 'failed'}: ${last.message ?? 'unknown error'} (primary stays ${primaryRegion}; set spec.primaryRegion to ${primaryRegion} and back to retry)`,
          }
        : {};
    }
    // Remember the request first (guarded by resourceVersion): a conflict means someone else acted; retry later.
    await this.local.mergePatch(
      API_VERSION,
      'GlobalDatabase',
      ns,
      gdb.metadata.name,
      {
        metadata: { resourceVersion: gdb.metadata.resourceVersion },
        status: { requestedPrimaryRegion: spec.primaryRegion },
      },
      { subresource: 'status', fieldManager: FIELD_MANAGER },
    );
    await this.o.events.record(
      gdb,
      'Normal',
      'SwitchoverRequested',
      `spec.primaryRegion changed from ${primaryRegion} to ${spec.primaryRegion}: switching over`,
    );
    void this.o.coordinator
      .promote(gdb, 'switchover', spec.primaryRegion)
      .then((r) =>
        this.o.events.record(
          gdb,
          r.ok ? 'Normal' : 'Warning',
          r.ok ? 'SwitchedOver' : 'SwitchoverFailed',
          r.ok
            ? `primary is now ${r.to} (epoch ${r.epoch})`
            : `switchover ${r.from} → ${r.to} failed: ${r.error}`,
        ),
      )
      .catch((err: unknown) =>
        this.o.events.record(gdb, 'Warning', 'SwitchoverFailed', (err as Error).message),
      );
    return { started: true };
  }

  private async maybeFailover(
    gdb: GlobalDatabase,
    spec: ResolvedSpec,
    primaryRegion: string,
    reports: RegionReport[],
  ): Promise<string | undefined> {
    const ns = gdb.metadata.namespace ?? 'default';
    const key = `${ns}/${gdb.metadata.name}`;
    const now = new Date();
    const h = this.health.get(key) ?? {};
    this.health.set(key, h);
    const primary = reports.find((r) => r.region === primaryRegion);
    if (primaryHealthy(primary)) {
      h.lastHealthyAt = now;
      this.o.coordinator.notePrimaryHealthy(ns, gdb.metadata.name, primary!.at);
      delete h.unhealthySince;
      h.refusedReported = false;
      return undefined;
    }
    h.unhealthySince ??= now;
    if (
      spec.failover.mode !== 'automatic' ||
      !gdb.status?.primaryRegion ||
      this.o.coordinator.current(ns, gdb.metadata.name)
    )
      return undefined;
    const decision = decideFailover({
      spec,
      primaryRegion,
      reports,
      primaryUnhealthySince: h.unhealthySince,
      primaryLastHealthyAt: h.lastHealthyAt,
      now,
    });
    if (decision.kind === 'refuse') {
      if (!h.refusedReported) {
        h.refusedReported = true;
        await this.o.events.record(gdb, 'Warning', 'FailoverRefused', decision.reason);
        await this.o.coordinator.recordRefusal(
          gdb,
          primaryRegion,
          decision.target,
          decision.reason,
        );
      }
      return decision.reason;
    }
    if (decision.kind !== 'failover') return undefined;
    await this.o.events.record(
      gdb,
      'Warning',
      'FailoverStarted',
      `${decision.reason}; promoting ${decision.target} (estimated RPO ${decision.estimatedRpoSeconds}s)`,
    );
    const opts: PromoteOptions = {};
    if (h.lastHealthyAt) opts.primaryLastHealthyAt = h.lastHealthyAt;
    // The coordinator re-chooses among the secondaries once their apply is held (the positions above may have moved).
    void this.o.coordinator
      .promote(gdb, 'failover', undefined, opts)
      .then((r) => {
        if (r.ok) delete h.unhealthySince;
        return this.o.events.record(
          gdb,
          r.ok ? 'Normal' : 'Warning',
          r.ok ? 'FailedOver' : 'FailoverFailed',
          r.ok
            ? `primary is now ${r.to} (epoch ${r.epoch})`
            : `failover ${r.from} → ${r.to} failed: ${r.error}`,
        );
      })
      .catch((err: unknown) =>
        this.o.events.record(gdb, 'Warning', 'FailoverFailed', (err as Error).message),
      );
    return undefined;
  }

  /** Writes status only when it changed, guarded by resourceVersion so a concurrent epoch change is never overwritten. */
  private async writeStatus(gdb: GlobalDatabase, status: GlobalDatabaseStatus): Promise<void> {
    const strip = (s: GlobalDatabaseStatus | undefined): unknown => {
      if (!s) return {};
      const rest = { ...s };
      delete rest.lastFailover;
      return rest;
    };
    if (canonical(strip(gdb.status)) === canonical(strip(status))) return;
    const patch: Record<string, unknown> = { ...status };
    delete patch['lastFailover'];
    // Drop fields that vanished (merge patch: null deletes).
    for (const k of Object.keys(gdb.status ?? {}))
      if (!(k in patch) && k !== 'lastFailover') patch[k] = null;
    await this.local.mergePatch(
      API_VERSION,
      'GlobalDatabase',
      gdb.metadata.namespace,
      gdb.metadata.name,
      { metadata: { resourceVersion: gdb.metadata.resourceVersion }, status: patch },
      { subresource: 'status', fieldManager: FIELD_MANAGER },
    );
    if (gdb.status?.phase !== status.phase)
      await this.o.events.record(
        gdb,
        status.phase === 'Ready' ? 'Normal' : 'Warning',
        `Phase${status.phase}`,
        `phase ${gdb.status?.phase ?? '(none)'} → ${status.phase}`,
      );
  }

  /** Deletion: remove every managed object in every region's cluster, then the finalizer. */
  private async finalize(gdb: GlobalDatabase): Promise<ReconcileResult> {
    if (!(gdb.metadata.finalizers ?? []).includes(FINALIZER)) return {};
    const ns = gdb.metadata.namespace ?? 'default';
    const spec = resolveSpec(gdb.spec);
    const clusters = new Map<string, ClusterRef>([['local', { kind: 'local' }]]);
    for (const r of spec.regions) clusters.set(clusterId(clusterOf(r)), clusterOf(r));
    let remaining = 0;
    for (const cluster of clusters.values()) {
      let client: KubeClient;
      try {
        client = await this.o.clusters.get(cluster, ns);
      } catch (err) {
        await this.o.events.record(
          gdb,
          'Warning',
          'CleanupSkipped',
          `cannot reach ${clusterId(cluster)} to clean up: ${(err as Error).message}`,
        );
        continue;
      }
      const objs = await this.listManaged(client, gdb, cluster);
      for (const o of objs.values())
        await client.delete(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
      remaining += (await this.listManaged(client, gdb, cluster)).size;
    }
    if (remaining > 0) return { requeueAfterMs: 1000 };
    await this.local.mergePatch(API_VERSION, 'GlobalDatabase', ns, gdb.metadata.name, {
      metadata: {
        finalizers: (gdb.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        resourceVersion: gdb.metadata.resourceVersion,
      },
    });
    this.forget(`${ns}/${gdb.metadata.name}`);
    return {};
  }
}

/** Maps an event on a managed object to the key of its GlobalDatabase. */
export function ownerKeyOf(o: KubeObject): string | undefined {
  const gdb = o.metadata.labels?.[LABELS.globalDatabase];
  if (!gdb) return undefined;
  const ns = o.metadata.annotations?.[OWNER_NAMESPACE_ANNOTATION] ?? o.metadata.namespace;
  return `${ns}/${gdb}`;
}
