import { createHash } from 'node:crypto';
import type { RegionBuildContext } from './context.js';
import { LABELS, podSelector } from './labels.js';
import { CREDENTIAL_KEYS } from './secrets.js';
import { credentialsSecretName, PORTS, regionNames, serviceHost } from './names.js';
import { meta, type KubeObject } from './object.js';

/** Pod-template annotation holding a hash of the rendered config, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = 'borealis.dev/config-hash';

export function configHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

function volumeClaim(
  name: string,
  size: string,
  storageClassName: string | undefined,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: size } },
  };
  if (storageClassName) spec['storageClassName'] = storageClassName;
  return { metadata: { name }, spec };
}

const secretEnv = (name: string, secret: string, key: string): Record<string, unknown> => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

function postgresContainer(
  ctx: RegionBuildContext,
  mode: 'writer' | 'standby',
  writerHost: string,
): Record<string, unknown> {
  const creds = credentialsSecretName(ctx.gdb.name);
  const env: Record<string, unknown>[] = [
    { name: 'PG_MAJOR', value: ctx.spec.engineVersion },
    { name: 'BOREALIS_PG_MODE', value: mode },
    { name: 'BOREALIS_DATABASE', value: ctx.spec.databaseName },
    secretEnv('POSTGRES_PASSWORD', creds, CREDENTIAL_KEYS.postgresPassword),
    secretEnv('REPLICATION_PASSWORD', creds, CREDENTIAL_KEYS.replicationPassword),
  ];
  if (mode === 'standby') env.push({ name: 'WRITER_HOST', value: writerHost });
  return {
    name: 'postgres',
    image: ctx.images.region,
    imagePullPolicy: ctx.images.pullPolicy,
    command: ['sh', '/etc/borealis/postgres-entrypoint.sh'],
    env,
    ports: [{ name: 'postgres', containerPort: PORTS.postgres }],
    readinessProbe: {
      exec: {
        command: [
          'sh',
          '-c',
          `/usr/lib/postgresql/${ctx.spec.engineVersion}/bin/pg_isready -h 127.0.0.1 -p ${PORTS.postgres} -U postgres`,
        ],
      },
      periodSeconds: 5,
    },
    volumeMounts: [
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      {
        name: 'config',
        mountPath: '/etc/borealis/postgres-entrypoint.sh',
        subPath: 'postgres-entrypoint.sh',
      },
      { name: 'config', mountPath: '/etc/borealis/postgresql.conf', subPath: 'postgresql.conf' },
      { name: 'config', mountPath: '/etc/borealis/pg_hba.conf', subPath: 'pg_hba.conf' },
    ],
  };
}

/** The region's PostgreSQL writer (primary or logical replica) with its region agent beside it: one pod. */
export function databaseStatefulSet(ctx: RegionBuildContext, hash: string): KubeObject {
  const n = regionNames(ctx.gdb.name, ctx.region.name);
  const selector = podSelector(ctx.gdb.name, ctx.region.name, 'database');
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(ctx, n.database, 'database', ctx.region.name),
    spec: {
      serviceName: n.databasePeers,
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...selector, [LABELS.instance]: ctx.gdb.name, [LABELS.postgres]: 'true' },
          annotations: { [CONFIG_HASH_ANNOTATION]: hash },
        },
        spec: {
          containers: [
            postgresContainer(ctx, 'writer', ''),
            {
              name: 'region-agent',
              image: ctx.images.region,
              imagePullPolicy: ctx.images.pullPolicy,
              command: [
                'node',
                '/app/region-agent/dist/main.js',
                '--config',
                '/etc/borealis/agent/config.json',
              ],
              ports: [{ name: 'http', containerPort: PORTS.agentHttp }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 6,
              },
              volumeMounts: [{ name: 'agent', mountPath: '/etc/borealis/agent', readOnly: true }],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: n.config } },
            { name: 'agent', secret: { secretName: n.agentSecret } },
          ],
        },
      },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      volumeClaimTemplates: [
        volumeClaim('data', ctx.region.storage.size, ctx.region.storage.storageClassName),
      ],
    },
  };
}

/** 0–15 physical streaming standbys of the region's writer, behind the region's reader endpoint. */
export function readersStatefulSet(ctx: RegionBuildContext, hash: string): KubeObject {
  const n = regionNames(ctx.gdb.name, ctx.region.name);
  const selector = podSelector(ctx.gdb.name, ctx.region.name, 'reader');
  const writerHost = `${n.database}-0.${serviceHost(n.databasePeers, ctx.gdb.namespace)}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(ctx, n.readers, 'reader', ctx.region.name),
    spec: {
      serviceName: n.readersPeers,
      replicas: ctx.region.readers,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...selector, [LABELS.instance]: ctx.gdb.name, [LABELS.postgres]: 'true' },
          annotations: { [CONFIG_HASH_ANNOTATION]: hash },
        },
        spec: {
          containers: [postgresContainer(ctx, 'standby', writerHost)],
          volumes: [{ name: 'config', configMap: { name: n.config } }],
        },
      },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      volumeClaimTemplates: [
        volumeClaim('data', ctx.region.storage.size, ctx.region.storage.storageClassName),
      ],
    },
  };
}

/** The region's NATS JetStream cluster (1 or 3 servers), gateways to every other region. */
export function natsStatefulSet(ctx: RegionBuildContext, hash: string): KubeObject {
  const n = regionNames(ctx.gdb.name, ctx.region.name);
  const selector = podSelector(ctx.gdb.name, ctx.region.name, 'nats');
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(ctx, n.nats, 'nats', ctx.region.name),
    spec: {
      serviceName: n.natsPeers,
      replicas: ctx.spec.natsClusterSize,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...selector, [LABELS.instance]: ctx.gdb.name },
          annotations: { [CONFIG_HASH_ANNOTATION]: hash },
        },
        spec: {
          containers: [
            {
              name: 'nats',
              image: ctx.images.nats,
              imagePullPolicy: ctx.images.pullPolicy,
              command: ['/usr/local/bin/nats-server', '--config', '/etc/nats/nats.conf'],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'client', containerPort: PORTS.natsClient },
                { name: 'cluster', containerPort: PORTS.natsCluster },
                { name: 'gateway', containerPort: PORTS.natsGateway },
                { name: 'monitor', containerPort: PORTS.natsMonitor },
              ],
              readinessProbe: { httpGet: { path: '/healthz', port: 'monitor' }, periodSeconds: 5 },
              volumeMounts: [
                { name: 'jetstream', mountPath: '/data' },
                { name: 'config', mountPath: '/etc/nats/nats.conf', subPath: 'nats.conf' },
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: n.config } }],
        },
      },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      volumeClaimTemplates: [
        volumeClaim('jetstream', ctx.region.storage.natsSize, ctx.region.storage.storageClassName),
      ],
    },
  };
}
