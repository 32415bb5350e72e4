/**
 * Pure builders for a local PostgreSQL 15 instance's configuration (postgresql.conf fragment, pg_hba.conf).
 * No I/O here: postgres.ts writes what these return.
 */

/** The superuser role every local region creates (initdb's bootstrap superuser). */
export const SUPERUSER = 'borealis';
/** The replicated application database every region creates. */
export const APP_DATABASE = 'app';

/** Settings every local region runs with; callers may override any of them (e.g. fsync=off in test suites). */
export const DEFAULT_POSTGRES_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  wal_level: 'logical',
  max_wal_senders: '20',
  max_replication_slots: '20',
  hot_standby: 'on',
  // Six regions plus readers share 2 cores and 24 GiB: keep each instance modest.
  shared_buffers: '64MB',
  max_connections: '100',
  // Logs go to stderr, which the topology appends to <dir>/postgres.log.
  logging_collector: 'off',
  log_destination: 'stderr',
  log_line_prefix: '%m [%p] %q%u@%d ',
  // A reader replica that falls behind briefly must not be cut off from the WAL it still needs.
  wal_keep_size: '256MB',
  hot_standby_feedback: 'on',
});

export interface PostgresConfInput {
  port: number;
  /** Folder for the unix socket (inside the instance's own directory). */
  socketDir: string;
  /** Overrides merged over DEFAULT_POSTGRES_SETTINGS (keys are PostgreSQL GUC names). */
  settings?: Record<string, string>;
}

const GUC_NAME = /^[a-z_][a-z0-9_.]*$/;

/** Quotes a value for postgresql.conf: single quotes, embedded quotes doubled. */
export function quoteConfValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The full map of settings for one instance (defaults, then overrides, then address/port/socket). */
export function postgresSettings(input: PostgresConfInput): Record<string, string> {
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
    throw new RangeError(`PostgreSQL port must be an integer 1..65535, got ${input.port}`);
  }
  const merged: Record<string, string> = {
    ...DEFAULT_POSTGRES_SETTINGS,
    ...(input.settings ?? {}),
  };
  for (const key of Object.keys(merged)) {
    if (!GUC_NAME.test(key))
      throw new RangeError(`not a PostgreSQL setting name: ${JSON.stringify(key)}`);
  }
  // Local regions listen on loopback only; these are not overridable.
  merged.listen_addresses = '127.0.0.1';
  merged.port = String(input.port);
  merged.unix_socket_directories = input.socketDir;
  return merged;
}

/** Renders the settings as a postgresql.conf fragment (included from postgresql.conf as borealis.conf). */
export function renderPostgresConf(settings: Record<string, string>): string {
  const lines = ['# Written by the Borealis local topology; included from postgresql.conf.'];
  for (const [key, value] of Object.entries(settings))
    lines.push(`${key} = ${quoteConfValue(value)}`);
  return lines.join('\n') + '\n';
}

/**
 * pg_hba.conf of a local region: trust on the unix socket and on loopback only (a local testbed; never
 * reachable from another machine since the server listens on 127.0.0.1 only), for normal and replication
 * connections.
 */
export function renderPgHba(): string {
  return [
    '# Written by the Borealis local topology: trust on loopback only (local testbed).',
    '# TYPE  DATABASE     USER  ADDRESS        METHOD',
    'local   all          all                  trust',
    'host    all          all   127.0.0.1/32   trust',
    'host    all          all   ::1/128        trust',
    'local   replication  all                  trust',
    'host    replication  all   127.0.0.1/32   trust',
    'host    replication  all   ::1/128        trust',
    '',
  ].join('\n');
}

/** postgres:// URL of a database on a local instance as the superuser. */
export function postgresUrl(
  port: number,
  database: string = APP_DATABASE,
  user: string = SUPERUSER,
): string {
  return `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}
