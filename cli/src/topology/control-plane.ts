import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TopologyError } from './errors.js';

export interface ControlPlaneSource {
  /** Open connections per endpoint name ("writer", "reader-<region>"), read at scrape time. */
  endpointConnections(): { endpoint: string; connections: number }[];
  /** The topology document served at GET /topology. */
  describe(): unknown;
}

/**
 * The supervisor's control-plane HTTP endpoint: GET /metrics (Prometheus text; endpoint connection gauges
 * computed at collect time, plus Node process metrics), GET /topology (describe()), GET /healthz.
 */
export class ControlPlane {
  readonly registry = new Registry();
  private readonly server: Server;
  private portNumber = 0;
  /** Extra routes (promotion API, cli/src/promotion/http.ts): return true when the request was handled. */
  routes: ((req: IncomingMessage, res: ServerResponse, path: string) => boolean) | null = null;

  private constructor(source: ControlPlaneSource) {
    collectDefaultMetrics({ register: this.registry });
    // promtool check metrics rejects prom-client's gauges named *_total (nodejs_active_* carry the same figures).
    for (const n of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      this.registry.removeSingleMetric(n);
    new Gauge({
      name: 'borealis_endpoint_connections',
      help: 'Client connections open through a local topology endpoint (writer or reader-<region>).',
      labelNames: ['endpoint'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const e of source.endpointConnections())
          this.set({ endpoint: e.endpoint }, e.connections);
      },
    });
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (this.routes?.(req, res, path ?? '/')) return;
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (path === '/metrics') {
        this.registry
          .metrics()
          .then((text) =>
            res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          )
          .catch((err: unknown) => res.writeHead(500).end(String(err)));
      } else if (path === '/topology') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(source.describe()));
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
  }

  static async start(source: ControlPlaneSource, port = 0): Promise<ControlPlane> {
    const cp = new ControlPlane(source);
    await new Promise<void>((resolve, reject) => {
      cp.server.once('error', (err) =>
        reject(
          new TopologyError(`control plane cannot listen on 127.0.0.1:${port}`, { cause: err }),
        ),
      );
      cp.server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    const address = cp.server.address();
    cp.portNumber = typeof address === 'object' && address ? address.port : 0;
    return cp;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
