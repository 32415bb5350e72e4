export { startHttpServer, type HttpHandlers } from './server.js';
export type { AgentStatus } from './status-types.js';
