/** The metadata a change predicate looks at (any Kubernetes object has it). */
interface Meta {
  metadata: {
    generation?: number;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

const same = (a: unknown, b: unknown): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Whether an update is more than a status write (controller-runtime's GenerationChanged predicate, plus the
 * metadata a reconcile acts on): the spec (generation), deletion, finalizers, labels or annotations changed.
 * A controller that re-queued itself on its own status writes would reconcile in a tight loop whenever the
 * status moves on every pass (lag); status-only changes are picked up by the periodic re-queue instead.
 */
export function specOrMetadataChanged(obj: Meta, old: Meta): boolean {
  const a = obj.metadata;
  const b = old.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !same(a.finalizers, b.finalizers) ||
    !same(a.labels, b.labels) ||
    !same(a.annotations, b.annotations)
  );
}
