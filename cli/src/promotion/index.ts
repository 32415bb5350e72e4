export { startControlCluster, EPOCH_BUCKET, type ControlCluster, type ControlMember } from './control-cluster.js';
export { controlMemberRegions, renderControlMemberConfig } from './control-config.js';
export {
  Coordinator,
  PromotionFailedError,
  PromotionRefusedError,
  type CoordinatorOptions,
  type PromotionReport,
  type PhaseTiming,
  type CandidateView,
} from './coordinator.js';
export { runDrill, injectFault, recoverFault, type DrillOptions, type DrillResult, type Fault, type DrillType } from './drill.js';
export { Prober, missingAcknowledged, longestWriteGap, PROBE_TABLE, type LedgerEntry } from './prober.js';
export { promotionRoutes } from './http.js';
export { PromotionMetrics } from './metrics.js';
