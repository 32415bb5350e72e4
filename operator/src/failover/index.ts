export { decideFailover, rankCandidates, primaryHealthy, type FailoverDecision, type Candidate, type DecideInput } from './decide.js';
export { UnwiredPromotionDriver, PromotionNotWiredError, type PromotionDriver, type RegionRef } from './promotion-driver.js';
export { StatusEpochStore, type EpochStore, type EpochRecord } from './epoch-store.js';
export { PromotionCoordinator, PromotionBusyError, type PromotionResult, type PromotionType, type PhaseTiming } from './coordinator.js';
