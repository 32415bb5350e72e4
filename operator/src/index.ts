export * as api from './api/index.js';
export * as specs from './specs/index.js';
export * as runtime from './runtime/index.js';
export * as failover from './failover/index.js';
export * as metrics from './metrics/index.js';
export * as globalDatabase from './controllers/global-database/index.js';
export * as failoverDrill from './controllers/failover-drill/index.js';
export { Operator, type OperatorOptions } from './manager/index.js';
