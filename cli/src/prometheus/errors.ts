/** Base class of the errors of the Prometheus launcher and client. */
export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Prometheus did not start or did not become ready in time. */
export class PrometheusStartError extends PrometheusError {
  override name = 'PrometheusStartError';
}

/** Prometheus' HTTP API answered with an error (e.g. a PromQL parse error) or not at all. */
export class PrometheusQueryError extends PrometheusError {
  override name = 'PrometheusQueryError';
  constructor(
    message: string,
    readonly errorType?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
