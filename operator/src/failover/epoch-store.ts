import { API_VERSION, type GlobalDatabase } from '../api/index.js';
import { isConflict, type KubeClient } from '../runtime/index.js';
import type { EpochEntry } from './protocol.js';

export interface EpochRecord {
  epoch: number;
  primaryRegion: string;
  /** Every epoch so far with its fork (the agents need it to cross epochs). */
  history: EpochEntry[];
}

/**
 * The authoritative (epoch, primaryRegion, history) with compare-and-set. Kubernetes: GlobalDatabase.status in
 * the cluster holding the custom resources (docs/operator.md "Epoch store"); the interface lets another store
 * (e.g. the JetStream KV of the local topology) replace it.
 */
export interface EpochStore {
  read(namespace: string, name: string): Promise<EpochRecord | undefined>;
  /** Sets `next` only if the stored record still equals `expected`; false when someone else changed it. */
  compareAndSet(
    namespace: string,
    name: string,
    expected: EpochRecord,
    next: EpochRecord,
  ): Promise<boolean>;
}

/** The record a GlobalDatabase's status holds (history synthesised for epoch 1 when none was written yet). */
export function epochRecordOf(g: GlobalDatabase): EpochRecord | undefined {
  const s = g.status;
  if (!s?.epoch || !s.primaryRegion) return undefined;
  // No history yet (epoch 1, or a status written before the field existed): only the current term is known.
  const history = s.epochHistory?.length
    ? s.epochHistory
    : [
        {
          epoch: s.epoch,
          primary: s.primaryRegion,
          at: g.metadata.creationTimestamp ?? new Date(0).toISOString(),
        },
      ];
  return { epoch: s.epoch, primaryRegion: s.primaryRegion, history };
}

/**
 * EpochStore on GlobalDatabase.status: the compare-and-set is a status patch carrying the resourceVersion the
 * expected record was read at (the apiserver answers 409 Conflict if anything changed in between). etcd behind
 * the apiserver makes it linearizable; it lives in the management cluster, outside every region.
 */
export class StatusEpochStore implements EpochStore {
  constructor(
    private readonly client: KubeClient,
    private readonly fieldManager: string,
  ) {}

  private async get(namespace: string, name: string): Promise<GlobalDatabase> {
    return this.client.get<GlobalDatabase>(API_VERSION, 'GlobalDatabase', namespace, name);
  }

  async read(namespace: string, name: string): Promise<EpochRecord | undefined> {
    return epochRecordOf(await this.get(namespace, name));
  }

  async compareAndSet(
    namespace: string,
    name: string,
    expected: EpochRecord,
    next: EpochRecord,
  ): Promise<boolean> {
    // A 409 only says the object changed (status writes of the reconciler move its resourceVersion too): read again
    // and retry while the record itself is still the expected one.
    for (let attempt = 0; attempt < 20; attempt++) {
      const g = await this.get(namespace, name);
      const cur = epochRecordOf(g);
      if (cur?.epoch !== expected.epoch || cur.primaryRegion !== expected.primaryRegion)
        return false;
      try {
        await this.client.mergePatch(
          API_VERSION,
          'GlobalDatabase',
          namespace,
          name,
          {
            metadata: { resourceVersion: g.metadata.resourceVersion },
            status: {
              epoch: next.epoch,
              primaryRegion: next.primaryRegion,
              epochHistory: next.history,
            },
          },
          { subresource: 'status', fieldManager: this.fieldManager },
        );
        return true;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    return false;
  }
}
