// Starts a real etcd + kube-apiserver for tests (envtest-style), built from the upstream
// Go sources by `bash hack/tools.sh install etcd kube-apiserver` into the tool cache.
//
//   const api = await startKubeApiServer();
//   // api.kubeconfigPath, api.url, api.kubectl(['get', 'ns'])
//   await api.stop();
//
// Everything listens on 127.0.0.1 on free ports; certificates (a throw-away CA, the
// serving certificate, an admin client certificate in system:masters) are made with
// openssl in a temp dir that stop() removes together with both processes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class ToolMissingError extends Error {
  override name = 'ToolMissingError';
  constructor(
    readonly tool: string,
    readonly path: string,
  ) {
    super(
      `${tool} is not built: expected an executable at ${path}. ` +
        `Build it with: bash hack/tools.sh install ${tool} (Kubernetes binaries are built together, ~12 min cold).`,
    );
  }
}

export class KubeApiServerError extends Error {
  override name = 'KubeApiServerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The pins of hack/versions.env (KUBERNETES_VERSION, ETCD_VERSION, …). */
export function pinnedVersions(): Record<string, string> {
  const file = join(import.meta.dirname, '..', '..', 'hack', 'versions.env');
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** Folder with the binaries built by hack/tools.sh (same rule as `hack/tools.sh path`). */
export function toolsBinDir(): string {
  return join(process.env.BOREALIS_TOOLS ?? join(homedir(), '.cache', 'borealis', 'tools'), 'bin');
}

/** Absolute path of a built tool; throws ToolMissingError with the command that builds it. */
export function toolPath(tool: string): string {
  const path = join(toolsBinDir(), tool);
  if (!existsSync(path)) throw new ToolMissingError(tool, path);
  return path;
}

/** True when etcd, kube-apiserver and kubectl are all built (for describe.skipIf). */
export function kubeApiServerToolsBuilt(): boolean {
  return ['etcd', 'kube-apiserver', 'kubectl'].every((t) => existsSync(join(toolsBinDir(), t)));
}

export interface StartKubeApiServerOptions {
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=...']. */
  extraApiServerArgs?: string[];
  /** How long to wait for etcd /health and apiserver /readyz (ms). Default 90 s. */
  readyTimeoutMs?: number;
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** kubeconfig file with an admin (system:masters) client certificate. */
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  readonly etcdUrl: string;
  /** Temp dir holding certs, data and logs (removed by stop()). */
  readonly dir: string;
  /** One HTTPS request as the admin user; resolves with the status and parsed JSON body. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Runs the built kubectl against this apiserver; resolves with stdout, rejects with stderr. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops kube-apiserver then etcd (SIGTERM, SIGKILL after 10 s) and removes the temp dir. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released: fine for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new KubeApiServerError('could not read the address of a probe socket'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new KubeApiServerError(`openssl ${args[0]} failed while making test certificates: ${stderr.trim()}`, {
      cause: err,
    });
  }
}

interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  saPub: string;
  saKey: string;
}

/** A throw-away CA, a serving cert for 127.0.0.1/localhost and an admin client cert. */
async function makeCerts(dir: string): Promise<Certs> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=borealis-test-ca'], dir);
  const leaf = async (name: string, subj: string, ext: string): Promise<void> => {
    await writeFile(join(dir, `${name}.ext`), ext);
    await openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
    await openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
        '-out', `${name}.crt`, '-extfile', `${name}.ext`],
      dir,
    );
  };
  await leaf(
    'server',
    '/CN=kube-apiserver',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n',
  );
  await leaf(
    'admin',
    '/O=system:masters/CN=borealis-test-admin',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'admin.crt'),
    clientKey: join(dir, 'admin.key'),
    saPub: join(dir, 'sa.pub'),
    saKey: join(dir, 'sa.key'),
  };
}

function kubeconfigFor(url: string, certs: Certs): string {
  const b64 = (p: string): string => readFileSync(p).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: borealis-test',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${b64(certs.ca)}`,
    'users:',
    '- name: borealis-test-admin',
    '  user:',
    `    client-certificate-data: ${b64(certs.clientCert)}`,
    `    client-key-data: ${b64(certs.clientKey)}`,
    'contexts:',
    '- name: borealis-test',
    '  context:',
    '    cluster: borealis-test',
    '    user: borealis-test-admin',
    'current-context: borealis-test',
    '',
  ].join('\n');
}

