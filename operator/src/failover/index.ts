export {
  decideFailover,
  rankCandidates,
  primaryHealthy,
  type FailoverDecision,
  type Candidate,
  type DecideInput,
} from './decide.js';
export { type PromotionDriver, type RegionRef } from './promotion-driver.js';
export { AgentPromotionDriver, regionPostgresUrl, type SeedUrlResolver } from './agent-driver.js';
export {
  StatusEpochStore,
  epochRecordOf,
  type EpochStore,
  type EpochRecord,
} from './epoch-store.js';
export {
  mirrorStreamName,
  type EpochEntry,
  type EpochFork,
  type AppliedPosition,
} from './protocol.js';
export {
  PromotionCoordinator,
  PromotionBusyError,
  PromotionRefusedError,
  type PromotionResult,
  type PromotionType,
  type PhaseTiming,
  type PromoteOptions,
  type CandidatePosition,
} from './coordinator.js';
export { LeasePusher, type LeaseOptions } from './lease.js';
