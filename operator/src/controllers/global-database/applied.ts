import { createHash } from 'node:crypto';
import { objectKey, type KubeObject } from '../../specs/index.js';

/**
 * What the operator last applied to one cluster for one GlobalDatabase: the hash of the declared objects and
 * the resourceVersion each had right after the apply.
 */
export interface AppliedRecord {
  hash: string;
  resourceVersions: ReadonlyMap<string, string | undefined>;
}

/** Hash of a cluster's declared objects (the specs builders are deterministic for the same inputs). */
export function declaredHash(objects: readonly KubeObject[]): string {
  return createHash('sha256').update(JSON.stringify(objects)).digest('hex');
}

/**
 * Whether a cluster needs no apply and no prune: the declared objects are those last applied, and the cluster
 * holds exactly them, each unchanged since (same resourceVersion). Anything else — a declared change, an object
 * deleted, edited or scaled by someone (its resourceVersion moved), an extra object to prune — needs the full
 * apply. A controller's status update also moves a resourceVersion: that costs one no-op apply, after which the
 * new version is recorded. Remote clusters are not watched, so this check on every poll is what corrects drift.
 */
export function upToDate(
  last: AppliedRecord | undefined,
  hash: string,
  declared: readonly KubeObject[],
  existing: ReadonlyMap<string, KubeObject>,
): boolean {
  if (!last || last.hash !== hash || existing.size !== declared.length) return false;
  return declared.every((o) => {
    const k = objectKey(o);
    const found = existing.get(k);
    return found !== undefined && found.metadata.resourceVersion === last.resourceVersions.get(k);
  });
}
