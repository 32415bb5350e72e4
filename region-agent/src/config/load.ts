import { readFileSync } from 'node:fs';
import { agentConfigSchema, type AgentConfig } from './schema.js';

/** Thrown when the agent's configuration is missing or invalid; the message names every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Validates a parsed configuration object; throws ConfigError naming each bad field. */
export function parseAgentConfig(raw: unknown, source = 'config'): AgentConfig {
  const result = agentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `${field}: ${issue.message}`;
  });
  throw new ConfigError(
    `invalid agent configuration in ${source}:\n  - ${issues.join('\n  - ')}\nFix these fields and start the agent again.`,
    issues,
  );
}

/** Reads and validates the configuration file. */
export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read agent configuration file ${path}: ${(cause as Error).message}`, [], { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`agent configuration file ${path} is not valid JSON: ${(cause as Error).message}`, [], {
      cause,
    });
  }
  return parseAgentConfig(raw, path);
}
