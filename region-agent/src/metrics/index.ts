export { AgentMetrics, type MetricSources } from './agent-metrics.js';
