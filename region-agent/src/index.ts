export { RegionAgent } from './agent/index.js';
export { agentConfigSchema, ConfigError, loadAgentConfig, parseAgentConfig, type AgentConfig, type AgentConfigInput } from './config/index.js';
export type { AgentStatus } from './http/index.js';
export { AgentMetrics } from './metrics/index.js';
export * from './wire/index.js';
export { compareLsn, lsnToBigInt, bigIntToLsn } from './lsn/index.js';
export { buildStatements, quoteIdent, qualified } from './apply/index.js';
export { findDdlStatement, splitStatements, statementMatchesTag } from './ddl/index.js';
export { SESSION_OPTIONS } from './db/index.js';
