export {
  startPrometheus,
  defaultPrometheusBinary,
  type StartPrometheusOptions,
  type RunningPrometheus,
} from './launcher.js';
export {
  buildPrometheusConfig,
  thresholdRulesYaml,
  type ScrapeTarget,
  type PrometheusConfigOptions,
} from './config.js';
export { defaultRuleFiles, rulesDir } from './rule-files.js';
export { topologyScrapeTargets, type ScrapableTopology } from './targets.js';
export { startTopologyPrometheus, type TopologyPrometheusOptions } from './for-topology.js';
export {
  PrometheusClient,
  type Sample,
  type AlertInfo,
  type TargetInfo,
  type RuleInfo,
} from './client.js';
export { PrometheusError, PrometheusStartError, PrometheusQueryError } from './errors.js';
