/** Names of every object the operator manages for a GlobalDatabase (DNS-1035 labels, ≤ 63 characters). */
export interface RegionObjectNames {
  config: string;
  agentSecret: string;
  database: string;
  databasePeers: string;
  readers: string;
  readersPeers: string;
  nats: string;
  natsPeers: string;
  readerService: string;
  apiService: string;
}

export function regionNames(gdb: string, region: string): RegionObjectNames {
  const p = `${gdb}-${region}`;
  return {
    config: `${p}-config`,
    agentSecret: `${p}-agent`,
    database: `${p}-db`,
    databasePeers: `${p}-db-peers`,
    readers: `${p}-readers`,
    readersPeers: `${p}-readers-peers`,
    nats: `${p}-nats`,
    natsPeers: `${p}-nats-peers`,
    readerService: `${p}-reader`,
    apiService: `${p}-api`,
  };
}

/** The Secret with the generated passwords/tokens shared by every region of one GlobalDatabase. */
export const credentialsSecretName = (gdb: string): string => `${gdb}-credentials`;
/** The writer endpoint Service: always selects the current primary's PostgreSQL pod. */
export const writerServiceName = (gdb: string): string => `${gdb}-writer`;

export const PORTS = {
  postgres: 5432,
  agentHttp: 8080,
  natsClient: 4222,
  natsCluster: 6222,
  natsGateway: 7222,
  natsMonitor: 8222,
} as const;

/** In-cluster DNS name of a Service. */
export const serviceHost = (service: string, namespace: string): string =>
  `${service}.${namespace}.svc`;
