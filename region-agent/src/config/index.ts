export { agentConfigSchema, type AgentConfig, type AgentConfigInput } from './schema.js';
export { ConfigError, loadAgentConfig, parseAgentConfig } from './load.js';