interface Proc {
  child: ChildProcess;
  name: string;
  logPath: string;
  exited: Promise<number | null>;
}

function startProc(name: string, bin: string, args: string[], dir: string): Proc {
  const logPath = join(dir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      log.write(`\n[harness] ${name} exited code=${code} signal=${signal}\n`);
      resolve(code);
    });
    child.on('error', (err) => {
      log.write(`\n[harness] ${name} failed to start: ${err.message}\n`);
      resolve(-1);
    });
  });
  return { child, name, logPath, exited };
}

async function logTail(p: Proc, lines = 25): Promise<string> {
  try {
    return (await readFile(p.logPath, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(timer);
}

type Probe = () => Promise<boolean>;

function httpOk(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Probe {
  return () =>
    new Promise((resolve) => {
      const req = (tls ? httpsRequest : httpRequest)(url, { timeout: 2000, ...(tls ?? {}) }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
      req.end();
    });
}

async function waitReady(p: Proc, what: string, probe: Probe, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new KubeApiServerError(`${p.name} exited (code ${exitCode}) before ${what}; last log lines:\n${await logTail(p)}`);
    }
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new KubeApiServerError(`${p.name}: ${what} not reached within ${timeoutMs} ms; last log lines:\n${await logTail(p)}`);
}

/** Starts etcd and kube-apiserver on free 127.0.0.1 ports and waits until /readyz answers 200. */
export async function startKubeApiServer(options: StartKubeApiServerOptions = {}): Promise<KubeApiServer> {
  const etcdBin = toolPath('etcd');
  const apiBin = toolPath('kube-apiserver');
  const kubectlBin = toolPath('kubectl');
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const dir = await mkdtemp(join(tmpdir(), 'borealis-kube-apiserver-'));
  const procs: Proc[] = [];
  const cleanup = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await stopProc(p);
    await rm(dir, { recursive: true, force: true });
  };
  const onExit = (): void => {
    for (const p of procs) p.child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    const certs = await makeCerts(dir);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startProc(
      'etcd',
      etcdBin,
      [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      dir,
    );
    procs.push(etcd);
    await waitReady(etcd, 'etcd /health', httpOk(`${etcdUrl}/health`), timeoutMs);

    const api = startProc(
      'kube-apiserver',
      apiBin,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${certs.serverCert}`,
        `--tls-private-key-file=${certs.serverKey}`,
        `--client-ca-file=${certs.ca}`,
        `--service-account-key-file=${certs.saPub}`,
        `--service-account-signing-key-file=${certs.saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        '--v=1',
        ...(options.extraApiServerArgs ?? []),
      ],
      dir,
    );
    procs.push(api);
    const url = `https://127.0.0.1:${apiPort}`;
    const tls = { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
    await waitReady(api, 'kube-apiserver /readyz', httpOk(`${url}/readyz`, tls), timeoutMs);

    const kubeconfigYaml = kubeconfigFor(url, certs);
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });

    const kubectl = (args: string[], input?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = execFile(
          kubectlBin,
          [`--kubeconfig=${kubeconfigPath}`, ...args],
          { maxBuffer: 32 * 1024 * 1024 },
          (err, stdout, stderr) => {
            if (err) reject(new KubeApiServerError(`kubectl ${args.join(' ')} failed: ${stderr.trim()}`, { cause: err }));
            else resolve(stdout);
          },
        );
        if (input !== undefined) child.stdin?.end(input);
      });

    const request = (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = httpsRequest(
          `${url}${path}`,
          {
            method,
            ...tls,
            timeout: 30_000,
            headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON: keep the text
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        req.on('timeout', () => req.destroy(new KubeApiServerError(`${method} ${path}: no answer within 30 s`)));
        req.on('error', (err) => reject(new KubeApiServerError(`${method} ${path} failed: ${err.message}`, { cause: err })));
        req.end(payload);
      });

    let stopped = false;
    return {
      url,
      kubeconfigPath,
      kubeconfigYaml,
      etcdUrl,
      dir,
      request,
      kubectl,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', onExit);
        await cleanup();
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    await cleanup();
    throw err;
  }
}
