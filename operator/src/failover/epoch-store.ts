import { API_VERSION, type GlobalDatabase } from '../api/index.js';
import { isConflict, type KubeClient } from '../runtime/index.js';

export interface EpochRecord {
  epoch: number;
  primaryRegion: string;
}

/**
 * The authoritative (epoch, primaryRegion) with compare-and-set. DESIGN §4 places it in a replicated
 * JetStream KV bucket on a control NATS cluster; this interface lets that store replace the default below.
 */
export interface EpochStore {
  read(namespace: string, name: string): Promise<EpochRecord | undefined>;
  /** Sets `next` only if the stored record still equals `expected`; false when someone else changed it. */
  compareAndSet(namespace: string, name: string, expected: EpochRecord, next: EpochRecord): Promise<boolean>;
}

/**
 * EpochStore on GlobalDatabase.status: the compare-and-set is a status patch carrying the resourceVersion the
 * expected record was read at (the apiserver answers 409 Conflict if anything changed in between).
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
    const g = await this.get(namespace, name);
    return g.status?.epoch && g.status.primaryRegion ? { epoch: g.status.epoch, primaryRegion: g.status.primaryRegion } : undefined;
  }

  async compareAndSet(namespace: string, name: string, expected: EpochRecord, next: EpochRecord): Promise<boolean> {
    const g = await this.get(namespace, name);
    if (g.status?.epoch !== expected.epoch || g.status.primaryRegion !== expected.primaryRegion) return false;
    try {
      await this.client.mergePatch(
        API_VERSION,
        'GlobalDatabase',
        namespace,
        name,
        { metadata: { resourceVersion: g.metadata.resourceVersion }, status: { epoch: next.epoch, primaryRegion: next.primaryRegion } },
        { subresource: 'status', fieldManager: this.fieldManager },
      );
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
