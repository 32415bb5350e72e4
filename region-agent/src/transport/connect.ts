import { connect, type NatsConnection } from '@nats-io/transport-node';

/** Connects to this region's NATS servers; reconnects forever (the agent outlives NATS restarts). */
export async function connectNats(servers: string[], name: string): Promise<NatsConnection> {
  return connect({
    servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 5_000,
    // Every request (each JetStream publish) otherwise builds two Error objects with stack traces up
    // front for async context: ~18% of the capture agent's CPU in a profile at 1,000 tx/s (docs/benchmarks.md).
    noAsyncTraces: true,
  });
}
