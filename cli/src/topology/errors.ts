/** Base class of every error the local topology raises. */
export class TopologyError extends Error {
  override name = 'TopologyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A process (PostgreSQL, nats-server, agent) did not start or did not become ready in time. */
export class ProcessStartError extends TopologyError {
  override name = 'ProcessStartError';
}

/** No free port could be allocated on 127.0.0.1. */
export class PortAllocationError extends TopologyError {
  override name = 'PortAllocationError';
}

/** Options passed to startTopology() or a command are invalid. */
export class TopologyOptionsError extends TopologyError {
  override name = 'TopologyOptionsError';
}
