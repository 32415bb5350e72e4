import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentStatus } from './status-types.js';

export interface HttpHandlers {
  status(): AgentStatus;
  ready(): boolean;
  metrics(): Promise<string>;
  metricsContentType: string;
}

/** The agent's HTTP port: /healthz, /readyz, /status (JSON), /metrics (Prometheus). */
export async function startHttpServer(host: string, port: number, h: HttpHandlers): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    void route(req, res, h);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function route(req: IncomingMessage, res: ServerResponse, h: HttpHandlers): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  try {
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(res, 200, 'text/plain', 'ok\n');
      case '/readyz':
        return h.ready() ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready\n');
      case '/status':
        return send(res, 200, 'application/json', `${JSON.stringify(h.status())}\n`);
      case '/metrics':
        return send(res, 200, h.metricsContentType, await h.metrics());
      default:
        return send(res, 404, 'text/plain', `no such endpoint: ${path}\n`);
    }
  } catch (err) {
    send(res, 500, 'text/plain', `${(err as Error).message}\n`);
  }
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
