import type { Condition, ConditionStatus } from './types.js';

/** The condition types of a GlobalDatabase (DESIGN §8). */
export const ConditionType = {
  Ready: 'Ready',
  Replicating: 'Replicating',
  Degraded: 'Degraded',
  FailingOver: 'FailingOver',
  /** FailoverDrill: the drill ended (status True) — see status.result for the outcome. */
  Completed: 'Completed',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Returns a new condition list with `input` set. lastTransitionTime changes only when the
 * status changes (as metav1 conditions require), so an unchanged condition keeps the object unchanged.
 */
export function setCondition(
  existing: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(existing ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime:
      prev && prev.status === input.status
        ? prev.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  if (generation !== undefined) next.observedGeneration = generation;
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function getCondition(
  list: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return list?.find((c) => c.type === type);
}

export function isTrue(list: readonly Condition[] | undefined, type: ConditionType): boolean {
  return getCondition(list, type)?.status === 'True';
}
