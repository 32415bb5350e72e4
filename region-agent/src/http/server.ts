import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentStatus } from './status-types.js';

export interface HttpHandlers {
  status(): AgentStatus;
  ready(): boolean;
  metrics(): Promise<string>;
  metricsContentType: string;
  /** The Data API (region-agent/src/data-api): every path under /v1/, any method. */
  dataApi?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  /** Promotion admin API: POST /admin/<op> with a JSON body (docs/promotion.md). */
  admin?: (path: string, body: unknown) => Promise<{ code: number; body: unknown }>;
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
    if (path?.startsWith('/v1/') && h.dataApi) return await h.dataApi(req, res, path);
    if (path?.startsWith('/admin/') && h.admin) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed\n');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        return send(res, 400, 'application/json', `${JSON.stringify({ error: 'body is not JSON' })}\n`);
      }
      const r = await h.admin(path, body);
      return send(res, r.code, 'application/json', `${JSON.stringify(r.body)}\n`);
    }
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
