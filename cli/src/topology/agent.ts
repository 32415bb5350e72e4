import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProcessStartError } from './errors.js';
import type { AgentConfigFile } from './agent-config.js';
import { ManagedProcess, waitUntil } from './process.js';

/** The region agent's entry point (BOREALIS_AGENT_ENTRY overrides): <repo>/region-agent/dist/main.js. */
export function defaultAgentEntry(): string {
  return (
    process.env.BOREALIS_AGENT_ENTRY ??
    fileURLToPath(new URL('../../../region-agent/dist/main.js', import.meta.url))
  );
}

export interface AgentInstance {
  region: string;
  pid: number;
  httpUrl: string;
  configFile: string;
  logFile: string;
  process: ManagedProcess;
  stop(timeoutMs?: number): Promise<void>;
}

/** Writes the agent's config and starts `node <entry> --config <file>`; logs (pino JSON) go to logFile. */
export async function spawnAgent(opts: {
  config: AgentConfigFile;
  configFile: string;
  logFile: string;
  cwd: string;
  entry?: string;
}): Promise<AgentInstance> {
  const entry = opts.entry ?? defaultAgentEntry();
  if (!existsSync(entry)) {
    throw new ProcessStartError(
      `region agent not built: ${entry} is missing (run "npm run build")`,
    );
  }
  writeFileSync(opts.configFile, JSON.stringify(opts.config, null, 2) + '\n');
  const proc = await ManagedProcess.spawn({
    name: `region-agent ${opts.config.region}`,
    command: process.execPath,
    args: ['--enable-source-maps', entry, '--config', opts.configFile],
    logFile: opts.logFile,
    cwd: opts.cwd,
  });
  const httpUrl = `http://127.0.0.1:${opts.config.http.port}`;
  return {
    region: opts.config.region,
    pid: proc.pid,
    httpUrl,
    configFile: opts.configFile,
    logFile: opts.logFile,
    process: proc,
    stop: (timeoutMs?: number) => proc.stop(timeoutMs ?? 10_000),
  };
}

/** Waits until GET /readyz answers 200. */
export async function waitAgentReady(agent: AgentInstance, timeoutMs: number): Promise<void> {
  await waitUntil(
    `region-agent ${agent.region} ${agent.httpUrl}/readyz`,
    async () => {
      const res = await fetch(`${agent.httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 200, process: agent.process },
  );
}
