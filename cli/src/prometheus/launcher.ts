import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocatePort, ManagedProcess, waitUntil } from '../topology/index.js';
import { PrometheusClient } from './client.js';
import { buildPrometheusConfig, type ScrapeTarget } from './config.js';
import { PrometheusStartError } from './errors.js';

export interface StartPrometheusOptions {
  targets: ScrapeTarget[];
  /** Absolute paths of rule files (e.g. defaultRuleFiles()). */
  ruleFiles: string[];
  /** Folder for prometheus.yml, the TSDB and prometheus.log. Default: a new temp dir, removed on stop(). */
  dir?: string;
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
  /** The prometheus binary (default: PROMETHEUS_BINARY or /usr/bin/prometheus, the Debian package). */
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  dir: string;
  configFile: string;
  logFile: string;
  client: PrometheusClient;
  /** Stops Prometheus by pid (SIGTERM, SIGKILL after 10 s) and removes the dir when it created it. Idempotent. */
  stop(): Promise<void>;
}

export function defaultPrometheusBinary(): string {
  return process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';
}

/**
 * Starts a real Prometheus on a free 127.0.0.1 port with a generated config (scrape targets, rule
 * files) and waits until it is ready. The caller stops it with stop().
 */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const binary = opts.binary ?? defaultPrometheusBinary();
  if (!existsSync(binary)) {
    throw new PrometheusStartError(
      `prometheus not found at ${binary} (apt-get install prometheus, or set PROMETHEUS_BINARY)`,
    );
  }
  for (const f of opts.ruleFiles)
    if (!existsSync(f)) throw new PrometheusStartError(`rule file ${f} does not exist`);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'borealis-prometheus-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  const logFile = join(dir, 'prometheus.log');
  writeFileSync(
    configFile,
    buildPrometheusConfig({
      targets: opts.targets,
      ruleFiles: opts.ruleFiles,
      scrapeIntervalSeconds: opts.scrapeIntervalSeconds,
      evaluationIntervalSeconds: opts.evaluationIntervalSeconds,
    }),
  );
  const cleanup = () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  let lastError: unknown;
  // The port is free when allocated; another process may still take it first: retry with a fresh one.
  for (let attempt = 1; attempt <= 3; attempt++) {
    let proc: ManagedProcess | undefined;
    try {
      const port = await allocatePort();
      proc = await ManagedProcess.spawn({
        name: 'prometheus',
        command: binary,
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1d',
          '--web.enable-lifecycle',
          '--log.level=warn',
        ],
        logFile,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(
        `prometheus ready on ${url}`,
        async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok,
        { timeoutMs: opts.readyTimeoutMs ?? 30_000, intervalMs: 100, process: proc },
      );
      const running = proc;
      let stopping: Promise<void> | undefined;
      const onExit = () => running.signal('SIGKILL');
      process.once('exit', onExit);
      return {
        url,
        pid: running.pid,
        dir,
        configFile,
        logFile,
        client: new PrometheusClient(url),
        stop: () => {
          stopping ??= (async () => {
            process.off('exit', onExit);
            await running.stop();
            cleanup();
          })();
          return stopping;
        },
      };
    } catch (err) {
      lastError = err;
      if (proc) await proc.stop(2000).catch(() => undefined);
    }
  }
  cleanup();
  throw new PrometheusStartError(`prometheus did not start (3 attempts); see ${logFile}`, {
    cause: lastError,
  });
}
