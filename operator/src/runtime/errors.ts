/** An error answer of the Kubernetes API (a metav1.Status), or a transport failure talking to it. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  get conflict(): boolean {
    return this.status === 409;
  }
  get gone(): boolean {
    return this.status === 410;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.notFound;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.conflict;

/** A kind the operator does not know how to address (not in the resource table). */
export class UnknownResourceError extends Error {
  override readonly name = 'UnknownResourceError';
}
