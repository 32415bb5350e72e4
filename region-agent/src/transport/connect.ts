import { connect, type NatsConnection } from '@nats-io/transport-node';

/** Connects to this region's NATS servers; reconnects forever (the agent outlives NATS restarts). */
export async function connectNats(
  servers: string[],
  name: string,
  liveness: { pingIntervalMs?: number; maxPingOut?: number; connectTimeoutMs?: number } = {},
): Promise<NatsConnection> {
  return connect({
    servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // The control cluster's clients (epoch store) ping every second: a frozen server keeps its TCP connection
    // open, and only missed pongs move the client to another member.
    pingInterval: liveness.pingIntervalMs ?? 5_000,
    maxPingOut: liveness.maxPingOut ?? 2,
    // A frozen server still accepts TCP connections (kernel backlog) but never greets: without a short
    // connect timeout a reconnect can sit on it for the default 20 s.
    ...(liveness.connectTimeoutMs ? { timeout: liveness.connectTimeoutMs } : {}),
    // Every request (each JetStream publish) otherwise builds two Error objects with stack traces up
    // front for async context: ~18% of the capture agent's CPU in a profile at 1,000 tx/s (docs/benchmarks.md).
    noAsyncTraces: true,
  });
}
