import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/**
 * A resolved connection to one apiserver. The operator loads kubeconfigs itself: @kubernetes/client-node 2.0.1
 * cannot be imported on Node 20 (its undici 8 needs Node ≥ 22.19), and a controller needs only these fields.
 */
export interface Connection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** Bearer token, or a file re-read on every request (rotating service-account tokens). */
  token?: string;
  tokenFile?: string;
  basicAuth?: { username: string; password: string };
  namespace?: string;
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Parses kubeconfig YAML (the current context, or `context`). Relative file paths resolve against `baseDir`. */
export function connectionFromKubeconfig(
  text: string,
  opts: { context?: string; baseDir?: string; source?: string } = {},
): Connection {
  const where = opts.source ?? 'kubeconfig';
  let raw: RawKubeconfig;
  try {
    raw = parse(text) as RawKubeconfig;
  } catch (err) {
    throw new KubeconfigError(`${where} is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!raw || typeof raw !== 'object') throw new KubeconfigError(`${where} is empty`);
  const ctxName = opts.context ?? raw['current-context'];
  if (!ctxName)
    throw new KubeconfigError(
      `${where} has no current-context: set one with kubectl config use-context`,
    );
  const ctx = raw.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx)
    throw new KubeconfigError(`${where}: context "${ctxName}" is not defined under contexts`);
  const cluster = raw.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster)
    throw new KubeconfigError(
      `${where}: cluster "${ctx.cluster}" of context "${ctxName}" is not defined under clusters`,
    );
  const user = raw.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const file = (p: unknown): Buffer | undefined => {
    const s = str(p);
    if (!s) return undefined;
    return readFileSync(isAbsolute(s) || !opts.baseDir ? s : join(opts.baseDir, s));
  };
  const data = (v: unknown): Buffer | undefined =>
    str(v) ? Buffer.from(str(v)!, 'base64') : undefined;
  const server = str(cluster['server']);
  if (!server) throw new KubeconfigError(`${where}: cluster "${ctx.cluster}" has no server URL`);
  const conn: Connection = { server: new URL(server) };
  const ca = data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) conn.insecureSkipTlsVerify = true;
  const cert = data(user['client-certificate-data']) ?? file(user['client-certificate']);
  const key = data(user['client-key-data']) ?? file(user['client-key']);
  if (cert) conn.cert = cert;
  if (key) conn.key = key;
  if (str(user['token'])) conn.token = str(user['token'])!;
  const tokenFile = str(user['tokenFile']);
  if (tokenFile)
    conn.tokenFile =
      isAbsolute(tokenFile) || !opts.baseDir ? tokenFile : join(opts.baseDir, tokenFile);
  if (str(user['username']) && str(user['password']))
    conn.basicAuth = { username: str(user['username'])!, password: str(user['password'])! };
  if (user['exec'] || user['auth-provider'])
    throw new KubeconfigError(
      `${where}: user "${ctx.user}" uses an exec/auth-provider plugin, which the operator does not run; use a token or client certificate`,
    );
  if (ctx.namespace) conn.namespace = ctx.namespace;
  return conn;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's service account (in-cluster config). */
export function inClusterConnection(): Connection {
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  const port = process.env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host || !existsSync(join(SA_DIR, 'token')))
    throw new KubeconfigError(
      'not running in a cluster (no KUBERNETES_SERVICE_HOST or service-account token)',
    );
  const conn: Connection = {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    tokenFile: join(SA_DIR, 'token'),
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
  };
  if (existsSync(join(SA_DIR, 'namespace')))
    conn.namespace = readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim();
  return conn;
}

/** --kubeconfig, else $KUBECONFIG (first entry), else ~/.kube/config, else in-cluster. */
export function defaultConnection(path?: string): Connection {
  const candidate =
    path ??
    process.env['KUBECONFIG']?.split(':').find((p) => p !== '') ??
    join(homedir(), '.kube', 'config');
  if (path || existsSync(candidate)) {
    if (!existsSync(candidate)) throw new KubeconfigError(`kubeconfig ${candidate} does not exist`);
    return connectionFromKubeconfig(readFileSync(candidate, 'utf8'), {
      baseDir: dirname(candidate),
      source: candidate,
    });
  }
  return inClusterConnection();
}
