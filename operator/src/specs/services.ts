import type { RegionBuildContext } from './context.js';
import { LABELS, podSelector } from './labels.js';
import { PORTS, regionNames, writerServiceName } from './names.js';
import { meta, type KubeObject, type MetaInput } from './object.js';

type Port = { name: string; port: number; targetPort: number };

function service(
  m: KubeObject['metadata'],
  selector: Record<string, string>,
  ports: Port[],
  headless: boolean,
  publishNotReady = headless,
): KubeObject {
  const spec: Record<string, unknown> = {
    selector,
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
  };
  if (headless) spec['clusterIP'] = 'None';
  else spec['type'] = 'ClusterIP';
  if (publishNotReady) spec['publishNotReadyAddresses'] = true;
  return { apiVersion: 'v1', kind: 'Service', metadata: m, spec };
}

const pg: Port = { name: 'postgres', port: PORTS.postgres, targetPort: PORTS.postgres };
const http: Port = { name: 'http', port: PORTS.agentHttp, targetPort: PORTS.agentHttp };

export function regionServices(ctx: RegionBuildContext): KubeObject[] {
  const { gdb, region } = ctx;
  const n = regionNames(gdb.name, region.name);
  const m = (name: string): KubeObject['metadata'] => meta(ctx, name, 'endpoint', region.name);
  return [
    service(m(n.databasePeers), podSelector(gdb.name, region.name, 'database'), [pg, http], true),
    service(m(n.readersPeers), podSelector(gdb.name, region.name, 'reader'), [pg], true),
    service(
      m(n.natsPeers),
      podSelector(gdb.name, region.name, 'nats'),
      [{ name: 'cluster', port: PORTS.natsCluster, targetPort: PORTS.natsCluster }],
      true,
    ),
    service(
      m(n.nats),
      podSelector(gdb.name, region.name, 'nats'),
      [
        { name: 'client', port: PORTS.natsClient, targetPort: PORTS.natsClient },
        { name: 'gateway', port: PORTS.natsGateway, targetPort: PORTS.natsGateway },
        { name: 'monitor', port: PORTS.natsMonitor, targetPort: PORTS.natsMonitor },
      ],
      false,
    ),
    // Reader endpoint: the region's writer/replica and its reader replicas.
    service(
      m(n.readerService),
      {
        [LABELS.globalDatabase]: gdb.name,
        [LABELS.region]: region.name,
        [LABELS.postgres]: 'true',
      },
      [pg],
      false,
    ),
    // Data API (and the agent's /status, /metrics). Not-ready agents stay reachable: the operator reads why they
    // are not ready from /status, and a not-ready agent answers the Data API with a retryable 503 itself.
    service(m(n.apiService), podSelector(gdb.name, region.name, 'database'), [http], false, true),
  ];
}

/** Writer endpoint: always selects the current primary region's PostgreSQL pod (DESIGN §5). */
export function writerService(input: MetaInput, primaryRegion: string): KubeObject {
  return service(
    meta(input, writerServiceName(input.gdb.name), 'endpoint'),
    podSelector(input.gdb.name, primaryRegion, 'database'),
    [pg],
    false,
  );
}
