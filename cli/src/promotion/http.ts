import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Topology } from '../topology/topology.js';
import { PromotionRefusedError, type Coordinator } from './coordinator.js';
import { runDrill, type DrillOptions } from './drill.js';

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * The control plane's promotion API (the CLI's switchover/failover/drill commands call it):
 * GET /promotion (epoch record, health, past promotions), POST /promotion/switchover {to},
 * POST /promotion/failover {to?, force?}, POST /promotion/drill {type, fault, region, writesPerSec, …},
 * POST /promotion/automatic {on}, POST /promotion/reconcile.
 */
export function promotionRoutes(topo: Topology, coord: Coordinator): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  return (req, res, path) => {
    if (!path.startsWith('/promotion')) return false;
    void (async () => {
      try {
        if (req.method === 'GET' && path === '/promotion') {
          return send(res, 200, {
            record: coord.current,
            health: coord.health(),
            automatic: coord.opts.automatic,
            detectionMs: coord.opts.detectionMs,
            rpoGuardSeconds: coord.opts.rpoGuardSeconds,
            promoting: coord.promoting,
            roles: topo.regions.map((r) => ({ region: r.name, role: r.role })),
            history: coord.history,
          });
        }
        if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
        const body = await readJson(req);
        switch (path) {
          case '/promotion/switchover':
            if (typeof body.to !== 'string') return send(res, 400, { error: 'body needs "to": a region name' });
            topo.region(body.to);
            return send(res, 200, await coord.switchover(body.to));
          case '/promotion/failover':
            if (typeof body.to === 'string') topo.region(body.to);
            return send(res, 200, await coord.failover({ to: body.to as string | undefined, force: body.force === true, reason: 'requested' }));
          case '/promotion/drill': {
            const r = await runDrill(topo, coord, body as unknown as DrillOptions);
            coord.metrics.rto.set(r.rtoSeconds ?? -1);
            coord.metrics.rpo.set(r.rpo.transactions);
            return send(res, 200, r);
          }
          case '/promotion/automatic':
            coord.setAutomatic(body.on === true);
            return send(res, 200, { automatic: coord.opts.automatic });
          case '/promotion/reconcile':
            return send(res, 200, await coord.reconcile());
          default:
            return send(res, 404, { error: `no such endpoint: ${path}` });
        }
      } catch (err) {
        const e = err as Error;
        const code = err instanceof PromotionRefusedError || e.name === 'TopologyOptionsError' ? 409 : 500;
        send(res, code, { error: e.message, name: e.name });
      }
    })();
    return true;
  };
}
