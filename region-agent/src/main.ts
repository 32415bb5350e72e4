#!/usr/bin/env node
import { ConfigError, loadAgentConfig, parseAgentConfig } from './config/index.js';
import { RegionAgent } from './agent/index.js';

function configFromArgs(argv: string[]): ReturnType<typeof loadAgentConfig> {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : process.env.BOREALIS_AGENT_CONFIG;
  if (path) return loadAgentConfig(path);
  if (process.env.BOREALIS_AGENT_CONFIG_JSON) {
    let raw: unknown;
    try {
      raw = JSON.parse(process.env.BOREALIS_AGENT_CONFIG_JSON);
    } catch (cause) {
      throw new ConfigError(`BOREALIS_AGENT_CONFIG_JSON is not valid JSON: ${(cause as Error).message}`, [], { cause });
    }
    return parseAgentConfig(raw, 'BOREALIS_AGENT_CONFIG_JSON');
  }
  throw new ConfigError(
    'no configuration: start the agent with --config <file.json> (or set BOREALIS_AGENT_CONFIG / BOREALIS_AGENT_CONFIG_JSON)',
  );
}

async function main(): Promise<void> {
  let agent: RegionAgent;
  try {
    agent = new RegionAgent(configFromArgs(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`borealis-region-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    agent.log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await agent.start();
  agent.done().catch((err: unknown) => {
    agent.log.fatal({ err: (err as Error).message }, 'agent start-up failed');
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`borealis-region-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
