import type { RegionBuildContext } from './context.js';
import { PORTS, regionNames, serviceHost } from './names.js';

/** NATS server configuration of one region: a JetStream cluster named after the region, joined to the others by gateways. */
export function natsConfig(ctx: RegionBuildContext): string {
  const { gdb, spec, region } = ctx;
  const n = regionNames(gdb.name, region.name);
  const lines = [
    '# Rendered by the Borealis operator.',
    'server_name: $POD_NAME',
    `listen: 0.0.0.0:${PORTS.natsClient}`,
    `http: 0.0.0.0:${PORTS.natsMonitor}`,
    'jetstream {',
    '  store_dir: /data/jetstream',
    '}',
  ];
  // Always a cluster block: JetStream in a supercluster refuses to start without configured routes
  // ("JetStream cluster requires configured routes or solicited leafnode for the system account", seen on kind),
  // so a one-server region lists its own route (ignored as self), as the local topology does.
  const routes =
    spec.natsClusterSize > 1
      ? Array.from(
          { length: spec.natsClusterSize },
          (_, i) =>
            `nats://${n.nats}-${i}.${serviceHost(n.natsPeers, gdb.namespace)}:${PORTS.natsCluster}`,
        )
      : [`nats://127.0.0.1:${PORTS.natsCluster}`];
  lines.push(
    'cluster {',
    `  name: ${JSON.stringify(region.name)}`,
    `  listen: 0.0.0.0:${PORTS.natsCluster}`,
    `  routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}]`,
    '}',
  );
  const gateways = spec.regions
    .filter((r) => r.name !== region.name)
    .map((r) => {
      const addr =
        r.natsGatewayAddress ??
        `${serviceHost(regionNames(gdb.name, r.name).nats, gdb.namespace)}:${PORTS.natsGateway}`;
      return `    { name: ${JSON.stringify(r.name)}, urls: [${JSON.stringify(`nats://${addr}`)}] }`;
    });
  // Only the declared regions may connect: an unknown gateway is refused rather than joined implicitly.
  lines.push(
    'gateway {',
    `  name: ${JSON.stringify(region.name)}`,
    `  listen: 0.0.0.0:${PORTS.natsGateway}`,
    '  reject_unknown_cluster: true',
  );
  // A region reached at an address of its own (another cluster) advertises it, so that other regions never
  // gossip a pod IP of this cluster (kind clusters share one pod CIDR; such an IP may name a local pod there).
  if (region.natsGatewayAddress)
    lines.push(`  advertise: ${JSON.stringify(region.natsGatewayAddress)}`);
  if (gateways.length > 0) lines.push('  gateways: [', gateways.join(',\n'), '  ]');
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Extra postgresql.conf settings: logical decoding for capture, physical streaming for reader replicas. */
export function postgresqlConf(): string {
  return [
    '# Rendered by the Borealis operator.',
    "listen_addresses = '*'",
    `port = ${PORTS.postgres}`,
    'wal_level = logical',
    'max_wal_senders = 24',
    'max_replication_slots = 24',
    'hot_standby = on',
    'wal_keep_size = 256MB',
    '',
  ].join('\n');
}

export function pgHbaConf(): string {
  return [
    '# Rendered by the Borealis operator.',
    'local   all          all                 trust',
    'host    all          all   127.0.0.1/32  trust',
    'host    all          all   ::1/128       trust',
    'host    replication  replicator  all     scram-sha-256',
    'host    all          all   all           scram-sha-256',
    '',
  ].join('\n');
}

/**
 * Entrypoint of the PostgreSQL containers (mounted from the region ConfigMap, run by the region image's sh,
 * which has PostgreSQL under /usr/lib/postgresql/<major>/bin and a postgres user — hack/images/build.sh):
 * writer mode initialises the cluster on first start; standby mode clones the region's writer with pg_basebackup.
 */
export function postgresEntrypoint(): string {
  return `#!/bin/sh
# Rendered by the Borealis operator. Starts as root only to hand the volume to the postgres user.
set -eu
PGBIN="/usr/lib/postgresql/$PG_MAJOR/bin"
export PGDATA=/var/lib/postgresql/data/pgdata
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres /var/lib/postgresql/data && chmod 700 "$PGDATA"
  exec runuser -u postgres -- sh "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ "$BOREALIS_PG_MODE" = standby ]; then
    until PGPASSWORD="$REPLICATION_PASSWORD" "$PGBIN/pg_basebackup" -h "$WRITER_HOST" -p ${PORTS.postgres} -U replicator -D "$PGDATA" -R -X stream; do
      echo "waiting for $WRITER_HOST to serve a base backup" >&2; rm -rf "$PGDATA"/*; sleep 2
    done
  else
    pwfile=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
    "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    cat /etc/borealis/postgresql.conf >>"$PGDATA/postgresql.conf"
    cp /etc/borealis/pg_hba.conf "$PGDATA/pg_hba.conf"
    "$PGBIN/pg_ctl" -D "$PGDATA" -w start -o "-c listen_addresses=''"
    "$PGBIN/psql" -v ON_ERROR_STOP=1 -U postgres -d postgres -v rpw="$REPLICATION_PASSWORD" -v db="$BOREALIS_DATABASE" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'rpw';
CREATE DATABASE :"db";
SQL
    "$PGBIN/pg_ctl" -D "$PGDATA" -w stop
  fi
fi
exec "$PGBIN/postgres" -D "$PGDATA"
`;
}
