import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { mirrorStreamName, sourceStreamName, txSubject } from '../wire/index.js';

export interface RetentionSettings {
  maxAgeSeconds: number;
  maxBytes: number;
  duplicateWindowSeconds: number;
}

const nanos = (seconds: number): number => Math.round(seconds * 1e9);

/** Pure: the source stream's configuration, placed in the primary region's cluster. */
export function sourceStreamConfig(
  db: string,
  primaryRegion: string,
  r: RetentionSettings,
  epoch = 1,
): Partial<StreamConfig> & { name: string } {
  return {
    name: sourceStreamName(db, epoch),
    subjects: [txSubject(db, epoch)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(r.maxAgeSeconds),
    max_bytes: r.maxBytes,
    duplicate_window: nanos(r.duplicateWindowSeconds),
    num_replicas: 1,
    placement: { cluster: primaryRegion, tags: [] },
  };
}

/** Pure: a secondary region's mirror of the source stream, placed in its own cluster. */
export function mirrorStreamConfig(
  db: string,
  region: string,
  r: RetentionSettings,
  epoch = 1,
): Partial<StreamConfig> & { name: string } {
  return {
    name: mirrorStreamName(db, region, epoch),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(r.maxAgeSeconds),
    max_bytes: r.maxBytes,
    num_replicas: 1,
    placement: { cluster: region, tags: [] },
    mirror: { name: sourceStreamName(db, epoch) },
  };
}

/** Creates the stream, or checks the existing one is the same kind of stream. */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  const name = config.name;
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    return await jsm.streams.add(config);
  } catch (err) {
    // Another agent may have created it concurrently.
    if (String((err as Error).message).includes('already in use')) return jsm.streams.info(name);
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string; api_error?: { err_code?: number } };
  return (
    e?.api_error?.err_code === 10059 ||
    /stream not found/i.test(String(e?.message ?? '')) ||
    String(e?.code) === '404'
  );
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc, { timeout: 10_000 });
}
